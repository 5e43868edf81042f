"""Notifications per user with read state; other services call push() inside their own transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server import models

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
    payload = json.dumps(data or {})
    db.add_all(models.Notification(user_id=u, kind=kind, title=title[:300], body=body, data=payload,
                                   dedupe_key=dedupe_key) for u in users)
    return len(users)
