"""/api/classes (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from sync_server import schemas

router = APIRouter(prefix="/api/classes", tags=["classes"], responses=schemas.ERRORS)
