"""/api/game (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from sync_server import schemas

router = APIRouter(prefix="/api/game", tags=["game"], responses=schemas.ERRORS)
