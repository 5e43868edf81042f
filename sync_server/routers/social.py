"""/api/social (being built)."""

from __future__ import annotations

from fastapi import APIRouter

from sync_server import schemas

router = APIRouter(prefix="/api/social", tags=["social"], responses=schemas.ERRORS)
