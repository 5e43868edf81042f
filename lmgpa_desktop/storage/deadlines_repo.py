"""Deadline rows (assignments and exams)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Course, Deadline


@dataclass(frozen=True)
class DeadlineRow:
    """A deadline as plain data."""

    id: int
    title: str
    kind: str
    due_at: datetime
    course_id: int | None
    course_name: str | None
    done: bool
    created_at: datetime


def _query():
    return (select(Deadline, Course.name).outerjoin(Course, Course.id == Deadline.course_id)
            .where(Deadline.deleted_at.is_(None)))


def _row(d: Deadline, course_name: str | None) -> DeadlineRow:
    return DeadlineRow(d.id, d.title, d.kind, d.due_at, d.course_id, course_name, d.done, d.created_at)


def add(db: Database, title: str, kind: str, due_at: datetime, course_id: int | None,
        created_at: datetime | None = None) -> int:
    """Store a deadline; returns its id."""
    with db.write() as s:
        d = Deadline(title=title, kind=kind, due_at=due_at, course_id=course_id, created_at=created_at or utcnow())
        s.add(d)
        s.flush()
        return d.id


def get(db: Database, deadline_id: int) -> DeadlineRow | None:
    """One live deadline."""
    with db.read() as s:
        found = s.execute(_query().where(Deadline.id == deadline_id)).first()
        return _row(*found) if found else None


def listing(db: Database, since: datetime | None = None, until: datetime | None = None,
            include_done: bool = True) -> list[DeadlineRow]:
    """Live deadlines due in [since, until), soonest first."""
    q = _query()
    if since is not None:
        q = q.where(Deadline.due_at >= since)
    if until is not None:
        q = q.where(Deadline.due_at < until)
    if not include_done:
        q = q.where(Deadline.done.is_(False))
    with db.read() as s:
        return [_row(d, name) for d, name in s.execute(q.order_by(Deadline.due_at, Deadline.id))]


def set_done(db: Database, deadline_id: int, done: bool) -> bool:
    """Mark a deadline done (or not); False when there is no such deadline."""
    with db.write() as s:
        d = s.get(Deadline, deadline_id)
        if d is None or d.deleted_at is not None:
            return False
        d.done = done
        return True


def delete(db: Database, deadline_id: int) -> bool:
    """Remove a deadline (kept as a tombstone for sync)."""
    with db.write() as s:
        d = s.get(Deadline, deadline_id)
        if d is None or d.deleted_at is not None:
            return False
        d.deleted_at = utcnow()
        return True
