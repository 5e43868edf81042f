"""What the card browser does to many selected cards at once (move, tag, suspend, delete), each undoable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lmgpa_desktop.storage import card_browse_repo, cards_repo
from lmgpa_desktop.storage.card_browse_repo import DeletedCards


@dataclass(frozen=True)
class Undo:
    """How to put back what one action changed: old (id, value) pairs of a field, or the deleted cards."""

    what: str  # "move to Biology", shown as "Undo move to Biology"
    field: str | None = None
    pairs: tuple = ()
    deleted: DeletedCards | None = None


@dataclass(frozen=True)
class Outcome:
    """What an action did, in the student's words, and its undo (None when nothing changed)."""

    message: str
    undo: Undo | None


def _cards(n: int) -> str:
    return f"{n:,} card" + ("" if n == 1 else "s")


def move_to_deck(ctx, card_ids: Iterable[int], deck: int | str) -> Outcome:
    """Move cards to a deck, given by id or by name (a new name makes the deck)."""
    if isinstance(deck, str):
        found = cards_repo.deck_named(ctx.db, deck) or cards_repo.create_deck(ctx.db, deck)
        deck_id, name = found.id, found.name
    else:
        found = cards_repo.get_deck(ctx.db, deck)
        if found is None or found.deleted_at is not None:
            raise ValueError(f"there is no deck {deck}")
        deck_id, name = found.id, found.name
    old = card_browse_repo.set_field(ctx.db, card_ids, "deck_id", deck_id)
    if not old:
        return Outcome(f"Those cards are already in {name}.", None)
    return Outcome(f"Moved {_cards(len(old))} to {name}.", Undo(f"move to {name}", "deck_id", tuple(old)))


def change_tags(ctx, card_ids: Iterable[int], add: str = "", remove: str = "") -> Outcome:
    """Add and/or remove tags (separated by spaces) on cards."""
    old = card_browse_repo.change_tags(ctx.db, card_ids, add.split(), remove.split())
    words = [f"added {add.strip()}" if add.strip() else "", f"removed {remove.strip()}" if remove.strip() else ""]
    what = " and ".join(w for w in words if w)
    if not old:
        return Outcome("No card needed that tag change.", None)
    return Outcome(f"Tags {what} on {_cards(len(old))}.", Undo(f"tags {what}", "tags", tuple(old)))


def set_suspended(ctx, card_ids: Iterable[int], suspended: bool) -> Outcome:
    """Suspend cards (left out of review until unsuspended) or unsuspend them."""
    old = card_browse_repo.set_field(ctx.db, card_ids, "suspended", suspended)
    verb = "Suspended" if suspended else "Unsuspended"
    if not old:
        return Outcome(f"Those cards are already {verb.lower()}.", None)
    return Outcome(f"{verb} {_cards(len(old))}.", Undo(verb.lower(), "suspended", tuple(old)))


def delete(ctx, card_ids: Iterable[int]) -> Outcome:
    """Delete cards (as delete_card does one: reviewed ones stay as tombstones for the history)."""
    gone = card_browse_repo.delete_cards(ctx.db, card_ids)
    if not gone.count:
        return Outcome("Those cards were already deleted.", None)
    return Outcome(f"Deleted {_cards(gone.count)}.", Undo("delete", deleted=gone))


def undo(ctx, record: Undo) -> str:
    """Put back what an action changed; says what came back."""
    if record.deleted is not None:
        n = card_browse_repo.restore_cards(ctx.db, record.deleted)
    else:
        n = card_browse_repo.restore_field(ctx.db, record.field, record.pairs)
    return f"Undid {record.what} ({_cards(n)})."
