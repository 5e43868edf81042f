"""Today at a glance: due cards, goals, streak, deadlines, recent recordings, and where the student left off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.progress import deadlines
from lmgpa_desktop.core.progress import gamification
from lmgpa_desktop.core.progress import goals
from lmgpa_desktop.core.study import review
from lmgpa_desktop.storage import cards_repo, chat_repo, sources_repo, study_repo
from lmgpa_desktop.storage import practice_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

RECORDING_KINDS = ("recording", "audio", "video")
DEADLINE_DAYS = 14
RESUME_KINDS = ("review", "note", "test", "reading", "chat", "import", "recording")


@dataclass(frozen=True)
class Resume:
    """A place to continue: what it is (deck, note, test, chat, source), its title, and its id."""

    kind: str
    title: str
    ref_id: int
    at: datetime


@dataclass(frozen=True)
class Today:
    """Everything the home view shows."""

    now: datetime
    due: review.QueueCounts
    goals: list[goals.GoalProgress]
    streak: object
    deadlines: list
    recordings: list
    resume: list[Resume]


def _resume_item(ctx: AppContext, event) -> Resume | None:
    """Turn an activity event into a place to go back to (None when that thing is gone)."""
    if event.ref_id is None:
        return None
    if event.kind == "review":
        card = cards_repo.get_card(ctx.db, event.ref_id)
        deck = cards_repo.get_deck(ctx.db, card.deck_id) if card else None
        return Resume("deck", f"Keep reviewing {deck.name}", deck.id, event.at) if deck else None
    if event.kind == "note":
        note = study_repo.get_note(ctx.db, event.ref_id)
        return Resume("note", f"Note: {note.title}", note.id, event.at) if note else None
    if event.kind == "test":
        attempt = practice_repo.get_attempt(ctx.db, event.ref_id)
        test = practice_repo.get_test(ctx.db, attempt.test_id) if attempt else None
        return Resume("test", f"Practice test: {test.title}", test.id, event.at) if test else None
    if event.kind == "chat":
        conv = chat_repo.get_conversation(ctx.db, event.ref_id)
        return Resume("chat", f"Chat: {conv.title}", conv.id, event.at) if conv else None
    source = sources_repo.get(ctx.db, event.ref_id)
    if source is None or source.deleted_at is not None:
        return None
    return Resume("source", source.title, source.id, event.at)


def resume_points(ctx: AppContext, limit: int = 3, lookback_days: int = 30,
                  now: datetime | None = None) -> list[Resume]:
    """The latest distinct things the student worked on, newest first."""
    now = now or activity.utcnow()
    out: list[Resume] = []
    for event in reversed(activity.events(ctx, now - timedelta(days=lookback_days), now, list(RESUME_KINDS))):
        item = _resume_item(ctx, event)
        if item and all((r.kind, r.ref_id) != (item.kind, item.ref_id) for r in out):
            out.append(item)
            if len(out) == limit:
                break
    return out


def today(ctx: AppContext, now: datetime | None = None, tz=None) -> Today:
    """Gather the home view's figures (reads only; run it off the UI thread)."""
    now = now or activity.utcnow()
    soon = deadlines.upcoming(ctx, now, now + timedelta(days=DEADLINE_DAYS))
    recent = [s for s in sources_repo.listing(ctx.db, kinds=RECORDING_KINDS)][:5]
    return Today(now, review.counts(ctx, now=now), goals.progress(ctx, now, tz), gamification.streak(ctx, now, tz),
                 soon, recent, resume_points(ctx, now=now))
