"""Classes, members, assignments, attachments, submissions, grades and due-soon reminders."""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from sync_server import models
from sync_server.errors import ApiError, forbidden, not_found
from sync_server.models import utcnow
from sync_server.schemas_classes import MAX_ATTACHMENT_BYTES, FileIn
from sync_server.services import codes, notifications

# No 0/O, 1/I/L: a code read aloud or copied from a board is typed right the first time.
CODE_ALPHABET = codes.ALPHABET
CODE_ATTEMPTS = codes.ATTEMPTS
TEACHER, STUDENT = "teacher", "student"


@dataclass(frozen=True)
class NewFile:
    """A decoded upload."""

    file_name: str
    content_type: str
    data: bytes


@dataclass
class ClassView:
    """A class with the caller's role and head counts."""

    row: models.SchoolClass
    teacher: models.User
    my_role: str
    member_count: int
    student_count: int

    def __getattr__(self, name: str):
        # Lets ClassPublic read the class columns straight through; join_code only for the class teacher.
        if name == "join_code":
            return self.row.join_code if self.my_role == TEACHER else None
        return getattr(self.row, name)


@dataclass
class RosterEntry:
    """A member as shown in the roster."""

    id: str
    display_name: str
    role: str
    joined_at: datetime
    email: str | None


@dataclass
class AssignmentView:
    """An assignment with its attachments and the caller's view of progress."""

    row: models.Assignment
    attachments: list[models.Attachment]
    my_status: str | None = None
    my_points: float | None = None
    my_version: int | None = None
    submitted_count: int | None = None
    graded_count: int | None = None
    student_count: int | None = None

    def __getattr__(self, name: str):
        return getattr(self.row, name)


@dataclass
class SubmissionView:
    """One submission version with its student and files."""

    row: models.Submission
    student: models.User
    attachments: list[models.Attachment] = field(default_factory=list)

    @property
    def attachment_ids(self) -> list[str]:
        """Ids for GET /api/classes/attachments/{id}."""
        return [a.id for a in self.attachments]

    def __getattr__(self, name: str):
        return getattr(self.row, name)


@dataclass
class GradeCell:
    """One student's state on one assignment."""

    assignment_id: str
    status: str
    points: float | None


@dataclass
class GradeRow:
    """One student's grades."""

    student: models.User
    cells: list[GradeCell]
    total_points: float


@dataclass
class Grades:
    """The grade grid."""

    assignments: list[models.Assignment]
    rows: list[GradeRow]


def naive_utc(moment: datetime | None) -> datetime | None:
    """Naive UTC as stored; an aware input is converted, a naive one is taken as UTC already."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


# ---- join codes ----------------------------------------------------------------------------------------------

normal_code = codes.normal


def unique_join_code(db: Session, draw: Callable[[], str] = codes.random_code) -> str:
    """A code no class uses yet; draws again on a collision."""
    return codes.unique(db, models.SchoolClass.join_code, "join code", draw)


def _store_code(db: Session, cls: models.SchoolClass) -> None:
    """Add or update the class with a fresh code; a concurrent insert of the same code (unique index) makes it
    draw again."""
    for _ in range(CODE_ATTEMPTS):
        cls.join_code = unique_join_code(db)
        try:
            with db.begin_nested():
                db.add(cls)  # inside the savepoint: a rolled-back savepoint expunges what it inserted
                db.flush()
            return
        except IntegrityError:
            continue
    raise ApiError(503, "could not find a free join code; try again", "UNAVAILABLE")


# ---- classes and members --------------------------------------------------------------------------------------

def _member(db: Session, class_id: str, user_id: str) -> tuple[models.SchoolClass, models.ClassMember]:
    """The class and the caller's membership; 404 when either is missing so existence is not revealed."""
    cls = db.get(models.SchoolClass, class_id)
    member = db.get(models.ClassMember, (class_id, user_id)) if cls is not None else None
    if cls is None or member is None:
        raise not_found("no such class")
    return cls, member


def _teacher(db: Session, class_id: str, user_id: str) -> models.SchoolClass:
    """The class, when the caller is its teacher: 404 for outsiders, 403 for its students."""
    cls, member = _member(db, class_id, user_id)
    if member.role != TEACHER:
        raise forbidden("only the class teacher can do this")
    return cls


def _not_archived(cls: models.SchoolClass) -> None:
    if cls.archived:
        raise ApiError(409, "this class is archived; the teacher can unarchive it", "CLASS_ARCHIVED")


