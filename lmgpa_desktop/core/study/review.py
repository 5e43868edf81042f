"""Spaced repetition with FSRS (the fsrs package): next card, answer, undo, counts, daily new-card limit.

Undo: review_logs is append-only, so undoing an answer restores the card's previous FSRS state (kept in
ctx.undo from the moment of the answer, like Anki's undo, so it does not survive a restart) and appends a
compensating row with rating 0, whose state_before / *_after columns hold the restored state. Readers of the
log treat a rating-0 row as cancelling the latest earlier rated row of the same card; the daily new-card
count needs no such reading because it only counts cards that are no longer new.
"""

from __future__ import annotations

import html
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from fsrs import Card as FsrsCard
from fsrs import Rating, State

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study.fsrs_fuzz import SeededScheduler
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.storage import cards_repo
from lmgpa_desktop.storage import review_logs_repo
from lmgpa_desktop.storage.base import new_uuid
from lmgpa_desktop.storage.cards_repo import CardRecord, DeckCounts

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

RATINGS = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
UNDO_RATING = 0
RETENTION_KEY = "review.retention"
DEFAULT_RETENTION = 0.9
DAY_STARTS_AT_HOUR = 4  # as in Anki: a session past midnight still counts for the day it began
LEARN_AHEAD = timedelta(minutes=20)  # learning cards due this soon are shown when nothing else is left
UNDO_DEPTH = 50
SOUND = re.compile(r"\[sound:(.+?)\]")


@dataclass(frozen=True)
class ReviewResult:
    """What an answer did to a card."""

    card_id: int
    rating: int
    state: int
    due: datetime
    interval: timedelta
    stability: float | None
    difficulty: float | None
    log_id: int


@dataclass(frozen=True)
class QueueCounts:
    """Cards left today in a scope (one deck or every deck)."""

    learning: int
    review: int
    new: int

    @property
    def total(self) -> int:
        """Everything left today."""
        return self.learning + self.review + self.new


@dataclass(frozen=True)
class CardFaces:
    """A card ready to show: question and answer as HTML, sounds on each side, where its media lives."""

    question: str
    answer: str
    question_sounds: tuple[str, ...]
    answer_sounds: tuple[str, ...]
    media_dir: str | None


@dataclass(frozen=True)
class _Undo:
    card_id: int
    before: dict
    after: dict


def _stack(ctx: AppContext) -> deque:
    """The profile's undo history (ctx.undo), newest last."""
    return ctx.undo


def utcnow() -> datetime:
    """Current time in UTC (the fsrs package wants exactly UTC)."""
    return datetime.now(UTC)


# -- settings and day ----------------------------------------------------------------------------------------
def retention(ctx: AppContext) -> float:
    """Desired retention from the settings (0.7 to 0.99)."""
    value = ctx.settings.get(RETENTION_KEY)
    try:
        return min(0.99, max(0.7, float(value))) if value is not None else DEFAULT_RETENTION
    except (TypeError, ValueError):
        return DEFAULT_RETENTION


def set_retention(ctx: AppContext, value: float) -> None:
    """Store the desired retention."""
    if not 0.7 <= float(value) <= 0.99:
        raise ValueError("desired retention must be between 0.70 and 0.99")
    ctx.settings.set(RETENTION_KEY, round(float(value), 3))


def scheduler(ctx: AppContext, fuzz: bool = True) -> SeededScheduler:
    """An FSRS scheduler with the student's desired retention (fuzz seeded per answer: see fsrs_fuzz)."""
    return SeededScheduler(desired_retention=retention(ctx), enable_fuzzing=fuzz)


