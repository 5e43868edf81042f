"""Notifications per user with read state; other services call push() inside their own transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import not_found
from sync_server.models import utcnow

STREAM_BATCH = 100  # notifications per poll of a live stream; the next poll sends the rest
LATE_COMMIT_WINDOW = timedelta(seconds=60)  # how far back a live stream looks for rows that committed out of id order

KINDS = ("assignment", "due_soon", "graded", "message", "request", "connection", "group", "share", "submission")


def push(db: Session, user_ids: Iterable[str], kind: str, title: str, body: str = "", data: dict | None = None,
         dedupe_key: str | None = None) -> int:
    """Store one notification per user (skipping users who already have this dedupe_key); returns how many."""
    users = list(dict.fromkeys(user_ids))
    if not users:
        return 0
    if dedupe_key is not None:
        have = set(db.scalars(select(models.Notification.user_id).where(
            models.Notification.user_id.in_(users), models.Notification.dedupe_key == dedupe_key)))
        users = [u for u in users if u not in have]
        if not users:
            return 0  # (an empty parameter list would run the INSERT once, with no values)
    payload, now = json.dumps(data or {}), utcnow()
    # One multi-row INSERT: a message to a 50-person group was 50 ORM objects through the unit of work (most of the
    # time of posting it); nothing reads these rows back in this request.
    db.execute(insert(models.Notification), [
        {"user_id": u, "kind": kind, "title": title[:300], "body": body, "data": payload, "dedupe_key": dedupe_key,
         "created_at": now} for u in users])
    return len(users)


def to_public(row: models.Notification) -> dict:
    """The JSON shape clients see: data as an object, read as a flag."""
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        data = {}
    return {"id": row.id, "kind": row.kind, "title": row.title, "body": row.body,
            "data": data if isinstance(data, dict) else {"value": data},
            "created_at": row.created_at.isoformat(), "read": row.read_at is not None}


def unread_count(db: Session, user_id: str) -> int:
    """How many of the user's notifications are unread."""
    return db.scalar(select(func.count()).where(models.Notification.user_id == user_id,
                                                models.Notification.read_at.is_(None))) or 0


def listing(db: Session, user_id: str, unread_only: bool = False, after_id: int | None = None,
            limit: int = 50) -> list[models.Notification]:
    """The user's notifications: newest first, or oldest first after `after_id` (for catching up)."""
    query = select(models.Notification).where(models.Notification.user_id == user_id)
    if unread_only:
        query = query.where(models.Notification.read_at.is_(None))
    if after_id is not None:
        query = query.where(models.Notification.id > after_id).order_by(models.Notification.id.asc())
    else:
        query = query.order_by(models.Notification.id.desc())
    return list(db.scalars(query.limit(limit)))


def mark_read(db: Session, user_id: str, notification_id: int) -> models.Notification:
    """Mark one of the user's notifications read; someone else's is 'not found'."""
    row = db.get(models.Notification, notification_id)
    if row is None or row.user_id != user_id:
        raise not_found("no such notification")
    if row.read_at is None:
        row.read_at = utcnow()
    return row


def mark_all_read(db: Session, user_id: str) -> int:
    """Mark every unread notification of the user read; returns how many."""
    return db.execute(update(models.Notification).where(models.Notification.user_id == user_id,
                                                        models.Notification.read_at.is_(None))
                      .values(read_at=utcnow())).rowcount


def newest_id(db: Session, user_id: str) -> int:
    """The id of the user's newest notification (0 when there is none): where a stream without a cursor starts."""
    return db.scalar(select(func.max(models.Notification.id)).where(models.Notification.user_id == user_id)) or 0


def unread_backlog(db: Session, user_id: str, after_id: int, upto_id: int) -> list[models.Notification]:
    """One batch of the user's unread notifications with after_id < id <= upto_id, oldest first."""
    return list(db.scalars(select(models.Notification).where(
        models.Notification.user_id == user_id, models.Notification.read_at.is_(None),
        models.Notification.id > after_id, models.Notification.id <= upto_id)
        .order_by(models.Notification.id.asc()).limit(STREAM_BATCH)))


def recent_ids(db: Session, user_id: str, upto_id: int, since: datetime) -> set[int]:
    """Ids up to upto_id of the user's notifications created since `since` (what a stream has already covered)."""
    return set(db.scalars(select(models.Notification.id).where(
        models.Notification.user_id == user_id, models.Notification.id <= upto_id,
        models.Notification.created_at >= since)))


def stream_poll(db: Session, user_id: str, session_id: str, after_id: int, since: datetime,
                seen: set[int]) -> tuple[bool, list[models.Notification]]:
    """One poll of a live stream: (session still signed in, new and late-committed notifications, oldest first)."""
    # Recent unseen ids below the cursor count too: on PostgreSQL ids come from a sequence, so a transaction that
    # took a lower id can commit after a higher one was already sent.
    session = db.get(models.DeviceSession, session_id)
    user = db.get(models.User, user_id)
    alive = session is not None and session.revoked_at is None and user is not None and user.is_active
    if not alive:
        return False, []
    late = recent_ids(db, user_id, after_id, since) - seen
    rows = listing(db, user_id, after_id=after_id, limit=STREAM_BATCH)
    if late:
        rows = sorted([*db.scalars(select(models.Notification).where(models.Notification.id.in_(late))), *rows],
                      key=lambda r: r.id)
    return True, rows
