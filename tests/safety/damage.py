"""Test helpers: a profile with real-sized content, and damage done to its database file the way a disk does it."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

HEADER_BYTES = 100


def add_cards(ctx, count: int, deck: str = "Biology", start: int = 0) -> int:
    """count cards with distinct text in a deck (created when missing); returns the deck id."""
    from lmgpa_desktop.storage import cards_repo

    found = cards_repo.deck_named(ctx.db, deck) or cards_repo.create_deck(ctx.db, deck)
    rows = [{"deck_id": found.id, "front": f"What does enzyme {i} catalyse in step {i % 17}?",
             "back": f"Reaction {i}: substrate {i * 7 % 101} becomes product {i * 13 % 97}.", "tags": "bio"}
            for i in range(start, start + count)]
    cards_repo.bulk_insert_cards(ctx.db, rows)
    return found.id


def fronts(ctx) -> set[str]:
    """Every live card's front, to compare a profile's content before and after."""
    from lmgpa_desktop.storage import cards_repo

    return {c.front for d in cards_repo.decks(ctx.db) for c in cards_repo.cards_of_deck(ctx.db, d.id)}


def page_size(db_path: Path) -> int:
    """The page size written in the SQLite header (1 means 65536)."""
    with open(db_path, "rb") as f:
        header = f.read(HEADER_BYTES)
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def overwrite_pages(db_path: Path, every: int = 3, first: int = 2, seed: int = 15) -> int:
    """Write random garbage over every `every`-th page from page `first` (1-based), as a failing disk would.

    The header page is kept, so the file still opens as SQLite and only the check can tell. Returns pages hit."""
    size = page_size(db_path)
    pages = db_path.stat().st_size // size
    rng = random.Random(seed)
    hit = 0
    with open(db_path, "r+b") as f:
        for page in range(first, pages + 1, every):
            f.seek((page - 1) * size)
            f.write(rng.randbytes(size))
            hit += 1
    return hit


def sha256(path: Path) -> str:
    """The file's content hash (a damaged file must stay byte for byte as it was)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
