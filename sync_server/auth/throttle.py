"""Attempt counting in the database (no process state), for login throttling and auth rate limits.

The *_apart functions use their own short transaction, committed at once, so an attempt still counts when the request
that made it fails and rolls back. They must run before the request's own session has touched the database: on SQLite
a write session holds the writer lock, and a second writer on the same thread would wait for it forever."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sync_server.db import Database
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


def hit_apart(database: Database, key: str, limit: int, window: timedelta) -> int | None:
    """Count one attempt under this key unless over the limit; seconds to wait when over it, else None."""
    with database.session() as s:
        wait = retry_after(s, key, limit, window)
        if wait is None:
            record(s, key, succeeded=True)
        return wait


def failures_wait_apart(database: Database, key: str, limit: int, window: timedelta) -> int | None:
    """Seconds to wait when this key has `limit` failures within the window, else None."""
    with database.session(write=False) as s:
        return retry_after(s, key, limit, window, failures_only=True)


def fail_apart(database: Database, key: str) -> None:
    """Remember one failed attempt."""
    with database.session() as s:
        record(s, key)


def forget_failures_apart(database: Database, key: str) -> None:
    """Clear the failures counted against this key."""
    with database.session() as s:
        forget_failures(s, key)
