"""Generated items waiting for review: the student accepts, edits or rejects cards, questions and notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.storage import study_repo
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.study_repo import CardRow
from lmgpa_desktop.storage.practice_repo import QuestionRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext


@dataclass(frozen=True)
class Pending:
    """Everything generated and not yet accepted or rejected."""

    cards: list[CardRow]
    tests: list[tuple[practice_repo.TestRow, list[QuestionRow]]]
    notes: list[study_repo.NoteRow]

    @property
    def empty(self) -> bool:
        """Nothing waits for review."""
        return not (self.cards or self.tests or self.notes)


def pending(ctx: AppContext) -> Pending:
    """Generated items waiting for review."""
    tests = [(t, practice_repo.questions(ctx.db, t.id, status="pending")) for t in practice_repo.tests(ctx.db, "draft")]
    return Pending(study_repo.cards(ctx.db, "pending"), [(t, q) for t, q in tests if q],
                   study_repo.notes(ctx.db, "pending"))


def accept_cards(ctx: AppContext, card_ids: list[int], deck: str | int | None = None) -> int:
    """Accepted cards become active in the chosen deck (by id or name, created when new; default: where they are)."""
    deck_id = None
    if isinstance(deck, int):
        if study_repo.get_deck(ctx.db, deck) is None:
            raise UserError("that deck no longer exists")
        deck_id = deck
    elif isinstance(deck, str) and deck.strip():
        deck_id = study_repo.deck_named(ctx.db, deck.strip()).id
    n = study_repo.activate_cards(ctx.db, card_ids, deck_id)
    if n:
        activity.record(ctx, "accept", amount=n, details={"what": "cards"})
    return n


def reject_cards(ctx: AppContext, card_ids: list[int]) -> int:
    """Rejected cards are deleted."""
    return study_repo.delete_pending_cards(ctx.db, card_ids)


def edit_card(ctx: AppContext, card_id: int, front: str, back: str) -> CardRow:
    """Change a card's wording (a cloze keeps its {{c1::...}} marks)."""
    front, back = front.strip(), back.strip()
    card = study_repo.cards(ctx.db, None, ids=[card_id])
    if not card:
        raise UserError("that card no longer exists")
    if not front or (card[0].kind == "basic" and not back):
        raise UserError("a card needs a question and an answer")
    if card[0].kind == "cloze" and not ex.cloze_answer(front):
        raise UserError("a cloze card needs a hidden part written like {{c1::answer}}")
    return study_repo.update_card(ctx.db, card_id, front=front, back=back)


def accept_questions(ctx: AppContext, question_ids: list[int]) -> int:
    """Accepted questions join their test; a test with nothing left to review becomes ready."""
    n = practice_repo.set_question_status(ctx.db, question_ids, "active")
    if n:
        activity.record(ctx, "accept", amount=n, details={"what": "questions"})
    for test_id in {q.test_id for q in practice_repo.questions(ctx.db, ids=question_ids)}:
        _settle(ctx, test_id)
    return n


def reject_questions(ctx: AppContext, question_ids: list[int]) -> int:
    """Rejected questions are deleted; a test with nothing left to review becomes ready (or goes, when empty)."""
    tests = {q.test_id for q in practice_repo.questions(ctx.db, ids=question_ids)}
    n = practice_repo.delete_pending_questions(ctx.db, question_ids)
    for test_id in tests:
        _settle(ctx, test_id)
    return n


def _settle(ctx: AppContext, test_id: int) -> None:
    test = practice_repo.get_test(ctx.db, test_id)
    if test is None or test.status != "draft" or test.pending:
        return
    if test.active:
        practice_repo.update_test(ctx.db, test_id, status="ready")
    else:
        practice_repo.delete_test(ctx.db, test_id)


def accept_test(ctx: AppContext, test_id: int) -> practice_repo.TestRow:
    """Accept every question of a draft test still waiting; the test becomes ready."""
    pending_ids = [q.id for q in practice_repo.questions(ctx.db, test_id, status="pending")]
    practice_repo.set_question_status(ctx.db, pending_ids, "active")
    if pending_ids:
        activity.record(ctx, "accept", amount=len(pending_ids), details={"what": "questions"})
    _settle(ctx, test_id)
    return practice_repo.get_test(ctx.db, test_id)


def edit_question(ctx: AppContext, question_id: int, prompt: str, answer: str, choices: list[str] | None = None,
                  explanation: str | None = None) -> QuestionRow:
    """Change a question's wording, answer key, choices or explanation."""
    prompt, answer = prompt.strip(), answer.strip()
    found = practice_repo.questions(ctx.db, ids=[question_id])
    if not found:
        raise UserError("that question no longer exists")
    if not prompt or not answer:
        raise UserError("a question needs a prompt and an answer")
    q = found[0]
    if q.kind == "mcq":
        choices = [c.strip() for c in (choices if choices is not None else q.choices or []) if c.strip()]
        if answer not in choices:
            raise UserError("the answer must be one of the choices")
    elif q.kind == "tf":
        if answer not in ("True", "False"):
            raise UserError("a true/false question's answer is True or False")
        choices = ["True", "False"]
    fields = {"prompt": prompt, "answer": answer, "choices": choices if q.kind != "short" else None}
    if explanation is not None:
        fields["explanation"] = explanation.strip() or None
    return practice_repo.update_question(ctx.db, question_id, **fields)


def accept_note(ctx: AppContext, note_id: int) -> study_repo.NoteRow:
    """A generated note joins the student's notes."""
    if study_repo.get_note(ctx.db, note_id) is None:
        raise UserError(f"note {note_id} does not exist (it may have been deleted)")
    note = study_repo.update_note(ctx.db, note_id, status="active")
    activity.record(ctx, "accept", course_id=note.course_id, ref_id=note.id, details={"what": "note"})
    return note


def reject_note(ctx: AppContext, note_id: int) -> None:
    """A generated note is deleted."""
    note = study_repo.get_note(ctx.db, note_id)
    if note is not None and note.status == "pending":
        study_repo.delete_note(ctx.db, note_id, hard=True)
