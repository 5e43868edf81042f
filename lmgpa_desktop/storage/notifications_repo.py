"""Notification rows and the reminder log (what was decided for each reminder slot)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.sqlite import insert

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Notification, ReminderLog


@dataclass(frozen=True)
class NotificationRow:
    """A notification as plain data."""

    id: int
    kind: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None
    payload: dict | None

    @property
    def unread(self) -> bool:
        """Not opened yet."""
        return self.read_at is None


def _row(n: Notification) -> NotificationRow:
    return NotificationRow(n.id, n.kind, n.title, n.body or "", n.created_at, n.read_at, n.payload)


def add(db: Database, kind: str, title: str, body: str, payload: dict | None, at: datetime) -> NotificationRow:
    """Store a new unread notification."""
    with db.write() as s:
        n = Notification(kind=kind, title=title, body=body, payload=payload, created_at=at)
        s.add(n)
        s.flush()
        return _row(n)


def items(db: Database, limit: int = 200) -> list[NotificationRow]:
    """Notifications not cleared: unread first, newest first within each group."""
    with db.read() as s:
        rows = s.scalars(select(Notification).where(Notification.cleared_at.is_(None))
                         .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(),
                                   Notification.id.desc()).limit(limit))
        return [_row(n) for n in rows]


def get(db: Database, notification_id: int) -> NotificationRow | None:
    """One notification (cleared ones too)."""
    with db.read() as s:
        n = s.get(Notification, notification_id)
        return _row(n) if n else None


def set_read(db: Database, ids: list[int] | None, at: datetime | None) -> int:
    """Mark some (None: every uncleared) notifications read at `at`, or unread when at is None."""
    with db.write() as s:
        q = update(Notification).where(Notification.cleared_at.is_(None))
        if ids is not None:
            q = q.where(Notification.id.in_(ids))
        elif at is not None:
            q = q.where(Notification.read_at.is_(None))  # keep when older ones were read
        return s.execute(q.values(read_at=at)).rowcount


def clear(db: Database, ids: list[int] | None, at: datetime) -> int:
    """Hide some (None: all) notifications from the centre; rows stay so reminders are never re-sent."""
    with db.write() as s:
        q = update(Notification).where(Notification.cleared_at.is_(None))
        if ids is not None:
            q = q.where(Notification.id.in_(ids))
        return s.execute(q.values(cleared_at=at)).rowcount


def unread_count(db: Database) -> int:
    """Unread notifications still in the centre."""
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Notification).where(
            Notification.cleared_at.is_(None), Notification.read_at.is_(None))) or 0


# -- reminder log --------------------------------------------------------------------------------------------------
def decided_keys(db: Database, keys: list[str]) -> set[str]:
    """Which of these reminder slots were already decided."""
    if not keys:
        return set()
    with db.read() as s:
        return set(s.scalars(select(ReminderLog.key).where(ReminderLog.key.in_(keys))))


def resolve(db: Database, key: str, kind: str, slot_at: datetime, outcome: str, at: datetime) -> bool:
    """Record a decision that delivered nothing; False when the slot was already decided."""
    with db.write() as s:
        result = s.execute(insert(ReminderLog).values(key=key, kind=kind, slot_at=slot_at, decided_at=at,
                                                      outcome=outcome).on_conflict_do_nothing())
        return result.rowcount == 1


def deliver_once(db: Database, key: str, kind: str, slot_at: datetime, title: str, body: str,
                 payload: dict | None, at: datetime) -> NotificationRow | None:
    """Store the notification and its log row in one transaction; None when the slot was already decided."""
    # One BEGIN IMMEDIATE transaction: two processes (GUI and CLI) ticking together still deliver once.
    with db.write() as s:
        if s.scalar(select(ReminderLog.id).where(ReminderLog.key == key)) is not None:
            return None
        n = Notification(kind=kind, title=title, body=body, payload=payload, created_at=at)
        s.add(n)
        s.flush()
        s.add(ReminderLog(key=key, kind=kind, slot_at=slot_at, decided_at=at, outcome="delivered",
                          notification_id=n.id))
        return _row(n)


def delivered_since(db: Database, since: datetime) -> int:
    """Reminders delivered at or after since (for the daily cap)."""
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(ReminderLog).where(
            ReminderLog.outcome == "delivered", ReminderLog.decided_at >= since)) or 0


@dataclass(frozen=True)
class Decision:
    """One logged reminder decision."""

    key: str
    kind: str
    slot_at: datetime
    decided_at: datetime
    outcome: str


def decisions(db: Database, limit: int = 50) -> list[Decision]:
    """The latest reminder decisions, newest first."""
    with db.read() as s:
        rows = s.scalars(select(ReminderLog).order_by(ReminderLog.decided_at.desc(), ReminderLog.id.desc())
                         .limit(limit))
        return [Decision(r.key, r.kind, r.slot_at, r.decided_at, r.outcome) for r in rows]
