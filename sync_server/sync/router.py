"""/api/sync: reserved for cross-device sync of personal study data (a later issue)."""

from __future__ import annotations

from fastapi import Request

from sync_server.auth.deps import CurrentCaller
from sync_server.deps import Router
from sync_server.envelope import wrap
from sync_server.schemas import ERRORS, Envelope
from sync_server.sync.schemas import SyncStatus

router = Router(prefix="/api/sync", tags=["sync"], responses=ERRORS)


@router.get("/status", response_model=Envelope[SyncStatus])
def status(request: Request, _caller: CurrentCaller):
    """Says plainly that personal-data sync is not built yet; accounts and devices are ready for it."""
    return wrap(request, {"available": False,
                          "message": "Sync of personal study data across devices is not built yet."})
