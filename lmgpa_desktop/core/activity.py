"""What the student does, as events: stored, then handed to listeners (study sessions, points, achievements)."""

# Use cases call record() after the action has been saved; listeners (core.progress.sessions,
# core.progress.gamification, ...) are subscribed to the profile's ctx.activity bus by core/profile.py when the
# profile opens. A failing listener is logged and never undoes or blocks the action itself: a student's review
# must not be lost because an achievement check crashed.

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from lmgpa_desktop.storage import activity_repo
from lmgpa_desktop.storage.activity_repo import ActivityRecord

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., object])

# What each kind means; amount is a count unless said otherwise.
KINDS = {
    "review": "a flashcard answered (ref: card id; details: rating, deck_id)",
    "review_undo": "an answer taken back (ref: card id)",
    "test": "a practice test finished (ref: attempt id; details: score, max_score, percent, test_id)",
    "recording": "a lecture recorded (ref: source id; amount: seconds; details: started_at)",
    "chat": "a question asked of the library (ref: conversation id)",
    "note": "a note written or edited (ref: note id)",
    "accept": "generated items accepted into decks, tests or notes (amount: how many; details: what)",
    "import": "a source added to the library (ref: source id)",
    "reading": "time spent reading a source or note (ref: source id; amount: seconds)",
    "focus": "a focus-timer work period completed (amount: seconds)",
}

Listener = Callable[["AppContext", ActivityRecord], None]


class EventBus(Generic[F]):
    """One profile's listeners of one kind of event, called in subscription order on the publishing thread."""

    def __init__(self, name: str):
        self.name = name
        self._listeners: list[F] = []
        self._lock = threading.Lock()  # listeners come and go on the UI thread while workers publish

    def subscribe(self, listener: F) -> None:
        """Call listener(...) on every publish (once per listener)."""
        with self._lock:
            if listener not in self._listeners:
                self._listeners.append(listener)

    def unsubscribe(self, listener: F) -> None:
        """Stop calling a listener."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def publish(self, *args: object) -> None:
        """Call every listener with args; a failing one is logged and the others still run."""
        with self._lock:
            targets = list(self._listeners)  # a copy: a listener may unsubscribe itself
        for listener in targets:
            try:
                listener(*args)
            except Exception:  # noqa: BLE001 - one broken listener must not stop the others or the action
                log.exception("%s listener %r failed", self.name, listener)


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def record(ctx: AppContext, kind: str, *, course_id: int | None = None, ref_id: int | None = None, amount: int = 1,
           details: dict | None = None, at: datetime | None = None) -> ActivityRecord | None:
    """Store an event and tell the listeners; never raises (the action it describes is already saved)."""
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    try:
        event = activity_repo.add(ctx.db, kind, at or utcnow(), course_id, ref_id, int(amount), details)
    except Exception:  # noqa: BLE001 - losing a statistic must not fail the student's action
        log.exception("could not record %s activity", kind)
        return None
    ctx.activity.publish(ctx, event)  # a failing listener is logged there: same rule as above
    return event


def events(ctx: AppContext, start: datetime | None = None, end: datetime | None = None,
           kinds: list[str] | None = None) -> list[ActivityRecord]:
    """Recorded events in [start, end)."""
    return activity_repo.between(ctx.db, start, end, kinds)
