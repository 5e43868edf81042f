"""Notes and generated cards waiting for review (practice tests and their attempts: practice_repo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from lmgpa_desktop.storage.base import change_row, live_row, utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import (
    Card, Chunk, Deck, Note, Source, )
from lmgpa_desktop.storage.search_repo import ChunkRow


# -- plain rows --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoteRow:
    """A note as plain data; source_refs are dicts {source_id, page_no, start_s, end_s, quote}."""

    id: int
    uuid: str
    title: str
    body_md: str
    course_id: int | None
    source_refs: list[dict]
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class DeckRow:
    """A deck as plain data."""

    id: int
    name: str
    course_id: int | None


@dataclass(frozen=True)
class CardDraft:
    """A card to store, with the passage that supports it."""

    kind: str
    front: str
    back: str
    source_id: int | None = None
    source_page: int | None = None
    source_start_s: float | None = None
    source_end_s: float | None = None
    source_quote: str | None = None
    tags: str = ""


@dataclass(frozen=True)
class CardRow:
    """A card's content and source link (its schedule belongs to the review code)."""

    id: int
    deck_id: int
    deck_name: str
    kind: str
    front: str
    back: str
    tags: str
    status: str
    source_id: int | None
    source_page: int | None
    source_start_s: float | None
    source_end_s: float | None
    source_quote: str | None
    created_at: datetime


def _note(n: Note) -> NoteRow:
    return NoteRow(n.id, n.uuid, n.title, n.body_md or "", n.course_id, list(n.source_refs or []), n.status,
                   n.created_at, n.updated_at)


def _card(c: Card, deck_name: str) -> CardRow:
    return CardRow(c.id, c.deck_id, deck_name, c.kind, c.front, c.back or "", c.tags or "", c.status, c.source_id,
                   c.source_page, c.source_start_s, c.source_end_s, c.source_quote, c.created_at)


# -- passages to generate from -----------------------------------------------------------------------------------
def source_chunks(db: Database, source_ids: list[int]) -> list[ChunkRow]:
    """Passages of live sources in reading order (source by source, as listed)."""
    if not source_ids:
        return []
    with db.read() as s:
        rows = s.execute(select(Chunk, Source.title, Source.kind).join(Source, Source.id == Chunk.source_id)
                         .where(Chunk.source_id.in_(source_ids), Source.deleted_at.is_(None))
                         .order_by(Chunk.source_id, Chunk.ordinal)).all()
        by_source: dict[int, list[ChunkRow]] = {}
        for c, title, kind in rows:
            by_source.setdefault(c.source_id, []).append(
                ChunkRow(c.id, c.source_id, title, kind, c.text, c.page_no, c.start_s, c.end_s, c.region))
    return [chunk for sid in source_ids for chunk in by_source.get(sid, [])]


# -- notes -------------------------------------------------------------------------------------------------------
def create_note(db: Database, title: str, body_md: str, source_refs: list[dict] | None = None,
                status: str = "active", course_id: int | None = None) -> NoteRow:
    """Add a note."""
    with db.write() as s:
        n = Note(title=title, body_md=body_md, source_refs=source_refs or [], status=status, course_id=course_id)
        s.add(n)
        s.flush()
        return _note(n)


def get_note(db: Database, note_id: int) -> NoteRow | None:
    """One live note, or None."""
    with db.read() as s:
        n = live_row(s, Note, note_id)
        return _note(n) if n is not None else None


def notes(db: Database, status: str | None = "active") -> list[NoteRow]:
    """Live notes (of one status, or all), most recently changed first."""
    with db.read() as s:
        q = select(Note).where(Note.deleted_at.is_(None)).order_by(Note.updated_at.desc(), Note.id.desc())
        if status is not None:
            q = q.where(Note.status == status)
        return [_note(n) for n in s.scalars(q)]