def _counts(db: Session, class_ids: list[str]) -> dict[str, tuple[int, int]]:
    """(members, students) per class."""
    if not class_ids:
        return {}
    rows = db.execute(select(models.ClassMember.class_id, models.ClassMember.role, func.count())
                      .where(models.ClassMember.class_id.in_(class_ids))
                      .group_by(models.ClassMember.class_id, models.ClassMember.role))
    counts = {cid: [0, 0] for cid in class_ids}
    for cid, role, n in rows:
        counts[cid][0] += n
        if role == STUDENT:
            counts[cid][1] += n
    return {cid: (c[0], c[1]) for cid, c in counts.items()}


def _views(db: Session, pairs: list[tuple[models.SchoolClass, str]]) -> list[ClassView]:
    counts = _counts(db, [c.id for c, _ in pairs])
    teacher_ids = {c.teacher_id for c, _ in pairs}
    teachers = {u.id: u for u in db.scalars(select(models.User).where(models.User.id.in_(teacher_ids)))} \
        if teacher_ids else {}
    return [ClassView(c, teachers[c.teacher_id], role, *counts[c.id]) for c, role in pairs]


def create_class(db: Session, teacher_id: str, name: str, description: str, subject: str) -> ClassView:
    """A new class whose creator is its teacher."""
    cls = models.SchoolClass(name=name.strip(), description=description, subject=subject.strip(),
                             teacher_id=teacher_id, join_code="")
    _store_code(db, cls)
    db.add(models.ClassMember(class_id=cls.id, user_id=teacher_id, role=TEACHER))
    db.flush()
    return _views(db, [(cls, TEACHER)])[0]


def my_classes(db: Session, user_id: str) -> list[ClassView]:
    """Classes the user teaches or joined, newest first."""
    rows = db.execute(select(models.SchoolClass, models.ClassMember.role)
                      .join(models.ClassMember, models.ClassMember.class_id == models.SchoolClass.id)
                      .where(models.ClassMember.user_id == user_id)
                      .order_by(models.SchoolClass.created_at.desc(), models.SchoolClass.id)).all()
    return _views(db, [(c, r) for c, r in rows])


def class_view(db: Session, class_id: str, user_id: str) -> ClassView:
    """One class as this member sees it."""
    cls, member = _member(db, class_id, user_id)
    return _views(db, [(cls, member.role)])[0]


def update_class(db: Session, class_id: str, user_id: str, changes: dict) -> ClassView:
    """Change name, description, subject or archived (class teacher)."""
    cls = _teacher(db, class_id, user_id)
    for key in ("name", "subject"):
        if changes.get(key) is not None:
            setattr(cls, key, changes[key].strip())
    if changes.get("description") is not None:
        cls.description = changes["description"]
    if changes.get("archived") is not None:
        cls.archived = changes["archived"]
    db.flush()
    return _views(db, [(cls, TEACHER)])[0]


def reset_join_code(db: Session, class_id: str, user_id: str) -> ClassView:
    """A new join code; the old one stops working (class teacher)."""
    cls = _teacher(db, class_id, user_id)
    _store_code(db, cls)
    return _views(db, [(cls, TEACHER)])[0]


def join(db: Session, user_id: str, code: str) -> ClassView:
    """Join as a student by code; joining again changes nothing."""
    cls = db.scalar(select(models.SchoolClass).where(models.SchoolClass.join_code == normal_code(code)))
    if cls is None:
        raise ApiError(404, "no class has this join code; check it with your teacher", "UNKNOWN_JOIN_CODE")
    member = db.get(models.ClassMember, (cls.id, user_id))
    if member is None:
        _not_archived(cls)
        try:
            with db.begin_nested():
                db.add(models.ClassMember(class_id=cls.id, user_id=user_id, role=STUDENT))
                db.flush()
        except IntegrityError:
            pass  # a concurrent join of the same person already made the membership
        member = db.get(models.ClassMember, (cls.id, user_id))
    return _views(db, [(cls, member.role)])[0]


def roster(db: Session, class_id: str, user_id: str) -> list[RosterEntry]:
    """Members, teacher first; emails only for the teacher's eyes."""
    _cls, me = _member(db, class_id, user_id)
    rows = db.execute(select(models.User, models.ClassMember)
                      .join(models.ClassMember, models.ClassMember.user_id == models.User.id)
                      .where(models.ClassMember.class_id == class_id)).all()
    rows.sort(key=lambda r: (r[1].role != TEACHER, r[0].display_name.lower(), r[0].id))
    return [RosterEntry(u.id, u.display_name, m.role, m.joined_at, u.email if me.role == TEACHER else None)
            for u, m in rows]


