"""Taking back a decision on generated items: rejected (deleted) ones stored again, accepted ones waiting again."""

from __future__ import annotations

from sqlalchemy import select, update

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Card, Course, Deck, Note, PracticeTest, Question, Source
from lmgpa_desktop.storage.practice_repo import QuestionRow
from lmgpa_desktop.storage.study_repo import CardRow, NoteRow


def _free_id(s, model, row_id: int) -> int | None:
    """The old id when no row took it since (so the item returns to its place in the list), else None (a new one)."""
    return row_id if s.get(model, row_id) is None else None


def _existing(s, model, row_id: int | None) -> int | None:
    """The id when that row still exists (a source or class may have been deleted since the rejection)."""
    return row_id if row_id is not None and s.get(model, row_id) is not None else None


def restore_cards(db: Database, rows: list[CardRow]) -> list[int]:
    """Store rejected cards again as waiting for review, in their deck; their ids (KeyError: a deck is gone)."""
    with db.write() as s:
        made = []
        for r in rows:
            deck = s.get(Deck, r.deck_id)
            if deck is None or deck.deleted_at is not None:
                raise KeyError(r.deck_id)
            made.append(Card(id=_free_id(s, Card, r.id), deck_id=r.deck_id, kind=r.kind, front=r.front, back=r.back,
                             tags=r.tags, source_id=_existing(s, Source, r.source_id), source_page=r.source_page,
                             source_start_s=r.source_start_s, source_end_s=r.source_end_s,
                             source_quote=r.source_quote, status="pending"))
            s.add(made[-1])
            s.flush()
        return [c.id for c in made]


def unaccept_cards(db: Database, decks: dict[int, int]) -> list[int]:
    """Accepted cards never studied since wait for review again in the deck they were in (card id -> deck id);
    the ids that went back (a card answered since stays, its history is the student's)."""
    back = []
    with db.write() as s:
        for card_id, deck_id in decks.items():
            done = s.execute(update(Card).where(Card.id == card_id, Card.status == "active", Card.state == 0,
                                                Card.last_review.is_(None), Card.deleted_at.is_(None))
                             .values(status="pending", deck_id=deck_id, updated_at=utcnow())).rowcount
            if done:
                back.append(card_id)
    return back


def remove_deck_if_empty(db: Database, deck_id: int) -> bool:
    """Delete a deck that holds no card at all (one an accept made and its undo emptied); whether it went."""
    with db.write() as s:
        if s.execute(select(Card.id).where(Card.deck_id == deck_id).limit(1)).first():
            return False
        deck = s.get(Deck, deck_id)
        if deck is None:
            return False
        s.delete(deck)
        return True


def reopen_test(db: Database, test_id: int) -> bool:
    """A test becomes a draft again (brought back when rejecting its last questions deleted it); False: gone."""
    with db.write() as s:
        t = s.get(PracticeTest, test_id)
        if t is None:
            return False
        t.deleted_at, t.status, t.updated_at = None, "draft", utcnow()
        return True


def restore_questions(db: Database, rows: list[QuestionRow]) -> list[int]:
    """Store rejected questions again as waiting, in their test and place; their ids (reopen the test first)."""
    with db.write() as s:
        made = []
        for r in rows:
            made.append(Question(id=_free_id(s, Question, r.id), test_id=r.test_id, position=r.position, kind=r.kind,
                                 prompt=r.prompt, choices=r.choices, answer=r.answer, explanation=r.explanation,
                                 source_id=_existing(s, Source, r.source_id), source_page=r.source_page,
                                 source_start_s=r.source_start_s, source_end_s=r.source_end_s,
                                 source_quote=r.source_quote, status="pending"))
            s.add(made[-1])
            s.flush()
        return [q.id for q in made]


def restore_note(db: Database, row: NoteRow) -> int:
    """Store a rejected note again as waiting for review (same identity when free); its id."""
    with db.write() as s:
        taken = s.scalars(select(Note.id).where(Note.uuid == row.uuid)).first() is not None
        n = Note(id=_free_id(s, Note, row.id), title=row.title, body_md=row.body_md,
                 course_id=_existing(s, Course, row.course_id), source_refs=row.source_refs, status="pending")
        if not taken:
            n.uuid = row.uuid
        s.add(n)
        s.flush()
        return n.id
