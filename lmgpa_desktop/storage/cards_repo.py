"""Decks, cards and the review queue (the review log: review_logs_repo; the card browser: card_browse_repo)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, and_, case, delete, exists, func, insert, literal, literal_column, or_, select, update

from lmgpa_desktop.storage.base import new_uuid, utcnow
from lmgpa_desktop.storage.capture_functions import enabled_in
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Card, Deck, ReviewLog

# New cards have no FSRS due date; their `due` holds a queue position far in the future instead, so the
# due-range scans for learning and review cards (on the (status, due) and (deck_id, due) indexes) never
# walk over them, and the next new card is one index seek away (Anki keeps new cards apart the same way).
NEW_BASE = datetime(3000, 1, 1, tzinfo=UTC)
LIVE_STATUS = "active"
LEARNING_STATES = (1, 3)  # FSRS learning and relearning
REVIEW_STATE = 2
STATE_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review")


@dataclass(frozen=True)
class DeckRecord:
    """A deck as plain data."""

    id: int
    uuid: str
    name: str
    description: str | None
    course_id: int | None
    new_per_day: int
    anki_deck_id: int | None
    media_dir: str | None
    created_at: datetime
    deleted_at: datetime | None


@dataclass(frozen=True)
class DeckCounts:
    """What a deck has for today: learning and review cards due, new cards still allowed, and its size."""

    deck_id: int
    name: str
    new_per_day: int
    learning: int
    review: int
    new: int  # new cards that can still be studied today (limited by new_per_day)
    new_seen_today: int

    @property
    def due(self) -> int:
        """Learning plus review cards due today."""
        return self.learning + self.review


@dataclass(frozen=True)
class CardRecord:
    """A card as plain data, with its FSRS state."""

    id: int
    uuid: str
    deck_id: int
    kind: str
    front: str
    back: str
    tags: str
    source_id: int | None
    source_page: int | None
    source_start_s: float | None
    source_end_s: float | None
    source_quote: str | None
    anki_guid: str | None
    anki_model: str | None
    anki_fields: list | None
    anki_ord: int | None
    suspended: bool
    status: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    created_at: datetime
    deleted_at: datetime | None

    @property
    def is_new(self) -> bool:
        """Never answered (FSRS state 0 here)."""
        return self.state == 0


def _deck(d: Deck) -> DeckRecord:
    return DeckRecord(d.id, d.uuid, d.name, d.description, d.course_id, d.new_per_day, d.anki_deck_id, d.media_dir,
                      d.created_at, d.deleted_at)


def _card(c: Card) -> CardRecord:
    return CardRecord(c.id, c.uuid, c.deck_id, c.kind, c.front, c.back, c.tags, c.source_id, c.source_page,
                      c.source_start_s, c.source_end_s, c.source_quote, c.anki_guid, c.anki_model, c.anki_fields,
                      c.anki_ord, bool(c.suspended), c.status, c.state, c.step, c.stability, c.difficulty, c.due,
                      c.last_review, c.created_at, c.deleted_at)


def _live_in(deck_ids: list[int] | None) -> list:
    """Cards that can be studied (active, not suspended, not deleted), in some decks or all.

    With decks given, the status column is written as `+status`: SQLite's documented way to keep the planner
    off an index, so it walks (deck_id, due) instead of scanning every active card through (status, due).
    """
    status = literal_column("+cards.status", String) if deck_ids is not None else Card.status
    cond = [status == LIVE_STATUS, Card.deleted_at.is_(None), Card.suspended.is_(False)]
    if deck_ids is not None:
        cond.append(Card.deck_id.in_(deck_ids))
    return cond


def clean_tags(tags: str | Iterable[str]) -> str:
    """Tags as Anki stores them: unique, space-separated, no empty ones."""
    words = tags.replace(",", " ").split() if isinstance(tags, str) else [t for tag in tags for t in tag.split()]
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(word.strip(), None)
    return " ".join(w for w in seen if w)


# -- decks ---------------------------------------------------------------------------------------------------
def create_deck(db: Database, name: str, **fields) -> DeckRecord:
    """Add a deck."""
    name = name.strip()
    if not name:
        raise ValueError("a deck needs a name")
    with db.write() as s:
        deck = Deck(name=name, **fields)
        s.add(deck)
        s.flush()
        return _deck(deck)


def get_deck(db: Database, deck_id: int) -> DeckRecord | None:
    """One deck (also a deleted one), or None."""
    with db.read() as s:
        deck = s.get(Deck, deck_id)
        return _deck(deck) if deck else None


def deck_named(db: Database, name: str) -> DeckRecord | None:
    """The live deck with this name (case-insensitive)."""
    with db.read() as s:
        deck = s.scalars(select(Deck).where(func.lower(Deck.name) == name.strip().lower(), Deck.deleted_at.is_(None))
                         .order_by(Deck.id)).first()
        return _deck(deck) if deck else None


def decks(db: Database) -> list[DeckRecord]:
    """Live decks by name."""
    with db.read() as s:
        return [_deck(d) for d in s.scalars(select(Deck).where(Deck.deleted_at.is_(None))
                                             .order_by(func.lower(Deck.name), Deck.id))]


def update_deck(db: Database, deck_id: int, **fields) -> DeckRecord:
    """Change fields of a deck (name, new_per_day, description, media_dir, ...)."""
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ValueError("a deck needs a name")
    with db.write() as s:
        deck = s.get(Deck, deck_id)
        if deck is None or deck.deleted_at is not None:
            raise ValueError(f"there is no deck {deck_id}")
        for key, value in fields.items():
            setattr(deck, key, value)
        s.flush()
        return _deck(deck)


def delete_deck(db: Database, deck_id: int) -> str:
    """Delete a deck: for good when none of its cards was reviewed, else as tombstones; returns which."""
    with db.write() as s:
        reviewed = select(ReviewLog.card_id).join(Card, Card.id == ReviewLog.card_id).where(Card.deck_id == deck_id)
        if not enabled_in(s) and not s.execute(reviewed.limit(1)).first():
            s.execute(delete(Card).where(Card.deck_id == deck_id))
            s.execute(delete(Deck).where(Deck.id == deck_id))
            return "deleted"
        now = utcnow()
        has_log = exists().where(ReviewLog.card_id == Card.id)
        if not enabled_in(s):
            s.execute(delete(Card).where(Card.deck_id == deck_id, ~has_log))
        s.execute(update(Card).where(Card.deck_id == deck_id, Card.deleted_at.is_(None))
                  .values(deleted_at=now, updated_at=now))
        s.execute(update(Deck).where(Deck.id == deck_id).values(deleted_at=now, updated_at=now))
        return "tombstoned"


def new_seen_since(db: Database, since: datetime, deck_ids: list[int] | None = None) -> dict[int, int]:
    """New cards introduced since a moment, per deck: answered from state 0 and not undone (still not new)."""
    with db.read() as s:
        q = (select(Card.deck_id, func.count(func.distinct(ReviewLog.card_id)))
             .join(Card, Card.id == ReviewLog.card_id)
             .where(ReviewLog.reviewed_at >= since, ReviewLog.rating > 0, ReviewLog.state_before == 0,
                    Card.state != 0).group_by(Card.deck_id))
        if deck_ids is not None:
            q = q.where(Card.deck_id.in_(deck_ids))
        return dict(s.execute(q).all())


def deck_counts(db: Database, now: datetime, day_start: datetime, day_end: datetime,
                deck_ids: list[int] | None = None) -> list[DeckCounts]:
    """Due and new counts per live deck for the day [day_start, day_end), counted in SQL on (deck_id, due) ranges."""
    seen = new_seen_since(db, day_start, deck_ids)
    out = []
    with db.read() as s:
        q = select(Deck).where(Deck.deleted_at.is_(None)).order_by(func.lower(Deck.name), Deck.id)
        if deck_ids is not None:
            q = q.where(Deck.id.in_(deck_ids))
        for deck in s.scalars(q).all():
            live = _live_in([deck.id])
            learning, review = s.execute(select(
                func.count().filter(Card.state.in_(LEARNING_STATES)),
                func.count().filter(Card.state == REVIEW_STATE)).where(*live, Card.due < day_end)).one()
            remaining = max(0, deck.new_per_day - seen.get(deck.id, 0))
            new = 0
            if remaining:
                # New cards made with an ordinary due (at most now), then queued ones up to the limit only.
                early = s.scalar(select(func.count()).where(*live, Card.due <= now, Card.state == 0))
                queued = (select(literal(1)).where(*live, Card.due >= NEW_BASE, Card.state == 0)
                          .limit(remaining).subquery())
                new = min(remaining, early + s.scalar(select(func.count()).select_from(queued)))
            out.append(DeckCounts(deck.id, deck.name, deck.new_per_day, learning, review, new,
                                  seen.get(deck.id, 0)))
    return out


def deck_sizes(db: Database) -> dict[int, int]:
    """Active, undeleted cards per deck (one pass over the table: for deck lists, not per answer)."""
    with db.read() as s:
        return dict(s.execute(select(Card.deck_id, func.count()).where(Card.deleted_at.is_(None),
                                                                        Card.status == LIVE_STATUS)
                              .group_by(Card.deck_id)).all())


# -- cards ---------------------------------------------------------------------------------------------------
def _next_position(s) -> datetime:
    """The queue position after the last new card (a due in the NEW_BASE range)."""
    last = None
    for status in (LIVE_STATUS, "pending"):
        got = s.scalar(select(Card.due).where(Card.status == status, Card.due >= NEW_BASE)
                       .order_by(Card.due.desc()).limit(1))
        if got and (last is None or got > last):
            last = got
    return (last + timedelta(seconds=1)) if last else NEW_BASE


def create_card(db: Database, deck_id: int, front: str, back: str = "", **fields) -> CardRecord:
    """Add a card; a new one (state 0) joins the end of the new-card queue."""
    if "tags" in fields:
        fields["tags"] = clean_tags(fields["tags"])
    with db.write() as s:
        if s.get(Deck, deck_id) is None:
            raise ValueError(f"there is no deck {deck_id}")
        if fields.get("state", 0) == 0 and "due" not in fields:
            fields["due"] = _next_position(s)
        card = Card(deck_id=deck_id, front=front, back=back, **fields)
        s.add(card)
        s.flush()
        return _card(card)


def get_card(db: Database, card_id: int) -> CardRecord | None:
    """One card (also a deleted one), or None."""
    with db.read() as s:
        card = s.get(Card, card_id)
        return _card(card) if card else None


def cards_of_deck(db: Database, deck_id: int, include_pending: bool = False) -> list[CardRecord]:
    """Live cards of a deck, oldest first."""
    statuses = (LIVE_STATUS, "pending") if include_pending else (LIVE_STATUS,)
    with db.read() as s:
        q = (select(Card).where(Card.deck_id == deck_id, Card.deleted_at.is_(None), Card.status.in_(statuses))
             .order_by(Card.id))
        return [_card(c) for c in s.scalars(q)]


def cards_by_guid(db: Database, guid: str) -> list[CardRecord]:
    """Live cards of one Anki note, by template ordinal."""
    with db.read() as s:
        q = select(Card).where(Card.anki_guid == guid, Card.deleted_at.is_(None)).order_by(Card.anki_ord, Card.id)
        return [_card(c) for c in s.scalars(q)]


def update_card(db: Database, card_id: int, **fields) -> CardRecord:
    """Change fields of a card (content, deck, tags, suspended, status, scheduling)."""
    if "tags" in fields:
        fields["tags"] = clean_tags(fields["tags"])
    with db.write() as s:
        card = s.get(Card, card_id)
        if card is None or card.deleted_at is not None:
            raise ValueError(f"there is no card {card_id}")
        if "deck_id" in fields and s.get(Deck, fields["deck_id"]) is None:
            raise ValueError(f"there is no deck {fields['deck_id']}")
        if fields.get("state") == 0 and card.state != 0 and "due" not in fields:
            fields["due"] = _next_position(s)  # a card reset to new goes to the end of the new queue
        for key, value in fields.items():
            setattr(card, key, value)
        s.flush()
        return _card(card)


def set_tags(db: Database, card_id: int, tags: str | Iterable[str]) -> CardRecord:
    """Replace a card's tags."""
    return update_card(db, card_id, tags=tags)


