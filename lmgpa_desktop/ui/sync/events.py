"""One signal per window that the sync state changed, so the status bar and the panel read it again."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class SyncEvents(QObject):
    """Lives as a child of the window's OnlineStatus: whoever has that finds the same hub."""

    changed = Signal()  # a sync ended, sync was set up or removed, a conflict was resolved, a file arrived


def sync_events(owner: QObject) -> SyncEvents:
    """The hub under owner (the window's OnlineStatus), made on first use."""
    hub = owner.findChild(SyncEvents, "syncEvents")
    if hub is None:
        hub = SyncEvents(owner)
        hub.setObjectName("syncEvents")
    return hub
