"""Classes: creation, join codes, settings, membership and the roster."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_server import codes, models
from sync_server.classes import access
from sync_server.errors import ApiError, forbidden, not_found

# No 0/O, 1/I/L: a code read aloud or copied from a board is typed right the first time.
CODE_ALPHABET = codes.ALPHABET
CODE_ATTEMPTS = codes.ATTEMPTS


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
            return self.row.join_code if self.my_role == access.TEACHER else None
        return getattr(self.row, name)


@dataclass
class RosterEntry:
    """A member as shown in the roster."""

    id: str
    display_name: str
    role: str
    joined_at: datetime
    email: str | None


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
        if role == access.STUDENT:
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
    db.add(models.ClassMember(class_id=cls.id, user_id=teacher_id, role=access.TEACHER))
    db.flush()
    return _views(db, [(cls, access.TEACHER)])[0]


def my_classes(db: Session, user_id: str) -> list[ClassView]:
    """Classes the user teaches or joined, newest first."""
    rows = db.execute(select(models.SchoolClass, models.ClassMember.role)
                      .join(models.ClassMember, models.ClassMember.class_id == models.SchoolClass.id)
                      .where(models.ClassMember.user_id == user_id)
                      .order_by(models.SchoolClass.created_at.desc(), models.SchoolClass.id)).all()
    return _views(db, [(c, r) for c, r in rows])


def class_view(db: Session, class_id: str, user_id: str) -> ClassView:
    """One class as this member sees it."""
    cls, member = access.membership(db, class_id, user_id)
    return _views(db, [(cls, member.role)])[0]


def update_class(db: Session, class_id: str, user_id: str, changes: dict) -> ClassView:
    """Change name, description, subject or archived (class teacher)."""
    cls = access.teacher_class(db, class_id, user_id)
    for key in ("name", "subject"):
        if changes.get(key) is not None:
            setattr(cls, key, changes[key].strip())
    if changes.get("description") is not None:
        cls.description = changes["description"]
    if changes.get("archived") is not None:
        cls.archived = changes["archived"]
    db.flush()
    return _views(db, [(cls, access.TEACHER)])[0]


def reset_join_code(db: Session, class_id: str, user_id: str) -> ClassView:
    """A new join code; the old one stops working (class teacher)."""
    cls = access.teacher_class(db, class_id, user_id)
    _store_code(db, cls)
    return _views(db, [(cls, access.TEACHER)])[0]


def join(db: Session, user_id: str, code: str) -> ClassView:
    """Join as a student by code; joining again changes nothing."""
    cls = db.scalar(select(models.SchoolClass).where(models.SchoolClass.join_code == normal_code(code)))
    if cls is None:
        raise ApiError(404, "no class has this join code; check it with your teacher", "UNKNOWN_JOIN_CODE")
    member = db.get(models.ClassMember, (cls.id, user_id))
    if member is None:
        access.not_archived(cls)
        try:
            with db.begin_nested():
                db.add(models.ClassMember(class_id=cls.id, user_id=user_id, role=access.STUDENT))
                db.flush()
        except IntegrityError:
            pass  # a concurrent join of the same person already made the membership
        member = db.get(models.ClassMember, (cls.id, user_id))
    return _views(db, [(cls, member.role)])[0]


def roster(db: Session, class_id: str, user_id: str) -> list[RosterEntry]:
    """Members, teacher first; emails only for the teacher's eyes."""
    _cls, me = access.membership(db, class_id, user_id)
    rows = db.execute(select(models.User, models.ClassMember)
                      .join(models.ClassMember, models.ClassMember.user_id == models.User.id)
                      .where(models.ClassMember.class_id == class_id)).all()
    rows.sort(key=lambda r: (r[1].role != access.TEACHER, r[0].display_name.lower(), r[0].id))
    return [RosterEntry(u.id, u.display_name, m.role, m.joined_at, u.email if me.role == access.TEACHER else None)
            for u, m in rows]


def remove_member(db: Session, class_id: str, actor_id: str, user_id: str) -> None:
    """The teacher removes a student, or a student leaves; the teacher stays."""
    _cls, me = access.membership(db, class_id, actor_id)
    if me.role != access.TEACHER and user_id != actor_id:
        raise forbidden("students can only remove themselves (leave the class)")
    target = db.get(models.ClassMember, (class_id, user_id))
    if target is None:
        raise not_found("this person is not in the class")
    if target.role == access.TEACHER:
        raise ApiError(409, "the class teacher cannot be removed; archive the class instead", "CONFLICT")
    db.delete(target)
