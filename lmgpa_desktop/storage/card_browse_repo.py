"""The card browser's rows: search, filter, sort and count over every card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select

from lmgpa_desktop.storage.cards_repo import LIVE_STATUS
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Card, Deck


SORTS = ("due", "created", "ease", "interval", "deck", "front")


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


def _browse_filter(search: str, deck_id: int | None, status: str):
    """WHERE terms of the browser: words in front/back/tags (all must match), `tag:NAME`, a deck."""
    cond = [Card.deleted_at.is_(None), Card.status == status]
    if deck_id is not None:
        cond.append(Card.deck_id == deck_id)
    for word in search.split():
        if word.lower().startswith("tag:") and len(word) > 4:
            cond.append((" " + Card.tags + " ").ilike(f"% {_like(word[4:])} %", escape="\\"))
        else:
            pattern = f"%{_like(word)}%"
            cond.append(or_(Card.front.ilike(pattern, escape="\\"), Card.back.ilike(pattern, escape="\\"),
                            Card.tags.ilike(pattern, escape="\\")))
    return cond


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def browse(db: Database, search: str = "", deck_id: int | None = None, sort: str = "due", descending: bool = False,
           limit: int = 100, offset: int = 0, status: str = LIVE_STATUS) -> list[BrowserRow]:
    """One page of the card browser."""
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")
    interval = case((Card.last_review.is_not(None) & (Card.state != 0),
                     func.julianday(Card.due) - func.julianday(Card.last_review)), else_=None)
    key = {"due": Card.due, "created": Card.id, "ease": Card.difficulty, "interval": interval,
           "deck": func.lower(Deck.name), "front": Card.front}[sort]
    order = [key.desc() if descending else key.asc(), Card.id.desc() if descending else Card.id.asc()]
    q = (select(Card.id, Card.deck_id, Deck.name, Card.kind, Card.front, Card.back, Card.tags, Card.state,
                Card.due, Card.created_at, Card.difficulty, interval, Card.suspended)
         .join(Deck, Deck.id == Card.deck_id).where(*_browse_filter(search, deck_id, status))
         .order_by(*order).limit(limit).offset(offset))
    with db.read() as s:
        return [BrowserRow(*row[:12], bool(row[12])) for row in s.execute(q)]


def browse_count(db: Database, search: str = "", deck_id: int | None = None, status: str = LIVE_STATUS) -> int:
    """How many cards the browser's filter matches."""
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Card).where(*_browse_filter(search, deck_id, status)))
