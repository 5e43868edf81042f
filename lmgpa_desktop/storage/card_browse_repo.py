"""The card browser's rows and its bulk actions: search, filter, sort and count over every card; move, tag,
suspend and delete many cards at once, and put them back (undo)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, exists, func, insert, or_, select, true, update

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.capture_functions import enabled_in
from lmgpa_desktop.storage.cards_repo import LIVE_STATUS, clean_tags
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Card, Deck, ReviewLog


SORTS = ("due", "created", "ease", "interval", "deck", "front")
FIELDS = {"deck_id": Card.deck_id, "suspended": Card.suspended, "tags": Card.tags}  # what bulk actions change


@dataclass(frozen=True)
class BrowserRow:
    """One line of the card browser."""

    id: int
    deck_id: int
    deck: str
    kind: str
    front: str
    back: str
    tags: str
    state: int
    due: datetime
    created_at: datetime
    difficulty: float | None
    interval_days: float | None
    suspended: bool
    anki_ord: int | None = None
    is_html: bool = False  # an imported Anki card: front and back are HTML already


@dataclass(frozen=True)
class DeletedCards:
    """What a bulk delete removed: whole rows of never-reviewed cards, ids of tombstoned (reviewed) ones."""

    rows: tuple[dict, ...]
    tombstoned: tuple[int, ...]

    @property
    def count(self) -> int:
        """Cards deleted."""
        return len(self.rows) + len(self.tombstoned)


def _browse_filter(search: str, deck_id: int | None, status: str):
    """WHERE terms of the browser: words in front/back/tags (all must match), `tag:NAME`, a deck."""
    cond = [Card.deleted_at.is_(None), Card.status == status]
    if deck_id is not None:
        cond.append(Card.deck_id == deck_id)
    for word in search.split():
        if word.lower().startswith("tag:") and len(word) > 4:
            cond.append(_has_tag(word[4:]))
        else:
            pattern = f"%{_like(word)}%"
            cond.append(or_(Card.front.ilike(pattern, escape="\\"), Card.back.ilike(pattern, escape="\\"),
                            Card.tags.ilike(pattern, escape="\\")))
    return cond


def _has_tag(tag: str):
    """The card has this tag (case-insensitive, as in Anki)."""
    return (" " + Card.tags + " ").ilike(f"% {_like(tag)} %", escape="\\")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def browse(db: Database, search: str = "", deck_id: int | None = None, sort: str = "due", descending: bool = False,
           limit: int = 100, offset: int = 0, status: str = LIVE_STATUS) -> list[BrowserRow]:
    """One page of the card browser."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
    key = {"due": Card.due, "created": Card.id, "ease": Card.difficulty, "interval": _INTERVAL,
           "deck": func.lower(Deck.name), "front": Card.front}[sort]
    order = [key.desc() if descending else key.asc(), Card.id.desc() if descending else Card.id.asc()]
    q = _rows().where(*_browse_filter(search, deck_id, status)).order_by(*order).limit(limit).offset(offset)
    with db.read() as s:
        return [_row(row) for row in s.execute(q)]


def rows_by_ids(db: Database, ids: Iterable[int]) -> list[BrowserRow]:
    """The browser's lines of the live cards among ids (to show a bulk action's result in place)."""
    with db.read() as s:
        return [_row(row) for row in s.execute(_rows().where(*_live(ids)))]


_INTERVAL = case((Card.last_review.is_not(None) & (Card.state != 0),
                  func.julianday(Card.due) - func.julianday(Card.last_review)), else_=None)


def _rows():
    """SELECT of the BrowserRow columns."""
    return (select(Card.id, Card.deck_id, Deck.name, Card.kind, Card.front, Card.back, Card.tags, Card.state,
                   Card.due, Card.created_at, Card.difficulty, _INTERVAL, Card.suspended, Card.anki_ord,
                   Card.anki_fields.is_not(None))
            .join(Deck, Deck.id == Card.deck_id))


def _row(row) -> BrowserRow:
    return BrowserRow(*row[:12], bool(row[12]), row[13], bool(row[14]))


def browse_count(db: Database, search: str = "", deck_id: int | None = None, status: str = LIVE_STATUS) -> int:
    """How many cards the browser's filter matches."""
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Card).where(*_browse_filter(search, deck_id, status)))


# -- bulk actions: one statement for any number of cards ------------------------------------------------------
# The ids travel as one JSON parameter read by SQLite's json_each, so 100,000 selected cards are one UPDATE (no
# per-card queries, no limit on bound variables), and old values come back the same way for undo.
def _listed(ids: Iterable[int]):
    """WHERE term: the card's id is among ids."""
    return Card.id.in_(select(func.json_each(json.dumps([int(i) for i in ids])).table_valued("value").c.value))


def _live(ids: Iterable[int]) -> list:
    """WHERE terms: the live cards among ids."""
    return [_listed(ids), Card.deleted_at.is_(None)]


