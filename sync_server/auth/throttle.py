"""Attempt counting in the database (no process state), for login throttling and auth rate limits."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sync_server.models import AuthAttempt, utcnow


def retry_after(db: Session, key: str, limit: int, window: timedelta, failures_only: bool = False) -> int | None:
    """Seconds until another attempt is allowed under this key, or None when allowed now."""
    since = utcnow() - window
    query = select(func.count(), func.min(AuthAttempt.at)).where(AuthAttempt.key == key, AuthAttempt.at > since)
    if failures_only:
        query = query.where(AuthAttempt.succeeded.is_(False))
    count, oldest = db.execute(query).one()
    if count < limit:
        return None
    return max(1, int((oldest + window - utcnow()).total_seconds()) + 1)


def record(db: Session, key: str, succeeded: bool = False) -> None:
    """Remember one attempt."""
    db.add(AuthAttempt(key=key, succeeded=succeeded))


def forget_failures(db: Session, key: str) -> None:
    """A successful sign-in clears the failures counted against an account."""
    db.execute(delete(AuthAttempt).where(AuthAttempt.key == key, AuthAttempt.succeeded.is_(False)))


def prune(db: Session, older_than: timedelta) -> int:
    """Drop old attempts; returns how many."""
    return db.execute(delete(AuthAttempt).where(AuthAttempt.at < utcnow() - older_than)).rowcount