def all_tags(db: Database) -> list[str]:
    """Every tag used by a live card, sorted."""
    found: set[str] = set()
    with db.read() as s:
        for (tags,) in s.execute(select(Card.tags).where(Card.deleted_at.is_(None), Card.tags != "").distinct()):
            found.update(tags.split())
    return sorted(found, key=str.lower)


def delete_card(db: Database, card_id: int) -> str:
    """Delete a card: for good when it was never reviewed, else as a tombstone (its log must stay); returns which."""
    with db.write() as s:
        card = s.get(Card, card_id)
        if card is None:
            raise ValueError(f"there is no card {card_id}")
        if enabled_in(s) or s.execute(select(ReviewLog.id).where(ReviewLog.card_id == card_id).limit(1)).first():
            card.deleted_at = utcnow()
            return "tombstoned"
        s.delete(card)
        return "deleted"


# -- review queue --------------------------------------------------------------------------------------------
def next_due(db: Database, now: datetime, day_end: datetime, deck_ids: list[int] | None = None) -> int | None:
    """The card to study first among learning cards due now and review cards due today (learning first)."""
    q = (select(Card.id).where(*_live_in(deck_ids), Card.due < day_end,
                               or_(and_(Card.state.in_(LEARNING_STATES), Card.due <= now), Card.state == REVIEW_STATE))
         .order_by(case((Card.state == REVIEW_STATE, 1), else_=0), Card.due, Card.id).limit(1))
    with db.read() as s:
        return s.scalar(q)


