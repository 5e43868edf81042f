"""FSRS state rebuilt by replaying a card's merged review log, so every device schedules a card the same way."""

# A card's state is the fold of its review log, ordered by (reviewed_at, uuid), from its sched_base (the state
# an Anki import or the first sync gave it, applying only logs at or after base["at"]) or from new. Each answer
# goes through the same scheduler answer() uses, with the fuzz seeded by the log's uuid, so the replay on the
# device that answered gives exactly the due date the student saw, and every other device gets the same one.
# A rating-0 row (an undo) restores the state before the latest answer it has not already cancelled.
# What is not replayed: the desired retention is read as it is now (a synced setting), so answers given under
# an older retention replay with the new one after it changes.

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import TYPE_CHECKING

from fsrs import Rating

from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.study.fsrs_fuzz import SeededScheduler
from lmgpa_desktop.core.sync import rebuild
from lmgpa_desktop.storage.sync import replay_repo
from lmgpa_desktop.storage.sync.replay_repo import ReplayInput, ReplayLog

if TYPE_CHECKING:
    from datetime import datetime

    from lmgpa_desktop.core.context import AppContext
    from lmgpa_desktop.storage.sync.apply_repo import Applied

NEW = {"state": 0, "step": None, "stability": None, "difficulty": None, "due": None, "last_review": None}


def fold(card_id: int, start: dict | None, logs: Iterable[ReplayLog], sched: SeededScheduler) -> dict:
    """The FSRS state after logs (in order) from start (a sched_base; None: new). A new result has due None."""
    at = start.get("at") if start else None
    state = {k: start[k] for k in NEW} if start else dict(NEW)
    history: list[dict] = []
    for log in logs:
        if at is not None and log.reviewed_at < at:
            continue  # already in the base
        if log.rating == review.UNDO_RATING:
            if history:
                state = history.pop()
            continue
        if log.rating not in review.RATINGS:
            continue
        history.append(state)
        # exactly what answer() does: same conversion, same scheduler, same seed
        card = review._to_fsrs(SimpleNamespace(id=card_id, **state), log.reviewed_at)
        new, _ = sched.review_seeded(log.uuid, card, Rating(log.rating), log.reviewed_at, log.duration_ms)
        state = review._state_of(new)
    return state


def replayed(item: ReplayInput, sched: SeededScheduler) -> dict:
    """The state a card should have: the fold, with a new card keeping its place in the new queue."""
    state = fold(item.card_id, item.base, item.logs, sched)
    if state["state"] == 0 and state["due"] is None:
        # the due of a new card is only its queue position: keep it, or put a card that went back to new
        # where its creation puts it
        state = {**state, "due": item.current["due"] if item.current["state"] == 0 else item.created_at}
    return state


def expected_states(ctx: AppContext, card_ids: Iterable[int]) -> dict[int, dict]:
    """What replay_cards would set, without writing (tests compare every device against it)."""
    sched = review.scheduler(ctx)
    return {item.card_id: replayed(item, sched) for item in replay_repo.replay_inputs(ctx.db, list(card_ids))}


def replay_cards(ctx: AppContext, card_ids: Iterable[int]) -> int:
    """Set each card's FSRS state to the replay of its merged review log; returns how many cards changed."""
    # (an undo snapshot of a card replayed since is refused by review.undo_last, which compares states)
    ids = sorted(set(card_ids))
    total = 0
    sched = review.scheduler(ctx)
    for start in range(0, len(ids), replay_repo.CHUNK):
        changed = {}
        for item in replay_repo.replay_inputs(ctx.db, ids[start:start + replay_repo.CHUNK]):
            state = replayed(item, sched)
            if state != item.current:
                changed[item.card_id] = state
        replay_repo.set_states(ctx.db, changed)
        total += len(changed)
    return total


def replay_all(ctx: AppContext) -> int:
    """Replay every card that has a review log or a sched_base."""
    return replay_cards(ctx, replay_repo.cards_with_logs(ctx.db))


def rebuild_after(ctx: AppContext, applied: Applied, now: datetime | None = None) -> dict:
    """Bring derived state up to the merged data after an apply: replay the cards, judge points/streak/achievements
    again when activity arrived (core/sync/rebuild.py), queue indexing of sources whose text arrived.
    Returns {"cards": cards replayed, "points": activity events judged, "indexing": index jobs queued}."""
    cards = replay_cards(ctx, applied.cards) if applied.cards else 0
    judged = rebuild.rebuild_progress(ctx, applied.activity_from, now) if applied.activity else 0
    jobs = rebuild.queue_indexing(ctx, applied.sources)
    return {"cards": cards, "points": judged, "indexing": jobs}