def remove_member(db: Session, class_id: str, actor_id: str, user_id: str) -> None:
    """The teacher removes a student, or a student leaves; the teacher stays."""
    _cls, me = _member(db, class_id, actor_id)
    if me.role != TEACHER and user_id != actor_id:
        raise forbidden("students can only remove themselves (leave the class)")
    target = db.get(models.ClassMember, (class_id, user_id))
    if target is None:
        raise not_found("this person is not in the class")
    if target.role == TEACHER:
        raise ApiError(409, "the class teacher cannot be removed; archive the class instead", "CONFLICT")
    db.delete(target)


# ---- files ----------------------------------------------------------------------------------------------------

def decode_file(upload: FileIn) -> NewFile:
    """Check and decode an upload: 422 for bad base64, 413 above the size limit."""
    name = upload.file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]  # a path never reaches a download
    if not name:
        raise ApiError(422, "the file name is empty", "VALIDATION_ERROR")
    try:
        data = base64.b64decode(upload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, f"the content of {name!r} is not valid base64", "VALIDATION_ERROR") from None
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ApiError(413, f"{name!r} is {len(data) / 1048576:.1f} MB; files may be at most "
                       f"{MAX_ATTACHMENT_BYTES // 1048576} MB", "FILE_TOO_LARGE",
                       details={"file_name": name, "size": len(data), "limit": MAX_ATTACHMENT_BYTES})
    kind = (upload.content_type or "").strip() or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return NewFile(name, kind[:120], data)


def _attach(db: Session, owner_kind: str, owner_id: str, files: Iterable[NewFile]) -> list[models.Attachment]:
    rows = [models.Attachment(owner_kind=owner_kind, owner_id=owner_id, file_name=f.file_name,
                              content_type=f.content_type, size=len(f.data), data=f.data) for f in files]
    db.add_all(rows)
    db.flush()
    return rows


def _attachments(db: Session, owner_kind: str, owner_ids: list[str]) -> dict[str, list[models.Attachment]]:
    """Attachments per owner, without loading their bytes."""
    found: dict[str, list[models.Attachment]] = {i: [] for i in owner_ids}
    if not owner_ids:
        return found
    A = models.Attachment
    query = select(A).options(defer(A.data)).where(A.owner_kind == owner_kind, A.owner_id.in_(owner_ids))
    for row in db.scalars(query.order_by(A.created_at, A.id)):
        found[row.owner_id].append(row)
    return found


def attachment(db: Session, attachment_id: str, user_id: str) -> models.Attachment:
    """A file the caller may download: assignment files for members, submission files for their student and
    the class teacher."""
    row = db.get(models.Attachment, attachment_id)
    if row is None:
        raise not_found("no such file")
    if row.owner_kind == "assignment":
        assignment = db.get(models.Assignment, row.owner_id)
        if assignment is None:
            raise not_found("no such file")
        _visible_assignment(db, assignment.id, user_id)
        return row
    if row.owner_kind == "submission":
        submission = db.get(models.Submission, row.owner_id)
        if submission is None:
            raise not_found("no such file")
        _visible_submission(db, submission.id, user_id)
        return row
    raise not_found("no such file")  # group shares are served by /api/social


# ---- assignments ----------------------------------------------------------------------------------------------

def _visible_assignment(db: Session, assignment_id: str, user_id: str) \
        -> tuple[models.Assignment, models.SchoolClass, models.ClassMember]:
    assignment = db.get(models.Assignment, assignment_id)
    if assignment is None:
        raise not_found("no such assignment")
    try:
        cls, member = _member(db, assignment.class_id, user_id)
    except ApiError:
        raise not_found("no such assignment") from None
    return assignment, cls, member


def _teacher_assignment(db: Session, assignment_id: str, user_id: str) -> tuple[models.Assignment,
                                                                                 models.SchoolClass]:
    assignment, cls, member = _visible_assignment(db, assignment_id, user_id)
    if member.role != TEACHER:
        raise forbidden("only the class teacher can do this")
    return assignment, cls


def _students(db: Session, class_id: str) -> list[str]:
    return list(db.scalars(select(models.ClassMember.user_id).where(models.ClassMember.class_id == class_id,
                                                                    models.ClassMember.role == STUDENT)))


