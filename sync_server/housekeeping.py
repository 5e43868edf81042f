"""Pruning of rows that only matter for a while: auth attempts, replay records, spent tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.auth import throttle
from sync_server.models import utcnow

IDEMPOTENCY_KEPT = timedelta(days=7)  # an outbox offline longer than this re-sends; the desktop warns after 7 days
ATTEMPTS_KEPT = timedelta(days=1)


def prune(db: Session) -> dict[str, int]:
    """Delete expired rows; returns how many of each."""
    now = utcnow()
    return {
        "auth_attempts": throttle.prune(db, ATTEMPTS_KEPT),
        "idempotent_requests": db.execute(delete(models.IdempotentRequest).where(
            models.IdempotentRequest.created_at < now - IDEMPOTENCY_KEPT)).rowcount,
        "refresh_tokens": db.execute(delete(models.RefreshToken).where(or_(
            models.RefreshToken.expires_at < now,
            models.RefreshToken.used_at < now - timedelta(days=30)))).rowcount,
        "password_resets": db.execute(delete(models.PasswordReset).where(
            models.PasswordReset.expires_at < now - timedelta(days=1))).rowcount,
    }
