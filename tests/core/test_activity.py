"""Activity events: recorded by the use cases themselves, handed to listeners, never fatal to the action."""

from __future__ import annotations

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.study import notes
from lmgpa_desktop.core.study import review
from lmgpa_desktop.storage import cards_repo
from lmgpa_desktop.storage import review_logs_repo


def test_review_and_note_actions_are_recorded_in_order(ctx):
    deck = cards_repo.create_deck(ctx.db, "Biology")
    card = cards_repo.create_card(ctx.db, deck.id, "What makes glucose?", "Photosynthesis")
    review.answer(ctx, card.id, 3)
    review.undo_last(ctx)
    note = notes.create(ctx, body_md="# Cells\n- the stroma is the fluid around the thylakoids")
    kinds = [(e.kind, e.ref_id) for e in activity.events(ctx)]
    assert kinds == [("review", card.id), ("review_undo", card.id), ("note", note.id)]
    first = activity.events(ctx)[0]
    assert first.details["rating"] == 3 and first.details["deck_id"] == deck.id and first.at.tzinfo is not None


def test_a_failing_listener_is_logged_and_the_action_stands(ctx, caplog):
    seen = []

    def broken(_ctx, _event):
        raise RuntimeError("listener bug")

    def watcher(_ctx, event):
        seen.append(event.kind)

    ctx.activity.subscribe(broken)
    ctx.activity.subscribe(watcher)
    try:
        deck = cards_repo.create_deck(ctx.db, "Chemistry")
        card = cards_repo.create_card(ctx.db, deck.id, "H2O is?", "Water")
        result = review.answer(ctx, card.id, 4)
    finally:
        ctx.activity.unsubscribe(broken)
        ctx.activity.unsubscribe(watcher)
    assert result.rating == 4 and len(review_logs_repo.review_logs(ctx.db, card.id)) == 1
    assert seen == ["review"] and "listener bug" in caplog.text


def test_unknown_kind_is_a_programming_error(ctx):
    import pytest

    with pytest.raises(ValueError):
        activity.record(ctx, "napping")
