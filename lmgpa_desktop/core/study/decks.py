"""Decks and cards as the Review page lists, browses and edits them, and the source a card came from."""

from __future__ import annotations

from dataclasses import replace

from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.study import card_text
from lmgpa_desktop.core.study.review import SOUND
from lmgpa_desktop.storage import cards_repo
from lmgpa_desktop.storage import card_browse_repo
from lmgpa_desktop.storage.cards_repo import CardRecord, DeckCounts, DeckRecord
from lmgpa_desktop.storage.card_browse_repo import BrowserRow
from lmgpa_desktop.storage.sources_repo import SourceRecord

__all__ = ["BrowserRow", "CardRecord", "DeckCounts", "DeckRecord", "SourceRecord"]

BROWSER_LAYOUT_KEY = "ui.card_browser"  # the browser's column widths, hidden columns and split, per profile


# -- decks ---------------------------------------------------------------------------------------------------
def decks(ctx) -> list[DeckRecord]:
    """Live decks by name."""
    return cards_repo.decks(ctx.db)


def get_deck(ctx, deck_id: int) -> DeckRecord | None:
    """One deck, or None."""
    return cards_repo.get_deck(ctx.db, deck_id)


def create_deck(ctx, name: str) -> DeckRecord:
    """Add a deck (ValueError for an empty name)."""
    return cards_repo.create_deck(ctx.db, name)


def update_deck(ctx, deck_id: int, **fields) -> DeckRecord:
    """Rename a deck or change its new cards per day (ValueError for an empty name or a missing deck)."""
    return cards_repo.update_deck(ctx.db, deck_id, **fields)


def delete_deck(ctx, deck_id: int) -> str:
    """Delete a deck and its cards (reviewed ones stay as tombstones for the history)."""
    return cards_repo.delete_deck(ctx.db, deck_id)


def deck_sizes(ctx) -> dict[int, int]:
    """Live cards per deck id."""
    return cards_repo.deck_sizes(ctx.db)


# -- the card browser ----------------------------------------------------------------------------------------
def browse(ctx, search: str = "", deck_id: int | None = None, sort: str = "due", descending: bool = False,
           limit: int = 100, offset: int = 0) -> list[BrowserRow]:
    """One page of the card browser, front and back as the student studies them on one plain line each (HTML
    and [sound:...] stripped, a cloze's gap as [...] on the front and its answer on the back)."""
    rows = card_browse_repo.browse(ctx.db, search, deck_id, sort, descending, limit, offset)
    return [_rendered(row) for row in rows]


def browse_rows(ctx, card_ids) -> list[BrowserRow]:
    """The browser's lines (rendered as browse's) of some cards, to show what an action changed in place."""
    return [_rendered(row) for row in card_browse_repo.rows_by_ids(ctx.db, card_ids)]


def _rendered(row: BrowserRow) -> BrowserRow:
    question, answer = card_text.preview(row.kind, row.front, row.back, row.anki_ord or 0, is_html=row.is_html)
    return replace(row, front=" ".join(SOUND.sub(" ", question).split()),
                   back=" ".join(SOUND.sub(" ", answer).split()))


def browse_count(ctx, search: str = "", deck_id: int | None = None) -> int:
    """How many cards the browser's filter matches."""
    return card_browse_repo.browse_count(ctx.db, search, deck_id)


def browser_layout(ctx) -> dict:
    """The browser's remembered layout ({} until the student changes it): column widths by name, hidden columns,
    the split between the table and the card below."""
    value = ctx.settings.get(BROWSER_LAYOUT_KEY)
    return dict(value) if isinstance(value, dict) else {}


def save_browser_layout(ctx, layout: dict) -> None:
    """Remember the browser's layout for the next start."""
    ctx.settings.set(BROWSER_LAYOUT_KEY, layout)


# -- cards ---------------------------------------------------------------------------------------------------
def get_card(ctx, card_id: int) -> CardRecord | None:
    """One card, or None."""
    return cards_repo.get_card(ctx.db, card_id)


def create_card(ctx, deck_id: int, front: str, back: str = "", tags: str = "") -> CardRecord:
    """Add a card written by hand."""
    return cards_repo.create_card(ctx.db, deck_id, front, back, tags=tags)


def update_card(ctx, card_id: int, **fields) -> CardRecord:
    """Change a card's front, back, tags or deck."""
    return cards_repo.update_card(ctx.db, card_id, **fields)


def delete_card(ctx, card_id: int) -> str:
    """Delete a card."""
    return cards_repo.delete_card(ctx.db, card_id)


def card_source(ctx, card: CardRecord) -> SourceRecord | None:
    """The library source a card was made from, or None."""
    return library.get(ctx, card.source_id) if card.source_id is not None else None
