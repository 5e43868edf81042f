"""Decks and cards as the Review page lists, browses and edits them, and the source a card came from."""

from __future__ import annotations

from lmgpa_desktop.core.library import library
from lmgpa_desktop.storage import cards_repo
from lmgpa_desktop.storage import card_browse_repo
from lmgpa_desktop.storage.cards_repo import CardRecord, DeckCounts, DeckRecord
from lmgpa_desktop.storage.card_browse_repo import BrowserRow
from lmgpa_desktop.storage.sources_repo import SourceRecord

__all__ = ["BrowserRow", "CardRecord", "DeckCounts", "DeckRecord", "SourceRecord"]


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
    """One page of the card browser."""
    return card_browse_repo.browse(ctx.db, search, deck_id, sort, descending, limit, offset)


def browse_count(ctx, search: str = "", deck_id: int | None = None) -> int:
    """How many cards the browser's filter matches."""
    return card_browse_repo.browse_count(ctx.db, search, deck_id)


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
