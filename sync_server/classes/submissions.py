"""Students hand in work as numbered versions; who sees which, and each student's newest version."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.classes import access, attachments
from sync_server.classes.schemas import FileIn
from sync_server.errors import ApiError, forbidden
from sync_server.models import utcnow
from sync_server.notify import service as notifications


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


def latest_versions(db: Session, assignment_ids: list[str], student_id: str | None = None,
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


def submit(db: Session, assignment_id: str, user_id: str, *, kind: str, text: str,
           upload: FileIn | None) -> SubmissionView:
    """A new version of the caller's work (students of the class only); the teacher is notified."""
    assignment, cls, member = access.visible_assignment(db, assignment_id, user_id)
    if member.role != access.STUDENT:
        raise forbidden("only students of this class can hand in work")
    access.not_archived(cls)
    file = attachments.decode_file(upload) if upload is not None else None
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
    files = attachments.attach(db, "submission", row.id, [file] if file else [])
    student = db.get(models.User, user_id)
    notifications.push(db, access.teacher_ids(db, cls.id), "submission",
                       f"{student.display_name} handed in {assignment.title}" + (" (late)" if row.late else ""),
                       f"{cls.name}, version {version}",
                       data={"class_id": cls.id, "assignment_id": assignment_id, "submission_id": row.id})
    return SubmissionView(row, student, files)


def submissions(db: Session, assignment_id: str, user_id: str, all_versions: bool) -> list[SubmissionView]:
    """The teacher: every student's newest version (or all); a student: only their own versions."""
    assignment, _cls, member = access.visible_assignment(db, assignment_id, user_id)
    S = models.Submission
    if member.role == access.TEACHER:
        if all_versions:
            rows = list(db.scalars(select(S).where(S.assignment_id == assignment.id)))
        else:
            rows = list(latest_versions(db, [assignment.id]).values())
    else:
        rows = list(db.scalars(select(S).where(S.assignment_id == assignment.id, S.student_id == user_id)))
    student_ids = {s.student_id for s in rows}
    people = {u.id: u for u in db.scalars(select(models.User).where(models.User.id.in_(student_ids)))} \
        if student_ids else {}
    files = attachments.attachments_of(db, "submission", [s.id for s in rows])
    views = [SubmissionView(s, people[s.student_id], files[s.id]) for s in rows]
    views.sort(key=lambda v: (v.student.display_name.lower(), v.row.student_id, -v.row.version))
    return views