def next_new(db: Database, deck_ids: list[int], now: datetime) -> int | None:
    """The first new card of the given decks in queue order (each deck is one or two index seeks)."""
    best: tuple[datetime, int] | None = None
    with db.read() as s:
        for deck_id in deck_ids:
            live = _live_in([deck_id])
            # Cards made with an ordinary due (at most now) come first: they are older than any queue position.
            row = s.execute(select(Card.due, Card.id).where(*live, Card.due <= now, Card.state == 0)
                            .order_by(Card.due, Card.id).limit(1)).first()
            if row is None:
                row = s.execute(select(Card.due, Card.id).where(*live, Card.due >= NEW_BASE, Card.state == 0)
                                .order_by(Card.due, Card.id).limit(1)).first()
            if row is not None and (best is None or tuple(row) < best):
                best = tuple(row)
    return best[1] if best else None


def next_learning_ahead(db: Database, until: datetime, deck_ids: list[int] | None = None) -> int | None:
    """The learning card due soonest before `until` (studied early when nothing else is left)."""
    with db.read() as s:
        return s.scalar(select(Card.id).where(*_live_in(deck_ids), Card.due <= until,
                                              Card.state.in_(LEARNING_STATES)).order_by(Card.due, Card.id).limit(1))


def next_learning_due(db: Database, deck_ids: list[int] | None = None) -> datetime | None:
    """When the next learning card comes back."""
    with db.read() as s:
        return s.scalar(select(func.min(Card.due)).where(*_live_in(deck_ids), Card.due < NEW_BASE,
                                                         Card.state.in_(LEARNING_STATES)))