def _pairs(pairs: Iterable[tuple[int, object]]):
    """(id, value) pairs as a subquery with columns id and v, for UPDATE ... FROM."""
    j = func.json_each(json.dumps([[int(i), v] for i, v in pairs])).table_valued("value").alias("j")
    return select(func.json_extract(j.c.value, "$[0]").label("id"),
                  func.json_extract(j.c.value, "$[1]").label("v")).subquery()


def field_values(db: Database, ids: Iterable[int], field: str) -> list[tuple[int, object]]:
    """(id, value) of one field (deck_id, suspended or tags) for the live cards among ids."""
    column = FIELDS[field]
    with db.read() as s:
        return [(i, bool(v) if field == "suspended" else v)
                for i, v in s.execute(select(Card.id, column).where(*_live(ids)))]


def set_field(db: Database, ids: Iterable[int], field: str, value: object) -> list[tuple[int, object]]:
    """Set one field on the live cards among ids that differ; returns their (id, old value) for undo."""
    column = FIELDS[field]
    if field == "deck_id":
        with db.read() as s:
            if s.get(Deck, value) is None:
                raise ValueError(f"there is no deck {value}")
    with db.write() as s:
        differ = [*_live(ids), column != value]
        old = [(i, bool(v) if field == "suspended" else v) for i, v in s.execute(select(Card.id, column)
                                                                                  .where(*differ))]
        if old:
            s.execute(update(Card).where(*differ).values({field: value}).execution_options(synchronize_session=False))
        return old


def restore_field(db: Database, field: str, pairs: Iterable[tuple[int, object]]) -> int:
    """Put back one field's (id, value) pairs on cards still live (undo); returns how many."""
    pairs = list(pairs)
    if not pairs:
        return 0
    FIELDS[field]  # noqa: B018 - a KeyError for a field bulk actions do not change
    sub = _pairs(pairs)
    with db.write() as s:
        result = s.execute(update(Card).where(Card.id == sub.c.id, Card.deleted_at.is_(None))
                           .values({field: sub.c.v}).execution_options(synchronize_session=False))
        return result.rowcount


def change_tags(db: Database, ids: Iterable[int], add: Iterable[str] = (), remove: Iterable[str] = ()
                ) -> list[tuple[int, str]]:
    """Add and remove tags (case-insensitive, as in Anki) on the live cards among ids; returns (id, old tags) of
    the cards changed, for undo. Only cards that lack a tag to add or have one to remove are read and written."""
    add = clean_tags(list(add)).split()
    remove = {t.lower() for t in clean_tags(list(remove)).split()}
    wanted = [~_has_tag(t) for t in add] + [_has_tag(t) for t in remove]
    if not wanted:
        return []
    with db.write() as s:
        old = [(i, t) for i, t in s.execute(select(Card.id, Card.tags).where(*_live(ids), or_(*wanted)))]
        new = []
        for card_id, tags in old:
            kept = [t for t in tags.split() if t.lower() not in remove]
            have = {t.lower() for t in kept}
            new.append((card_id, clean_tags(kept + [t for t in add if t.lower() not in have])))
        if new:
            sub = _pairs(new)
            s.execute(update(Card).where(Card.id == sub.c.id).values(tags=sub.c.v)
                      .execution_options(synchronize_session=False))
        return old


def delete_cards(db: Database, ids: Iterable[int]) -> DeletedCards:
    """Delete the live cards among ids as delete_card does (for good when never reviewed, else as tombstones, their
    log must stay); the removed rows come back whole, so restore_cards can undo it."""
    ids = list(ids)
    with db.write() as s:
        reviewed = true() if enabled_in(s) else exists().where(ReviewLog.card_id == Card.id)
        rows = tuple(dict(r) for r in s.execute(select(Card.__table__).where(*_live(ids), ~reviewed)).mappings())
        tombstoned = tuple(s.scalars(select(Card.id).where(*_live(ids), reviewed)))
        if rows:
            s.execute(delete(Card).where(*_live(r["id"] for r in rows)).execution_options(synchronize_session=False))
        if tombstoned:
            now = utcnow()
            s.execute(update(Card).where(*_live(tombstoned)).values(deleted_at=now, updated_at=now)
                      .execution_options(synchronize_session=False))
    return DeletedCards(rows, tombstoned)


def restore_cards(db: Database, deleted: DeletedCards) -> int:
    """Bring back what delete_cards removed (undo); a row whose id was taken meanwhile comes back with a new id."""
    with db.write() as s:
        ids = [r["id"] for r in deleted.rows]
        taken = set(s.scalars(select(Card.id).where(_listed(ids)))) if ids else set()
        same_id = [r for r in deleted.rows if r["id"] not in taken]
        new_id = [{k: v for k, v in r.items() if k != "id"} for r in deleted.rows if r["id"] in taken]
        for rows in (same_id, new_id):  # one executemany each: their rows have the same keys
            for start in range(0, len(rows), 5000):
                s.execute(insert(Card.__table__), rows[start:start + 5000])
        back = 0
        if deleted.tombstoned:
            back = s.execute(update(Card).where(_listed(deleted.tombstoned), Card.deleted_at.is_not(None))
                             .values(deleted_at=None, updated_at=utcnow())
                             .execution_options(synchronize_session=False)).rowcount
        return len(deleted.rows) + back
