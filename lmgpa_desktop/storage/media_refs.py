"""Every file and folder the database points to (sources, recordings, photos, Anki media), for the media check."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Card, Deck, Photo, Recording, RecordingSegment, Source

# A recording still being written has an open segment no row names yet: its whole folder is in use.
ACTIVE_RECORDING_STATES = ("recording", "paused")
CARD_BATCH = 2000


def file_references(db: Database) -> list[tuple[str, int, str]]:
    """(what, row id, path) of every file a row points to; trashed sources too, as they can be restored."""
    with db.read() as s:
        out = [("source", i, p) for i, p in s.execute(select(Source.id, Source.stored_path)
                                                     .where(Source.stored_path.is_not(None)))]
        out += [("recording segment", i, p) for i, p in s.execute(select(RecordingSegment.id, RecordingSegment.path))]
        out += [("photo", i, p) for i, p in s.execute(select(Photo.id, Photo.path))]
    return out


def folder_references(db: Database) -> list[tuple[str, int, str]]:
    """(what, row id, folder) of folders whose whole content is in use: Anki decks' media, recordings being made."""
    with db.read() as s:
        out = [("deck media folder", i, p) for i, p in s.execute(
            select(Deck.id, Deck.media_dir).where(Deck.media_dir.is_not(None), Deck.deleted_at.is_(None)))]
        out += [("recording folder", i, p) for i, p in s.execute(
            select(Recording.id, Recording.directory).where(Recording.state.in_(ACTIVE_RECORDING_STATES)))]
    return out


def card_texts_with_media(db: Database) -> Iterator[tuple[int, str, str, str]]:
    """(card id, deck media folder, front, back) of live cards in decks that have a media folder, in batches."""
    after = 0
    while True:
        with db.read() as s:
            rows = s.execute(select(Card.id, Deck.media_dir, Card.front, Card.back)
                             .join(Deck, Deck.id == Card.deck_id)
                             .where(Deck.media_dir.is_not(None), Deck.deleted_at.is_(None),
                                    Card.deleted_at.is_(None), Card.id > after)
                             .order_by(Card.id).limit(CARD_BATCH)).all()
        if not rows:
            return
        yield from (tuple(r) for r in rows)
        after = rows[-1][0]