def _teachers(db: Session, class_id: str) -> list[str]:
    return list(db.scalars(select(models.ClassMember.user_id).where(models.ClassMember.class_id == class_id,
                                                                    models.ClassMember.role == TEACHER)))


def _latest(db: Session, assignment_ids: list[str], student_id: str | None = None,
            graded: bool = False) -> dict[tuple[str, str], models.Submission]:
    """The newest version (or newest graded version) per (assignment, student)."""
    if not assignment_ids:
        return {}
    S = models.Submission
    inner = select(S.assignment_id, S.student_id, func.max(S.version).label("v")).where(
        S.assignment_id.in_(assignment_ids))
    if student_id is not None:
        inner = inner.where(S.student_id == student_id)
    if graded:
        inner = inner.where(S.points.is_not(None))
    newest = inner.group_by(S.assignment_id, S.student_id).subquery()
    rows = db.scalars(select(S).join(newest, and_(S.assignment_id == newest.c.assignment_id,
                                                  S.student_id == newest.c.student_id, S.version == newest.c.v)))
    return {(s.assignment_id, s.student_id): s for s in rows}


def status_of(latest: models.Submission | None) -> str:
    """none, submitted, late or graded, from a student's newest version."""
    if latest is None:
        return "none"
    if latest.points is not None:
        return "graded"
    return "late" if latest.late else "submitted"


def _assignment_views(db: Session, assignments: list[models.Assignment], member: models.ClassMember) \
        -> list[AssignmentView]:
    ids = [a.id for a in assignments]
    files = _attachments(db, "assignment", ids)
    views = [AssignmentView(a, files[a.id]) for a in assignments]
    if member.role == TEACHER:
        students = set(_students(db, member.class_id))
        latest = _latest(db, ids)
        for view in views:
            mine = [s for (aid, sid), s in latest.items() if aid == view.row.id and sid in students]
            view.student_count = len(students)
            view.submitted_count = len(mine)
            view.graded_count = sum(1 for s in mine if s.points is not None)
    else:
        latest = _latest(db, ids, member.user_id)
        graded = _latest(db, ids, member.user_id, graded=True)
        for view in views:
            newest = latest.get((view.row.id, member.user_id))
            best = graded.get((view.row.id, member.user_id))
            view.my_status = status_of(newest)
            view.my_version = newest.version if newest else None
            view.my_points = best.points if best else None
    return views


def create_assignment(db: Session, class_id: str, user_id: str, *, title: str, description: str,
                      due_at: datetime | None, points_possible: int, uploads: list[FileIn]) -> AssignmentView:
    """Set work in a class (class teacher); every student is notified."""
    cls = _teacher(db, class_id, user_id)
    _not_archived(cls)
    files = [decode_file(u) for u in uploads]  # after the access checks, so outsiders learn nothing from a 413
    assignment = models.Assignment(class_id=class_id, title=title.strip(), description=description,
                                   due_at=naive_utc(due_at), points_possible=points_possible, created_by=user_id)
    db.add(assignment)
    db.flush()
    _attach(db, "assignment", assignment.id, files)
    due = f"due {assignment.due_at:%Y-%m-%d %H:%M} UTC" if assignment.due_at else "no due date"
    notifications.push(db, _students(db, class_id), "assignment", f"New assignment in {cls.name}: {assignment.title}",
                       due, data={"class_id": class_id, "assignment_id": assignment.id})
    member = db.get(models.ClassMember, (class_id, user_id))
    return _assignment_views(db, [assignment], member)[0]


def list_assignments(db: Session, class_id: str, user_id: str) -> list[AssignmentView]:
    """A class's assignments by due date (undated last), with the caller's view of progress."""
    _cls, member = _member(db, class_id, user_id)
    rows = list(db.scalars(select(models.Assignment).where(models.Assignment.class_id == class_id)
                           .order_by(models.Assignment.due_at.is_(None), models.Assignment.due_at,
                                     models.Assignment.created_at, models.Assignment.id)))
    return _assignment_views(db, rows, member)


def assignment_view(db: Session, assignment_id: str, user_id: str) -> AssignmentView:
    """One assignment for a member."""
    assignment, _cls, member = _visible_assignment(db, assignment_id, user_id)
    return _assignment_views(db, [assignment], member)[0]


