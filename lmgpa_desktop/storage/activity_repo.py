"""Activity events: what the student did and when (feeds study sessions, points and achievements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import ActivityEvent


@dataclass(frozen=True)
class ActivityRecord:
    """One activity event as plain data."""

    id: int
    kind: str
    at: datetime
    course_id: int | None
    ref_id: int | None
    amount: int
    details: dict | None


def _record(e: ActivityEvent) -> ActivityRecord:
    return ActivityRecord(e.id, e.kind, e.at, e.course_id, e.ref_id, e.amount, e.details)


def add(db: Database, kind: str, at: datetime, course_id: int | None = None, ref_id: int | None = None,
        amount: int = 1, details: dict | None = None) -> ActivityRecord:
    """Append one event."""
    with db.write() as s:
        event = ActivityEvent(kind=kind, at=at, course_id=course_id, ref_id=ref_id, amount=amount, details=details)
        s.add(event)
        s.flush()
        return _record(event)


def between(db: Database, start: datetime | None = None, end: datetime | None = None,
            kinds: list[str] | None = None) -> list[ActivityRecord]:
    """Events in [start, end) in time order, optionally of some kinds only."""
    q = select(ActivityEvent).order_by(ActivityEvent.at, ActivityEvent.id)
    if start is not None:
        q = q.where(ActivityEvent.at >= start)
    if end is not None:
        q = q.where(ActivityEvent.at < end)
    if kinds:
        q = q.where(ActivityEvent.kind.in_(kinds))
    with db.read() as s:
        return [_record(e) for e in s.scalars(q)]
