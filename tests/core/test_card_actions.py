"""Bulk actions of the card browser: move, tag, suspend and delete many cards in set-based SQL, each undoable."""

from __future__ import annotations

from sqlalchemy import event

from lmgpa_desktop.core.study import card_actions, card_view, decks, review
from lmgpa_desktop.storage import card_browse_repo, cards_repo, sources_repo


def _statements(ctx):
    """Statements the engine runs while the block runs (to tell one UPDATE from one per card)."""
    seen: list[str] = []

    def before(_conn, _cursor, statement, _params, _context, _many) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(ctx.db.engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(ctx.db.engine, "before_cursor_execute", before)


def _deck_with(ctx, n: int, name: str = "Bio", **fields) -> tuple[int, list[int]]:
    deck = cards_repo.create_deck(ctx.db, name)
    cards_repo.bulk_insert_cards(ctx.db, [{"deck_id": deck.id, "front": f"Q{i}", "back": f"A{i}", **fields}
                                          for i in range(n)])
    return deck.id, [c.id for c in cards_repo.cards_of_deck(ctx.db, deck.id)]


def test_thousands_of_cards_change_in_a_few_statements_and_change_back(ctx):
    bio, ids = _deck_with(ctx, 3000, tags="cells Bio")
    seen, stop = _statements(ctx)
    moved = card_actions.move_to_deck(ctx, ids[:2500], "Exam")  # a new name makes the deck
    suspended = card_actions.set_suspended(ctx, ids, True)
    tagged = card_actions.change_tags(ctx, ids, add="midterm", remove="BIO")
    stop()
    assert len(seen) < 40, seen  # set-based: not one statement per card
    assert moved.message == "Moved 2,500 cards to Exam." and suspended.message == "Suspended 3,000 cards."
    exam = cards_repo.deck_named(ctx.db, "Exam").id
    assert decks.deck_sizes(ctx) == {bio: 500, exam: 2500}
    assert {c.tags for c in cards_repo.cards_of_deck(ctx.db, exam)} == {"cells midterm"}
    assert all(c.suspended for c in cards_repo.cards_of_deck(ctx.db, bio))
    assert card_actions.set_suspended(ctx, ids, True).undo is None  # nothing changed, nothing to undo

    for outcome in (tagged, suspended, moved):
        card_actions.undo(ctx, outcome.undo)
    cards = cards_repo.cards_of_deck(ctx.db, bio)
    assert len(cards) == 3000 and {c.tags for c in cards} == {"cells Bio"} and not any(c.suspended for c in cards)


def test_delete_removes_unreviewed_cards_tombstones_reviewed_ones_and_undo_brings_both_back(ctx):
    _deck, ids = _deck_with(ctx, 5)
    review.answer(ctx, ids[1], 3)
    before = cards_repo.get_card(ctx.db, ids[0])
    gone = card_actions.delete(ctx, ids[:3])
    assert gone.message == "Deleted 3 cards."
    assert cards_repo.get_card(ctx.db, ids[0]) is None and cards_repo.get_card(ctx.db, ids[1]).deleted_at
    assert card_browse_repo.browse_count(ctx.db) == 2
    assert card_actions.undo(ctx, gone.undo) == "Undid delete (3 cards)."
    assert card_browse_repo.browse_count(ctx.db) == 5
    assert cards_repo.get_card(ctx.db, ids[0]) == before  # the whole row, scheduling and all
    assert cards_repo.get_card(ctx.db, ids[1]).deleted_at is None


def test_undo_of_a_delete_whose_id_was_reused_keeps_both_cards(ctx):
    deck, ids = _deck_with(ctx, 2)
    gone = card_actions.delete(ctx, [ids[-1]])  # the newest: SQLite hands its id to the next card
    newer = cards_repo.create_card(ctx.db, deck, "Written after", "x")
    assert newer.id == ids[-1]
    card_actions.undo(ctx, gone.undo)
    assert sorted(c.front for c in cards_repo.cards_of_deck(ctx.db, deck)) == ["Q0", "Q1", "Written after"]


def test_browse_rows_are_rendered_and_preview_names_its_source(ctx, shared):
    deck = cards_repo.create_deck(ctx.db, "History")
    lecture = sources_repo.create(ctx.db, kind="audio", title="Lecture 3", status="ready", duration_s=90.0)
    card = cards_repo.create_card(ctx.db, deck.id, "Fell in {{c1::1453}}", "", kind="cloze", source_id=lecture.id,
                                  source_start_s=96.0)
    row = decks.browse(ctx)[0]
    assert (row.front, row.back) == ("Fell in [...]", "1453")
    assert decks.browse_rows(ctx, [card.id]) == [row]
    view = card_view.card_view(ctx, card.id)
    assert view.source == "From Lecture 3 at 1:36" and "[...]" in view.question and "1453" in view.answer


def test_sanitize_keeps_formatting_and_drops_what_runs_or_loads():
    dirty = ('<div onclick="steal()" class="q">1 &lt; 2 <b>bold</b><script>alert(1)</script>'
             '<style>div{display:none}</style><img src="flag.png"><img src="https://tracker.example/x.gif">'
             '<a href="javascript:alert(1)">x</a><a href="sound:a.mp3">▶</a><iframe src="x"></iframe></div>')
    assert card_view.sanitize(dirty) == ('<div class="q">1 &lt; 2 <b>bold</b><img src="flag.png"><a>x</a>'
                                         '<a href="sound:a.mp3">▶</a></div>')