# -- bulk insert and Anki re-import --------------------------------------------------------------------------
def bulk_insert_cards(db: Database, rows: list[dict]) -> int:
    """Insert many cards in one transaction (imports, benchmarks); new ones get consecutive queue positions."""
    if not rows:
        return 0
    now = utcnow()
    with db.write() as s:
        position = _next_position(s)
        prepared = []
        for row in rows:
            row = {"kind": "basic", "back": "", "tags": "", "suspended": False, "status": LIVE_STATUS, "state": 0,
                   **row}
            if row["state"] == 0 and row.get("due") is None:
                row["due"] = position
                position += timedelta(seconds=1)
            row.setdefault("uuid", new_uuid())
            row.setdefault("created_at", now)
            row.setdefault("updated_at", now)
            row["tags"] = clean_tags(row["tags"])
            prepared.append(row)
        for start in range(0, len(prepared), 5000):
            s.execute(insert(Card), prepared[start:start + 5000])
        return len(prepared)


def import_notes(db: Database, cards: list[dict]) -> tuple[int, int, dict[tuple[str, int], int]]:
    """Add or update imported cards keyed by (anki_guid, anki_ord) in one transaction.

    A card already here (same GUID, or a GUID that is one of our card uuids, from our own export) gets its
    content updated and keeps its scheduling unless it was never studied here. Returns (added, updated,
    {(guid, ord): card id}).
    """
    added = updated = 0
    ids: dict[tuple[str, int], int] = {}
    content = ("front", "back", "tags", "kind", "anki_model", "anki_fields", "anki_guid", "anki_ord")
    with db.write() as s:
        guids = sorted({c["anki_guid"] for c in cards})
        existing: dict[tuple[str, int], Card] = {}
        for start in range(0, len(guids), 500):
            chunk = guids[start:start + 500]
            for card in s.scalars(select(Card).where(or_(Card.anki_guid.in_(chunk), Card.uuid.in_(chunk)))):
                key = (card.anki_guid or card.uuid, card.anki_ord or 0)
                if key not in existing or existing[key].deleted_at is not None:
                    existing[key] = card
        position = _next_position(s)
        fresh = []
        for row in cards:
            key = (row["anki_guid"], row.get("anki_ord") or 0)
            row = {**row, "tags": clean_tags(row.get("tags", ""))}
            card = existing.get(key)
            if card is None:
                if row.get("state", 0) == 0:
                    row["due"] = position
                    position += timedelta(seconds=1)
                fresh.append(Card(**row))
                continue
            for field in content:
                if field in row:
                    setattr(card, field, row[field])
            card.deleted_at = None  # importing a deleted note again brings it back
            if card.state == 0 and card.last_review is None and row.get("state", 0) != 0:
                for field in (*STATE_FIELDS, "sched_base"):  # sched_base: where a sync replay starts
                    setattr(card, field, row.get(field))
            ids[key] = card.id
            updated += 1
        s.add_all(fresh)
        s.flush()
        for card in fresh:
            ids[(card.anki_guid, card.anki_ord or 0)] = card.id
        added = len(fresh)
    return added, updated, ids
