"""Deciding on generated items waiting for review (accept or reject), with what it takes to take a decision back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study.items import drafts
from lmgpa_desktop.storage import drafts_restore_repo as restore
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage import study_repo
from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.practice_repo import QuestionRow, TestRow
from lmgpa_desktop.storage.study_repo import CardRow, NoteRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

Key = tuple[str, int | None]  # ("card" | "question" | "test" | "note", id)


@dataclass(frozen=True)
class Decision:
    """What was decided, in words, and the items as they were before (to take the decision back)."""

    verb: str  # "accept" or "reject"
    summary: str  # "Accepted 2 flashcards to “Biology”."
    at: datetime
    cards: tuple[CardRow, ...] = ()
    questions: tuple[QuestionRow, ...] = ()
    tests: tuple[TestRow, ...] = ()  # the tests those questions belong to, before
    notes: tuple[NoteRow, ...] = ()
    new_deck_id: int | None = None  # a deck the accept created
    count: int = 0  # items decided


@dataclass(frozen=True)
class Undone:
    """A decision taken back: what the student reads, and the items waiting again (ids may be new)."""

    summary: str
    keys: list[Key] = field(default_factory=list)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _snapshot(ctx: AppContext, keys: list[Key]) -> tuple[list[CardRow], list[QuestionRow], list[TestRow],
                                                         list[NoteRow]]:
    """The waiting items the keys name (a test's key: its waiting questions), as they are now."""
    card_ids = list(dict.fromkeys(i for k, i in keys if k == "card"))
    question_ids = [i for k, i in keys if k == "question"]
    for test_id in dict.fromkeys(i for k, i in keys if k == "test"):
        question_ids += [q.id for q in practice_repo.questions(ctx.db, test_id, status="pending")]
    question_ids = list(dict.fromkeys(question_ids))
    cards = study_repo.cards(ctx.db, "pending", ids=card_ids) if card_ids else []
    questions = ([q for q in practice_repo.questions(ctx.db, ids=question_ids) if q.status == "pending"]
                 if question_ids else [])
    tests = [t for t in (practice_repo.get_test(ctx.db, i) for i in dict.fromkeys(q.test_id for q in questions))
             if t is not None]
    note_ids = list(dict.fromkeys(i for k, i in keys if k == "note"))
    notes = [n for n in (study_repo.get_note(ctx.db, i) for i in note_ids) if n is not None and n.status == "pending"]
    return cards, questions, tests, notes


def accept(ctx: AppContext, keys: list[Key], deck: str | None = None) -> Decision:
    """Accept items: cards join `deck` (a name, created when new; None: where generation put them), questions
    their test (a test's key: all its waiting questions), notes the notes."""
    cards, questions, tests, notes = _snapshot(ctx, keys)
    deck = deck.strip() if deck and deck.strip() else None
    new_deck = cards and deck is not None and study_repo.deck_named(ctx.db, deck, create=False) is None
    parts = []
    if cards:
        n = drafts.accept_cards(ctx, [c.id for c in cards], deck)
        parts.append(_plural(n, "flashcard") + (f" to “{deck}”" if deck else ""))
    if questions:
        n = drafts.accept_questions(ctx, [q.id for q in questions])
        parts.append(_plural(n, "question") + (f" into “{tests[0].title}”" if len(tests) == 1 else ""))
    for note in notes:
        drafts.accept_note(ctx, note.id)
    if notes:
        parts.append(_plural(len(notes), "note"))
    made = study_repo.deck_named(ctx.db, deck, create=False) if new_deck else None
    return Decision("accept", "Accepted " + ", ".join(parts) + "." if parts else "", utcnow(), tuple(cards),
                    tuple(questions), tuple(tests), tuple(notes), made.id if made else None,
                    len(cards) + len(questions) + len(notes))


def reject(ctx: AppContext, keys: list[Key]) -> Decision:
    """Reject (delete) items (a test's key: all its waiting questions); they can be brought back with undo()."""
    cards, questions, tests, notes = _snapshot(ctx, keys)
    n = 0
    if cards:
        n += drafts.reject_cards(ctx, [c.id for c in cards])
    if questions:
        n += drafts.reject_questions(ctx, [q.id for q in questions])
    for note in notes:
        drafts.reject_note(ctx, note.id)
        n += 1
    return Decision("reject", f"Rejected {_plural(n, 'item')}." if n else "", utcnow(), tuple(cards),
                    tuple(questions), tuple(tests), tuple(notes), None, n)


def undo(ctx: AppContext, decision: Decision) -> Undone:
    """Take a decision back: accepted items wait for review again (unless studied since), rejected ones return."""
    if decision.verb == "accept":
        return _unaccept(ctx, decision)
    return _unreject(ctx, decision)


def _unaccept(ctx: AppContext, d: Decision) -> Undone:
    keys: list[Key] = []
    kept = 0
    if d.cards:
        back = restore.unaccept_cards(ctx.db, {c.id: c.deck_id for c in d.cards})
        keys += [("card", i) for i in back]
        kept += len(d.cards) - len(back)
        if d.new_deck_id is not None:
            restore.remove_deck_if_empty(ctx.db, d.new_deck_id)
    if d.questions:
        taken = {t.id for t in d.tests if any(a.started_at >= d.at for a in practice_repo.attempts(ctx.db, t.id))}
        back_q = [q.id for q in d.questions if q.test_id not in taken]
        kept += len(d.questions) - len(back_q)
        practice_repo.set_question_status(ctx.db, back_q, "pending")
        for t in d.tests:
            if t.id not in taken and practice_repo.get_test(ctx.db, t.id) is not None:
                practice_repo.update_test(ctx.db, t.id, status=t.status)
        keys += [("question", i) for i in back_q]
    for note in d.notes:
        if study_repo.get_note(ctx.db, note.id) is not None:
            study_repo.update_note(ctx.db, note.id, status="pending")
            keys.append(("note", note.id))
        else:
            kept += 1
    if not keys:
        raise UserError("those items were studied or deleted since, so accepting them cannot be undone")
    text = f"Undone: {_plural(len(keys), 'item')} wait for review again."
    if kept:
        text += f" {_plural(kept, 'item')} studied or deleted since stayed as they are."
    return Undone(text, keys)


def _unreject(ctx: AppContext, d: Decision) -> Undone:
    keys: list[Key] = []
    try:
        if d.cards:
            keys += [("card", i) for i in restore.restore_cards(ctx.db, list(d.cards))]
    except KeyError:
        raise UserError("the deck of those cards was deleted since, so they cannot come back") from None
    if d.questions:
        open_tests = {t.id for t in d.tests if restore.reopen_test(ctx.db, t.id)}
        rows = [q for q in d.questions if q.test_id in open_tests]
        keys += [("question", i) for i in restore.restore_questions(ctx.db, rows)]
    for note in d.notes:
        keys.append(("note", restore.restore_note(ctx.db, note)))
    if not keys:
        raise UserError("those items cannot come back: what they belonged to was deleted since")
    return Undone(f"Undone: {_plural(len(keys), 'item')} wait for review again.", keys)