def update_assignment(db: Session, assignment_id: str, user_id: str, changes: dict) -> AssignmentView:
    """Change title, description, due date (null clears it) or points (class teacher)."""
    assignment, cls = _teacher_assignment(db, assignment_id, user_id)
    if changes.get("title") is not None:
        assignment.title = changes["title"].strip()
    if changes.get("description") is not None:
        assignment.description = changes["description"]
    if "due_at" in changes:
        assignment.due_at = naive_utc(changes["due_at"])
    if changes.get("points_possible") is not None:
        assignment.points_possible = changes["points_possible"]
    db.flush()
    return _assignment_views(db, [assignment], db.get(models.ClassMember, (cls.id, user_id)))[0]


def delete_assignment(db: Session, assignment_id: str, user_id: str) -> None:
    """Remove an assignment with its submissions and every file of both (class teacher)."""
    assignment, _cls = _teacher_assignment(db, assignment_id, user_id)
    submission_ids = select(models.Submission.id).where(models.Submission.assignment_id == assignment.id)
    # Attachments point at their owner without a foreign key (owners of several kinds), so they go by hand.
    db.execute(delete(models.Attachment).where(models.Attachment.owner_kind == "submission",
                                               models.Attachment.owner_id.in_(submission_ids)))
    db.execute(delete(models.Attachment).where(models.Attachment.owner_kind == "assignment",
                                               models.Attachment.owner_id == assignment.id))
    db.execute(delete(models.Submission).where(models.Submission.assignment_id == assignment.id))
    db.delete(assignment)


# ---- submissions and grades -----------------------------------------------------------------------------------

def _visible_submission(db: Session, submission_id: str, user_id: str) \
        -> tuple[models.Submission, models.Assignment, models.SchoolClass, models.ClassMember]:
    """A submission its student or the class teacher may see; anyone else gets 404."""
    submission = db.get(models.Submission, submission_id)
    if submission is None:
        raise not_found("no such submission")
    assignment = db.get(models.Assignment, submission.assignment_id)
    try:
        cls, member = _member(db, assignment.class_id, user_id)
    except ApiError:
        raise not_found("no such submission") from None
    if member.role != TEACHER and submission.student_id != user_id:
        raise not_found("no such submission")  # other students' work is not even acknowledged
    return submission, assignment, cls, member


def submit(db: Session, assignment_id: str, user_id: str, *, kind: str, text: str,
           upload: FileIn | None) -> SubmissionView:
    """A new version of the caller's work (students of the class only); the teacher is notified."""
    assignment, cls, member = _visible_assignment(db, assignment_id, user_id)
    if member.role != STUDENT:
        raise forbidden("only students of this class can hand in work")
    _not_archived(cls)
    file = decode_file(upload) if upload is not None else None
    if kind == "text" and not text.strip():
        raise ApiError(422, "a text submission needs some text", "VALIDATION_ERROR")
    if kind == "file" and file is None:
        raise ApiError(422, "a file submission needs file_name and content_base64", "VALIDATION_ERROR")
    if kind in ("note", "deck") and file is None and not text.strip():
        raise ApiError(422, f"a {kind} submission needs its text or its file", "VALIDATION_ERROR")
    S = models.Submission
    version = (db.scalar(select(func.max(S.version)).where(S.assignment_id == assignment_id,
                                                            S.student_id == user_id)) or 0) + 1
    now = utcnow()
    row = S(assignment_id=assignment_id, student_id=user_id, version=version, kind=kind, text=text,
            late=assignment.due_at is not None and now > assignment.due_at, created_at=now)
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        # Two submits of the same student at once (PostgreSQL; SQLite serialises writers) drew the same version.
        raise ApiError(409, "another submission of yours is being saved; send this one again", "CONFLICT") from None
    files = _attach(db, "submission", row.id, [file] if file else [])
    student = db.get(models.User, user_id)
    notifications.push(db, _teachers(db, cls.id), "submission",
                       f"{student.display_name} handed in {assignment.title}" + (" (late)" if row.late else ""),
                       f"{cls.name}, version {version}",
                       data={"class_id": cls.id, "assignment_id": assignment_id, "submission_id": row.id})
    return SubmissionView(row, student, files)