def day_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end (UTC) of the student's study day in the local time zone."""
    local = (now or utcnow()).astimezone()
    start = local.replace(hour=DAY_STARTS_AT_HOUR, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    # Through naive local time so a day with a clock change is 23 or 25 hours long.
    naive = start.replace(tzinfo=None)
    end = (naive + timedelta(days=1)).astimezone()
    return naive.astimezone().astimezone(UTC), end.astimezone(UTC)


# -- counts and queue ----------------------------------------------------------------------------------------
def deck_counts(ctx: AppContext, now: datetime | None = None) -> list[DeckCounts]:
    """Every deck with its learning, review and new cards left today."""
    now = now or utcnow()
    start, end = day_bounds(now)
    return cards_repo.deck_counts(ctx.db, now, start, end)


def counts(ctx: AppContext, deck_id: int | None = None, now: datetime | None = None) -> QueueCounts:
    """Cards left today in one deck or in all of them."""
    now = now or utcnow()
    start, end = day_bounds(now)
    rows = cards_repo.deck_counts(ctx.db, now, start, end, [deck_id] if deck_id is not None else None)
    return QueueCounts(sum(r.learning for r in rows), sum(r.review for r in rows), sum(r.new for r in rows))


def _new_allowed(ctx: AppContext, start: datetime, deck_id: int | None) -> list[int]:
    """Decks in scope that may still show a new card today."""
    decks = cards_repo.decks(ctx.db)
    if deck_id is not None:
        decks = [d for d in decks if d.id == deck_id]
    seen = cards_repo.new_seen_since(ctx.db, start, [d.id for d in decks])
    return [d.id for d in decks if d.new_per_day - seen.get(d.id, 0) > 0]


def next_card(ctx: AppContext, deck_id: int | None = None, now: datetime | None = None) -> CardRecord | None:
    """The card to study now: learning due → review due today → new within today's limit; None when done."""
    now = now or utcnow()
    start, end = day_bounds(now)
    scope = [deck_id] if deck_id is not None else None
    found = cards_repo.next_due(ctx.db, now, end, scope)
    if found is None:
        found = cards_repo.next_new(ctx.db, _new_allowed(ctx, start, deck_id), now)
    if found is None:
        found = cards_repo.next_learning_ahead(ctx.db, now + LEARN_AHEAD, scope)
    return cards_repo.get_card(ctx.db, found) if found is not None else None


def next_learning_at(ctx: AppContext, deck_id: int | None = None) -> datetime | None:
    """When a learning card comes back later today (to tell the student to return), or None."""
    return cards_repo.next_learning_due(ctx.db, [deck_id] if deck_id is not None else None)


# -- answering -----------------------------------------------------------------------------------------------
def _to_fsrs(card: CardRecord, now: datetime) -> FsrsCard:
    """Our stored state as an fsrs Card (state 0, never answered, is fsrs's Learning at step 0)."""
    if card.state == 0:
        return FsrsCard(card_id=card.id, state=State.Learning, step=0, due=now)
    stability, difficulty = card.stability, card.difficulty
    if stability is None or difficulty is None:
        stability, difficulty = stability or 1.0, difficulty or 5.0  # damaged state: a neutral seed
    step = card.step if card.step is not None or card.state == 2 else 0
    return FsrsCard(card_id=card.id, state=State(card.state), step=step, stability=stability, difficulty=difficulty,
                    due=card.due, last_review=card.last_review or now)


def _state_of(card: FsrsCard) -> dict:
    return {"state": int(card.state), "step": card.step, "stability": card.stability,
            "difficulty": card.difficulty, "due": card.due, "last_review": card.last_review}


def preview(ctx: AppContext, card_id: int, now: datetime | None = None) -> dict[int, timedelta]:
    """The interval each rating would give (without fuzz, as on Anki's buttons)."""
    now = now or utcnow()
    card = cards_repo.get_card(ctx.db, card_id)
    if card is None:
        raise UserError(f"there is no card {card_id}")
    sched = scheduler(ctx, fuzz=False)
    base = _to_fsrs(card, now)
    return {r: sched.review_card(base, Rating(r), review_datetime=now)[0].due - now for r in RATINGS}


def answer(ctx: AppContext, card_id: int, rating: int, duration_ms: int | None = None,
           now: datetime | None = None) -> ReviewResult:
    """Rate a card 1-4: store its new FSRS state and append a review log row in one transaction."""
    if rating not in RATINGS:
        raise ValueError(f"a rating is 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), not {rating!r}")
    now = now or utcnow()
    card = cards_repo.get_card(ctx.db, card_id)
    if card is None or card.deleted_at is not None:
        raise UserError(f"there is no card {card_id}")
    # The log's uuid seeds the fuzz, so a replay of the merged log on any device gives this same due date.
    log_uuid = new_uuid()
    new, _ = scheduler(ctx).review_seeded(log_uuid, _to_fsrs(card, now), Rating(rating), now, duration_ms)
    after = _state_of(new)
    before = {k: getattr(card, k) for k in cards_repo.STATE_FIELDS}
    with disk_space.plain_errors(ctx.home, "save this answer"):  # the card keeps its state; the student sees why
        log = review_logs_repo.record_answer(ctx.db, card_id, after, {
            "uuid": log_uuid, "rating": rating, "reviewed_at": now, "duration_ms": duration_ms,
            "state_before": card.state,
            "stability_after": new.stability, "difficulty_after": new.difficulty, "due_after": new.due})
    stack = _stack(ctx)
    stack.append(_Undo(card_id, before, after))
    while len(stack) > UNDO_DEPTH:
        stack.popleft()  # only the last UNDO_DEPTH answers can be taken back
    deck = cards_repo.get_deck(ctx.db, card.deck_id)
    activity.record(ctx, "review", course_id=deck.course_id if deck else None, ref_id=card_id, at=now,
                    details={"rating": rating, "deck_id": card.deck_id, "state_before": card.state,
                             "duration_ms": duration_ms})
    return ReviewResult(card_id, rating, after["state"], new.due, new.due - now, new.stability, new.difficulty,
                        log.id)


def can_undo(ctx: AppContext) -> bool:
    """Whether an answer of this session can be undone."""
    return bool(_stack(ctx))


def undo_last(ctx: AppContext, now: datetime | None = None) -> CardRecord | None:
    """Undo the last answer: restore the card's previous state, append a compensating log row; None if nothing."""
    stack = _stack(ctx)
    if not stack:
        return None
    entry = stack.pop()
    current = review_logs_repo.card_state(ctx.db, entry.card_id)
    if current is None or any(current[k] != entry.after[k] for k in ("state", "due", "last_review")):
        stack.clear()  # older entries describe states that no longer exist either
        raise UserError("this card was changed since it was answered, so the answer cannot be undone")
    before = entry.before
    review_logs_repo.record_answer(ctx.db, entry.card_id, before, {
        "rating": UNDO_RATING, "reviewed_at": now or utcnow(), "duration_ms": None,
        "state_before": before["state"], "stability_after": before["stability"],
        "difficulty_after": before["difficulty"], "due_after": before["due"]})
    activity.record(ctx, "review_undo", ref_id=entry.card_id, at=now)
    return cards_repo.get_card(ctx.db, entry.card_id)


def clear_undo(ctx: AppContext) -> None:
    """Forget the undo history (after edits that make it meaningless)."""
    _stack(ctx).clear()


# -- showing a card ------------------------------------------------------------------------------------------
def format_interval(delta: timedelta) -> str:
    """A short label such as <1m, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return "<1m"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")


def _html(text: str, is_html: bool) -> tuple[str, tuple[str, ...]]:
    """Card text as HTML with [sound:x] turned into play links."""
    body = text if is_html else html.escape(text).replace("\n", "<br>")
    sounds = tuple(SOUND.findall(body))
    body = SOUND.sub(lambda m: f'<a href="sound:{html.escape(m.group(1), quote=True)}">▶ {html.escape(m.group(1))}'
                               f"</a>", body)
    return body, sounds


def faces(ctx: AppContext, card: CardRecord) -> CardFaces:
    """Question and answer of a card as HTML (cloze deletions hidden on the question)."""
    from lmgpa_desktop.core.study import card_text

    question, answer = card_text.faces(card.kind, card.front, card.back, card.anki_ord or 0,
                                       is_html=card.anki_fields is not None)
    q_html, q_sounds = _html(question, True)  # HTML now
    a_html, a_sounds = _html(answer, True)
    deck = cards_repo.get_deck(ctx.db, card.deck_id)
    media = deck.media_dir if deck and deck.media_dir and Path(deck.media_dir).is_dir() else None
    return CardFaces(q_html, a_html, q_sounds, a_sounds, media)
