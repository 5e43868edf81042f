"""FSRS review: intervals by rating, persistence across a restart, undo, queue order, daily new limit in the
local day, desired retention, decks and cards, the append-only log, the card browser."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text, update

from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage import cards_repo
from lmgpa_desktop.storage import review_logs_repo
from lmgpa_desktop.storage import card_browse_repo
from lmgpa_desktop.storage.models import ReviewLog

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _deck(ctx, n: int = 4, name: str = "Biology", **fields):
    deck = cards_repo.create_deck(ctx.db, name, **fields)
    cards = [cards_repo.create_card(ctx.db, deck.id, f"Question {i}", f"Answer {i}", tags="bio cells")
             for i in range(n)]
    return deck, [c.id for c in cards]


def _to_review(ctx, card_id: int, at: datetime) -> review.ReviewResult:
    """A new card answered Easy becomes a review card."""
    result = review.answer(ctx, card_id, 4, now=at)
    assert result.state == 2
    return result


def test_each_rating_moves_the_interval_the_right_way(ctx):
    _, ids = _deck(ctx, 4)
    # New card: the buttons' intervals grow from Again to Easy.
    shown = review.preview(ctx, ids[0], now=NOW)
    assert shown[1] < shown[2] < shown[3] < shown[4]
    assert shown[1] <= timedelta(minutes=1) and shown[4] >= timedelta(days=1)

    # Four review cards in the same state, each answered with another rating when due.
    first = [_to_review(ctx, card_id, NOW) for card_id in ids]
    due = first[0].due
    results = {rating: review.answer(ctx, card_id, rating, now=due) for rating, card_id in zip((1, 2, 3, 4), ids)}
    intervals = {r: res.interval for r, res in results.items()}
    assert intervals[1] < intervals[2] < intervals[3] < intervals[4]
    assert results[1].state == 3  # Again: relearning, stability falls
    assert results[1].stability < first[0].stability < results[2].stability < results[3].stability \
        < results[4].stability
    assert results[3].interval > first[2].interval  # a remembered card comes back later than last time
    assert results[1].difficulty > results[2].difficulty > results[3].difficulty >= results[4].difficulty


def test_state_survives_a_restart_and_scheduling_continues(home):
    ctx = open_app(home)
    _, ids = _deck(ctx, 1)
    first = _to_review(ctx, ids[0], NOW)
    stored = cards_repo.get_card(ctx.db, ids[0])
    ctx.close()

    ctx = open_app(home)
    try:
        again = cards_repo.get_card(ctx.db, ids[0])
        assert (again.state, again.stability, again.difficulty, again.due, again.last_review) == \
            (stored.state, stored.stability, stored.difficulty, stored.due, stored.last_review)
        assert again.due == first.due
        second = review.answer(ctx, ids[0], 3, now=first.due)
        assert second.state == 2 and second.stability > first.stability and second.interval > first.interval
        logs = review_logs_repo.review_logs(ctx.db, ids[0])
        assert [(log.rating, log.state_before) for log in logs] == [(4, 0), (3, 2)]
        assert logs[1].stability_after == pytest.approx(second.stability)
    finally:
        ctx.close()


def test_undo_restores_the_card_and_appends_a_compensating_row(ctx):
    deck, ids = _deck(ctx, 2, new_per_day=1)
    before = cards_repo.get_card(ctx.db, ids[0])
    review.answer(ctx, ids[0], 3, duration_ms=2500, now=NOW)
    assert review.counts(ctx, deck.id, now=NOW).new == 0  # the one new card of the day is used
    assert review.can_undo(ctx)
    restored = review.undo_last(ctx, now=NOW + timedelta(seconds=5))
    assert (restored.state, restored.step, restored.stability, restored.difficulty, restored.due,
            restored.last_review) == (before.state, before.step, before.stability, before.difficulty, before.due,
                                      before.last_review)
    logs = review_logs_repo.review_logs(ctx.db, ids[0])
    assert [(log.rating, log.state_before) for log in logs] == [(3, 0), (0, 0)]  # nothing deleted or changed
    assert logs[0].duration_ms == 2500
    assert review.counts(ctx, deck.id, now=NOW).new == 1  # the new card is available again
    assert review.undo_last(ctx) is None and not review.can_undo(ctx)


def test_undo_refuses_when_the_card_changed_since(ctx):
    _, ids = _deck(ctx, 1)
    review.answer(ctx, ids[0], 3, now=NOW)
    cards_repo.update_card(ctx.db, ids[0], state=0)  # reset elsewhere
    with pytest.raises(UserError, match="changed"):
        review.undo_last(ctx)


def test_review_log_is_append_only(ctx):
    _, ids = _deck(ctx, 1)
    review.answer(ctx, ids[0], 3, now=NOW)
    with pytest.raises(Exception, match="append-only"), ctx.db.write() as s:
        s.execute(update(ReviewLog).values(rating=4))
    with pytest.raises(Exception, match="append-only"), ctx.db.write() as s:
        s.execute(delete(ReviewLog))
    assert len(review_logs_repo.review_logs(ctx.db)) == 1


def test_queue_goes_learning_then_review_then_new(ctx):
    deck, ids = _deck(ctx, 3)
    learning, reviewing, fresh = ids
    cards_repo.update_card(ctx.db, reviewing, state=2, stability=3.0, difficulty=5.0, due=NOW - timedelta(days=1),
                           last_review=NOW - timedelta(days=4))
    cards_repo.update_card(ctx.db, learning, state=1, step=1, stability=1.0, difficulty=5.0,
                           due=NOW - timedelta(minutes=1), last_review=NOW - timedelta(minutes=11))
    counts = review.counts(ctx, deck.id, now=NOW)
    assert (counts.learning, counts.review, counts.new) == (1, 1, 1)
    order = []
    for _ in range(3):
        card = review.next_card(ctx, deck.id, now=NOW)
        order.append(card.id)
        review.answer(ctx, card.id, 4, now=NOW)  # Easy sends each out of today's queue
    assert order == [learning, reviewing, fresh]
    assert review.next_card(ctx, deck.id, now=NOW) is None
    assert review.counts(ctx, deck.id, now=NOW).total == 0


def test_learning_card_waits_for_its_step_then_comes_back(ctx):
    deck, ids = _deck(ctx, 1, new_per_day=1)
    result = review.answer(ctx, ids[0], 1, now=NOW)  # Again: a minute later
    assert result.state == 1 and result.interval == timedelta(minutes=1)
    assert review.next_card(ctx, deck.id, now=NOW).id == ids[0]  # learn-ahead: nothing else is left
    assert review.next_card(ctx, deck.id, now=NOW - timedelta(hours=1)) is None
    assert review.counts(ctx, deck.id, now=NOW).learning == 1


def test_daily_new_limit_follows_the_local_day(ctx, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        # 18:00 UTC is 03:00 the next morning in Tokyo: still the day that began at 04:00 local (19:00 UTC).
        start, end = review.day_bounds(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
        assert start == datetime(2026, 3, 1, 19, 0, tzinfo=UTC) and end == datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
        deck, ids = _deck(ctx, 5, new_per_day=2)
        at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
        assert review.counts(ctx, deck.id, now=at).new == 2
        seen = []
        while (card := review.next_card(ctx, deck.id, now=at)) is not None:
            seen.append(card.id)
            review.answer(ctx, card.id, 4, now=at)
        assert seen == ids[:2]  # in creation order, then the limit stops new cards
        assert review.counts(ctx, deck.id, now=at).new == 0
        later_same_day = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
        assert review.next_card(ctx, deck.id, now=later_same_day) is None
        next_day = datetime(2026, 3, 2, 19, 30, tzinfo=UTC)  # 04:30 in Tokyo
        assert review.counts(ctx, deck.id, now=next_day).new == 2
        assert review.next_card(ctx, deck.id, now=next_day).id == ids[2]
        cards_repo.update_deck(ctx.db, deck.id, new_per_day=5)
        assert review.counts(ctx, deck.id, now=at).new == 3
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_desired_retention_setting_changes_intervals(ctx):
    assert review.retention(ctx) == 0.9
    _, ids = _deck(ctx, 1)
    first = _to_review(ctx, ids[0], NOW)
    review.set_retention(ctx, 0.97)
    strict = review.preview(ctx, ids[0], now=first.due)[3]
    review.set_retention(ctx, 0.8)
    relaxed = review.preview(ctx, ids[0], now=first.due)[3]
    assert strict < relaxed
    with pytest.raises(ValueError):
        review.set_retention(ctx, 1.5)
    assert review.scheduler(ctx).desired_retention == 0.8


def test_counts_for_every_deck_and_next_card_across_decks(ctx):
    _a, a_ids = _deck(ctx, 3, name="A", new_per_day=1)
    _b, b_ids = _deck(ctx, 2, name="B", new_per_day=10)
    counts = {c.name: (c.learning, c.review, c.new) for c in review.deck_counts(ctx, now=NOW)}
    assert counts == {"A": (0, 0, 1), "B": (0, 0, 2)}
    seen = []
    while (card := review.next_card(ctx, now=NOW)) is not None:
        seen.append(card.id)
        review.answer(ctx, card.id, 4, now=NOW)
    assert sorted(seen) == sorted([a_ids[0], *b_ids])  # A's limit of 1 holds when studying every deck
    assert review.counts(ctx, now=NOW).total == 0


def test_decks_and_cards_can_be_edited_and_deleted(ctx):
    deck, ids = _deck(ctx, 3)
    assert cards_repo.update_deck(ctx.db, deck.id, name="  Cell biology ").name == "Cell biology"
    with pytest.raises(ValueError):
        cards_repo.update_deck(ctx.db, deck.id, name=" ")
    other = cards_repo.create_deck(ctx.db, "Chemistry")
    moved = cards_repo.update_card(ctx.db, ids[0], deck_id=other.id, front="Edited", tags="a, b a  c")
    assert (moved.deck_id, moved.front, moved.tags) == (other.id, "Edited", "a b c")
    assert cards_repo.all_tags(ctx.db) == ["a", "b", "bio", "c", "cells"]
    review.answer(ctx, ids[1], 3, now=NOW)
    assert cards_repo.delete_card(ctx.db, ids[2]) == "deleted"  # never reviewed: gone for good
    assert cards_repo.get_card(ctx.db, ids[2]) is None
    assert cards_repo.delete_card(ctx.db, ids[1]) == "tombstoned"  # its review log must keep pointing at it
    assert cards_repo.get_card(ctx.db, ids[1]).deleted_at is not None
    assert review.next_card(ctx, deck.id, now=NOW + timedelta(days=30)) is None
    assert cards_repo.delete_deck(ctx.db, other.id) == "deleted"
    assert cards_repo.delete_deck(ctx.db, deck.id) == "tombstoned"
    assert [d.name for d in cards_repo.decks(ctx.db)] == []
    assert len(review_logs_repo.review_logs(ctx.db)) == 1


def test_card_browser_searches_filters_sorts_and_pages(ctx):
    bio = cards_repo.create_deck(ctx.db, "Biology")
    chem = cards_repo.create_deck(ctx.db, "Chemistry")
    rows = [{"deck_id": bio.id if i % 2 else chem.id, "front": f"Term {i:03d}",
             "back": "mitochondria" if i % 10 == 0 else f"definition {i}", "tags": "exam" if i % 3 == 0 else "",
             } for i in range(250)]
    assert cards_repo.bulk_insert_cards(ctx.db, rows) == 250
    page1 = card_browse_repo.browse(ctx.db, sort="created", limit=100)
    page2 = card_browse_repo.browse(ctx.db, sort="created", limit=100, offset=100)
    page3 = card_browse_repo.browse(ctx.db, sort="created", limit=100, offset=200)
    assert [len(p) for p in (page1, page2, page3)] == [100, 100, 50]
    assert len({r.id for r in page1 + page2 + page3}) == 250
    assert [r.front for r in page1[:2]] == ["Term 000", "Term 001"]
    assert card_browse_repo.browse(ctx.db, sort="created", descending=True, limit=1)[0].front == "Term 249"
    assert card_browse_repo.browse_count(ctx.db, "MITOCHONDRIA") == 25
    assert card_browse_repo.browse_count(ctx.db, "mitochondria", deck_id=chem.id) == 25
    assert card_browse_repo.browse_count(ctx.db, "tag:exam") == 84
    assert card_browse_repo.browse_count(ctx.db, "tag:exam term") == 84
    assert card_browse_repo.browse_count(ctx.db, "100%") == 0  # LIKE wildcards are taken literally
    assert {r.deck for r in card_browse_repo.browse(ctx.db, deck_id=bio.id, limit=500)} == {"Biology"}
    assert card_browse_repo.browse(ctx.db, sort="deck", limit=1)[0].deck == "Biology"
    # Review a few so ease and interval sorts have values.
    for i, row in enumerate(card_browse_repo.browse(ctx.db, sort="created", limit=3)):
        review.answer(ctx, row.id, (2, 3, 4)[i], now=NOW)
    by_interval = card_browse_repo.browse(ctx.db, sort="interval", descending=True, limit=3)
    assert [r.front for r in by_interval] == ["Term 002", "Term 001", "Term 000"]
    assert by_interval[0].interval_days > by_interval[1].interval_days
    assert card_browse_repo.browse(ctx.db, sort="ease", descending=True, limit=1)[0].front == "Term 000"
    with pytest.raises(ValueError):
        card_browse_repo.browse(ctx.db, sort="nonsense")


def test_new_cards_queue_in_creation_order_even_with_ordinary_due(ctx):
    deck, ids = _deck(ctx, 2)
    # A card written with an ordinary due (as code outside cards_repo would) is still found, first.
    with ctx.db.write() as s:
        s.execute(text("UPDATE cards SET due = :due WHERE id = :id"),
                  {"due": "2026-03-01 00:00:00.000000", "id": ids[1]})
    assert review.next_card(ctx, deck.id, now=NOW).id == ids[1]
    assert review.counts(ctx, deck.id, now=NOW).new == 2