def update_note(db: Database, note_id: int, **fields) -> NoteRow:
    """Change a note's title, body, references, class or status."""
    with db.write() as s:
        n = change_row(s, Note, note_id, fields)
        return _note(n)


def delete_note(db: Database, note_id: int, hard: bool = False) -> None:
    """Remove a note: a tombstone (so the deletion can sync), or for good when it never left review."""
    with db.write() as s:
        n = s.get(Note, note_id)
        if n is None:
            return
        if hard:
            s.delete(n)
        else:
            n.deleted_at = utcnow()


# -- decks and generated cards -----------------------------------------------------------------------------------
def deck_named(db: Database, name: str, create: bool = True) -> DeckRow | None:
    """The live deck with this name (created when missing and create is set)."""
    with db.write() as s:
        d = s.scalars(select(Deck).where(Deck.name == name, Deck.deleted_at.is_(None)).order_by(Deck.id)).first()
        if d is None and create:
            d = Deck(name=name)
            s.add(d)
            s.flush()
        return DeckRow(d.id, d.name, d.course_id) if d is not None else None


def get_deck(db: Database, deck_id: int) -> DeckRow | None:
    """One live deck, or None."""
    with db.read() as s:
        d = live_row(s, Deck, deck_id)
        return DeckRow(d.id, d.name, d.course_id) if d is not None else None


def add_cards(db: Database, deck_id: int, drafts: list[CardDraft], status: str = "pending") -> list[int]:
    """Store cards in a deck (new, unscheduled); returns their ids."""
    with db.write() as s:
        rows = [Card(deck_id=deck_id, kind=d.kind, front=d.front, back=d.back, tags=d.tags, source_id=d.source_id,
                     source_page=d.source_page, source_start_s=d.source_start_s, source_end_s=d.source_end_s,
                     source_quote=d.source_quote, status=status) for d in drafts]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def cards(db: Database, status: str | None = "pending", deck_id: int | None = None,
          ids: list[int] | None = None) -> list[CardRow]:
    """Live cards by status, deck or ids, oldest first."""
    with db.read() as s:
        q = (select(Card, Deck.name).join(Deck, Deck.id == Card.deck_id).where(Card.deleted_at.is_(None))
             .order_by(Card.id))
        if status is not None:
            q = q.where(Card.status == status)
        if deck_id is not None:
            q = q.where(Card.deck_id == deck_id)
        if ids is not None:
            q = q.where(Card.id.in_(ids))
        return [_card(c, name) for c, name in s.execute(q)]


def card_texts(db: Database, deck_id: int) -> list[tuple[str, str]]:
    """(front, back) of every live card of a deck, to recognise a card made twice."""
    with db.read() as s:
        rows = s.execute(select(Card.front, Card.back).where(Card.deck_id == deck_id, Card.deleted_at.is_(None)))
        return [(r[0], r[1] or "") for r in rows]


def update_card(db: Database, card_id: int, **fields) -> CardRow:
    """Change a card's content, status or deck."""
    with db.write() as s:
        c = change_row(s, Card, card_id, fields)
        return _card(c, s.get(Deck, c.deck_id).name)


def activate_cards(db: Database, card_ids: list[int], deck_id: int | None = None) -> int:
    """Pending cards become active (due now, as new cards), optionally moved to another deck."""
    if not card_ids:
        return 0
    values = {"status": "active", "due": utcnow(), "updated_at": utcnow()}
    if deck_id is not None:
        values["deck_id"] = deck_id
    with db.write() as s:
        return s.execute(update(Card).where(Card.id.in_(card_ids), Card.status == "pending",
                                            Card.deleted_at.is_(None)).values(**values)).rowcount


def delete_pending_cards(db: Database, card_ids: list[int]) -> int:
    """Remove rejected cards for good (they were never studied, so nothing needs a tombstone)."""
    if not card_ids:
        return 0
    with db.write() as s:
        return s.execute(delete(Card).where(Card.id.in_(card_ids), Card.status == "pending")).rowcount
