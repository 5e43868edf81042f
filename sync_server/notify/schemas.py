"""Response bodies for /api/notify."""

from __future__ import annotations

from pydantic import BaseModel

from sync_server.schemas import UtcDateTime


class NotificationPublic(BaseModel):
    """One notification; data holds ids the desktop can open."""

    id: int
    kind: str
    title: str
    body: str
    data: dict
    created_at: UtcDateTime
    read: bool


class NotificationPage(BaseModel):
    """Notifications (newest first unless after_id is given) and the caller's unread count."""

    items: list[NotificationPublic]
    unread_count: int


class ReadCount(BaseModel):
    """How many notifications a write marked read."""

    marked: int
