"""What the student does, as events: stored, then handed to listeners (study sessions, points, achievements)."""

# Use cases call record() after the action has been saved; listeners (core.sessions, core.gamification, ...)
# subscribe once at import. A failing listener is logged and never undoes or blocks the action itself:
# a student's review must not be lost because an achievement check crashed.

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from lmgpa_desktop.storage import activity_repo
from lmgpa_desktop.storage.activity_repo import ActivityRecord

log = logging.getLogger(__name__)

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

Listener = Callable[[object, ActivityRecord], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call listener(ctx, event) after every recorded event (once per listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    """Stop calling a listener."""
    if listener in _listeners:
        _listeners.remove(listener)


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def record(ctx, kind: str, *, course_id: int | None = None, ref_id: int | None = None, amount: int = 1,
           details: dict | None = None, at: datetime | None = None) -> ActivityRecord | None:
    """Store an event and tell the listeners; never raises (the action it describes is already saved)."""
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}")
    try:
        event = activity_repo.add(ctx.db, kind, at or utcnow(), course_id, ref_id, int(amount), details)
    except Exception:  # noqa: BLE001 - losing a statistic must not fail the student's action
        log.exception("could not record %s activity", kind)
        return None
    for listener in list(_listeners):
        try:
            listener(ctx, event)
        except Exception:  # noqa: BLE001 - same: log and go on
            log.exception("activity listener %r failed on %s", listener, kind)
    return event


def events(ctx, start: datetime | None = None, end: datetime | None = None,
           kinds: list[str] | None = None) -> list[ActivityRecord]:
    """Recorded events in [start, end)."""
    return activity_repo.between(ctx.db, start, end, kinds)
