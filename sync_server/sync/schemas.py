"""Response bodies for /api/sync."""

from __future__ import annotations

from pydantic import BaseModel


class SyncStatus(BaseModel):
    available: bool
    message: str
