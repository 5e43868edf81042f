"""Opens a profile: the AppContext (core/context.py), then every listener that keeps its progress up to date."""

from __future__ import annotations

from pathlib import Path

from lmgpa_desktop.core.context import AppContext, StartupError, open_context
from lmgpa_desktop.core.progress import gamification, sessions
from lmgpa_desktop.core.safety import integrity

__all__ = ["AppContext", "StartupError", "open_app", "subscribe_listeners"]


def open_app(home: Path | None = None) -> AppContext:
    """Open (creating and migrating when needed) the profile at home or the configured data folder."""
    ctx = open_context(home, check=integrity.check_at_open)  # refuses a damaged database before migrating it
    subscribe_listeners(ctx)
    from lmgpa_desktop.core.sync import service as personal_sync  # late: crypto and FSRS load only here

    personal_sync.join_online_sync()
    return ctx


def subscribe_listeners(ctx: AppContext) -> None:
    """Wire the profile's features to its events; the only place listeners are registered for a profile."""
    # Sessions first: they fold each event into the study-session table in the recording thread.
    ctx.activity.subscribe(sessions.on_event)
    # Points, the streak and achievements (which also file their notifications) are judged on ctx.gamification.
    ctx.activity.subscribe(gamification.on_activity)
    # The UI's own listeners (notification page and badge, tray, unlock toasts) subscribe to ctx.unlocks and
    # ctx.notification_listeners when their windows open, and unsubscribe when they close.