def submissions(db: Session, assignment_id: str, user_id: str, all_versions: bool) -> list[SubmissionView]:
    """The teacher: every student's newest version (or all); a student: only their own versions."""
    assignment, _cls, member = _visible_assignment(db, assignment_id, user_id)
    S = models.Submission
    if member.role == TEACHER:
        if all_versions:
            rows = list(db.scalars(select(S).where(S.assignment_id == assignment.id)))
        else:
            rows = list(_latest(db, [assignment.id]).values())
    else:
        rows = list(db.scalars(select(S).where(S.assignment_id == assignment.id, S.student_id == user_id)))
    student_ids = {s.student_id for s in rows}
    people = {u.id: u for u in db.scalars(select(models.User).where(models.User.id.in_(student_ids)))} \
        if student_ids else {}
    files = _attachments(db, "submission", [s.id for s in rows])
    views = [SubmissionView(s, people[s.student_id], files[s.id]) for s in rows]
    views.sort(key=lambda v: (v.student.display_name.lower(), v.row.student_id, -v.row.version))
    return views


def grade(db: Session, submission_id: str, user_id: str, points: float, feedback: str) -> SubmissionView:
    """Grade one version (class teacher); the student is notified."""
    submission, assignment, cls, member = _visible_submission(db, submission_id, user_id)
    if member.role != TEACHER:
        raise forbidden("only the class teacher can grade")
    if points > assignment.points_possible:
        raise ApiError(422, f"points must be between 0 and {assignment.points_possible}", "VALIDATION_ERROR",
                       details=[{"loc": ["body", "points"], "msg": "more than points_possible",
                                 "type": "less_than_equal"}])
    submission.points = points
    submission.feedback = feedback
    submission.graded_at = utcnow()
    submission.graded_by = user_id
    db.flush()
    notifications.push(db, [submission.student_id], "graded", f"{assignment.title} was graded",
                       f"{points:g} / {assignment.points_possible} in {cls.name}",
                       data={"class_id": cls.id, "assignment_id": assignment.id, "submission_id": submission.id})
    files = _attachments(db, "submission", [submission.id])[submission.id]
    return SubmissionView(submission, db.get(models.User, submission.student_id), files)


def grades(db: Session, class_id: str, user_id: str) -> Grades:
    """Students x assignments for the teacher; a student gets only their own row."""
    _cls, member = _member(db, class_id, user_id)
    assignments = list(db.scalars(select(models.Assignment).where(models.Assignment.class_id == class_id)
                                  .order_by(models.Assignment.due_at.is_(None), models.Assignment.due_at,
                                            models.Assignment.created_at, models.Assignment.id)))
    student_ids = _students(db, class_id) if member.role == TEACHER else [user_id]
    only = None if member.role == TEACHER else user_id
    ids = [a.id for a in assignments]
    latest = _latest(db, ids, only)
    graded = _latest(db, ids, only, graded=True)
    people = sorted(db.scalars(select(models.User).where(models.User.id.in_(student_ids))),
                    key=lambda u: (u.display_name.lower(), u.id)) if student_ids else []
    rows = []
    for person in people:
        cells = [GradeCell(a.id, status_of(latest.get((a.id, person.id))),
                           graded[(a.id, person.id)].points if (a.id, person.id) in graded else None)
                 for a in assignments]
        rows.append(GradeRow(person, cells, sum(c.points for c in cells if c.points is not None)))
    return Grades(assignments, rows)


# ---- reminders ------------------------------------------------------------------------------------------------

def due_soon_notifications(db: Session, within: timedelta = timedelta(hours=24)) -> int:
    """Remind students who have not handed in work due within the window; once per assignment and student."""
    now = utcnow()
    A, M, S = models.Assignment, models.ClassMember, models.Submission
    due = db.execute(select(A.id, A.class_id, A.title, A.due_at, models.SchoolClass.name)
                     .join(models.SchoolClass, models.SchoolClass.id == A.class_id)
                     .where(A.due_at.is_not(None), A.due_at > now, A.due_at <= now + within,
                            models.SchoolClass.archived.is_(False))).all()
    pushed = 0
    for assignment_id, class_id, title, due_at, class_name in due:
        handed_in = select(S.student_id).where(S.assignment_id == assignment_id)
        waiting = list(db.scalars(select(M.user_id).where(M.class_id == class_id, M.role == STUDENT,
                                                          M.user_id.not_in(handed_in))))
        pushed += notifications.push(db, waiting, "due_soon", f"{title} is due soon",
                                     f"{class_name}: due {due_at:%Y-%m-%d %H:%M} UTC",
                                     data={"class_id": class_id, "assignment_id": assignment_id},
                                     dedupe_key=f"due:{assignment_id}")
    return pushed
