"""Deciding on generated items and taking it back: accepted items wait again, rejected ones return in place;
and a card's text as the student studies it (cloze gap on the front, answer marked on the back, markup escaped)."""

from __future__ import annotations

import pytest

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study import card_text
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.study.items import decisions
from lmgpa_desktop.storage import practice_repo, study_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft
from lmgpa_desktop.storage.study_repo import CardDraft


def _waiting(ctx):
    """Two cards (one cloze), a draft test of three questions and a note, all waiting for review."""
    deck = study_repo.deck_named(ctx.db, "Ottoman history")
    cards = study_repo.add_cards(ctx.db, deck.id, [
        CardDraft("cloze", "Constantinople fell in {{c1::1453}}.", "", source_quote="It fell in 1453."),
        CardDraft("basic", "Who took Constantinople?", "Mehmed II")])
    test_id, questions = practice_repo.create_test(ctx.db, "Ottomans", [], [
        QuestionDraft("mcq", "When did Constantinople fall?", "1453", ["1071", "1453", "1526"]),
        QuestionDraft("tf", "Mehmed II was a sultan.", "True", ["True", "False"]),
        QuestionDraft("short", "Name the city's new name.", "Istanbul")])
    note = study_repo.create_note(ctx.db, "The fall", "# The fall\nIn 1453.", status="pending")
    return deck, cards, test_id, questions, note


def test_faces_show_a_cloze_as_studied_and_escape_markup():
    question, answer = card_text.faces("cloze", "The <b>city</b> fell in {{c1::1455}}.\nThen", "extra")
    assert "{{c1::" not in question and "1455" not in question and "[...]" in question
    assert '<span class="cloze">1455</span>' in answer and answer.endswith("<br>extra")
    assert "&lt;b&gt;city&lt;/b&gt;" in question and "<br>Then" in question  # typed markup shows as text
    assert card_text.faces("cloze", "In {{c1::1455::year}}.", "")[0] == 'In <span class="cloze">[year]</span>.'
    assert card_text.faces("basic", "<i>x</i>", "y", is_html=True) == ("<i>x</i>", "y")  # imported Anki HTML
    assert card_text.preview("cloze", "Fell in {{c1::1453}} and {{c2::Mehmed}}.", "") == \
        ("Fell in [...] and Mehmed.", "1453")
    assert card_text.preview("basic", "<div>Front&amp;</div><style>p{}</style>", "b<br>c", is_html=True) == \
        ("Front&", "b c")


def test_the_reviewer_shows_a_generated_cloze_through_the_shared_faces(ctx):
    deck, cards, *_ = _waiting(ctx)
    decisions.accept(ctx, [("card", cards[0])])
    card = review.next_card(ctx, deck.id)
    assert card.id == cards[0]
    faces = review.faces(ctx, card)
    assert "[...]" in faces.question and '<span class="cloze">1453</span>' in faces.answer


def test_accept_then_undo_puts_every_kind_back_waiting(ctx):
    deck, cards, test_id, questions, note = _waiting(ctx)
    keys = [("card", cards[0]), ("test", test_id), ("note", note.id)]
    d = decisions.accept(ctx, keys, "A new deck")
    assert d.count == 5 and d.summary.startswith("Accepted 1 flashcard to “A new deck”, 3 questions")
    assert study_repo.cards(ctx.db, "active", ids=[cards[0]])[0].deck_name == "A new deck"
    assert practice_repo.get_test(ctx.db, test_id).status == "ready"
    undone = decisions.undo(ctx, d)
    assert sorted(undone.keys) == sorted([("card", cards[0]), ("note", note.id)]
                                         + [("question", q) for q in questions])
    back = study_repo.cards(ctx.db, "pending", ids=[cards[0]])[0]
    assert back.deck_id == deck.id  # back in the deck it came from
    assert study_repo.deck_named(ctx.db, "A new deck", create=False) is None  # the deck the accept made went
    test = practice_repo.get_test(ctx.db, test_id)
    assert test.status == "draft" and test.pending == 3
    assert study_repo.get_note(ctx.db, note.id).status == "pending"


def test_a_card_studied_since_its_accept_stays(ctx):
    deck, cards, *_ = _waiting(ctx)
    d = decisions.accept(ctx, [("card", cards[1])])
    review.answer(ctx, cards[1], 3)
    with pytest.raises(UserError, match="studied or deleted since"):
        decisions.undo(ctx, d)
    assert study_repo.cards(ctx.db, "active", ids=[cards[1]])


def test_reject_then_undo_brings_items_back_in_place(ctx):
    deck, cards, test_id, questions, note = _waiting(ctx)
    d = decisions.reject(ctx, [("card", cards[0]), ("test", test_id), ("note", note.id)])
    assert d.summary == "Rejected 5 items."
    assert study_repo.cards(ctx.db, None, ids=[cards[0]]) == [] and practice_repo.get_test(ctx.db, test_id) is None
    undone = decisions.undo(ctx, d)
    assert len(undone.keys) == 5
    card = study_repo.cards(ctx.db, "pending", ids=[cards[0]])[0]  # its old id, so its old place in the list
    assert card.front == "Constantinople fell in {{c1::1453}}." and card.source_quote == "It fell in 1453."
    test = practice_repo.get_test(ctx.db, test_id)
    assert test.status == "draft" and test.pending == 3
    restored = practice_repo.questions(ctx.db, test_id)
    assert [q.prompt for q in restored][0] == "When did Constantinople fall?" and restored[0].choices[1] == "1453"
    assert study_repo.get_note(ctx.db, note.id).status == "pending"


def test_rejecting_some_questions_of_a_test_and_undoing(ctx):
    _, _, test_id, questions, _ = _waiting(ctx)
    decisions.accept(ctx, [("question", questions[0])])
    d = decisions.reject(ctx, [("question", q) for q in questions[1:]])
    assert practice_repo.get_test(ctx.db, test_id).status == "ready"  # nothing left to review
    decisions.undo(ctx, d)
    test = practice_repo.get_test(ctx.db, test_id)
    assert test.status == "draft" and (test.active, test.pending) == (1, 2)
