"""The app's notes and decks written to files to hand in or share (kept: the outbox may send them later)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from lmgpa_desktop.core.study import decks, notes
from lmgpa_desktop.core.study.anki import exporting as anki_export


def export_note(ctx, note_id: int, folder: Path) -> Path:
    """Write a note of the app as a Markdown file to hand in or share."""
    note = notes.get(ctx, note_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_safe(note.title) or 'note'}.md"
    path.write_text(note.body_md, encoding="utf-8")
    return path


def export_deck(ctx, deck_id: int, folder: Path) -> Path:
    """Write a deck of the app as an Anki package to hand in or share."""
    deck = next(d for d in decks.decks(ctx) if d.id == deck_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_safe(deck.name) or 'deck'}.apkg"
    anki_export.export_deck(ctx, deck_id, path)
    return path


def my_notes_and_decks(ctx) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(id, title) of the app's notes and decks, for handing in or sharing."""
    return [(n.id, n.title) for n in notes.listing(ctx)], [(d.id, d.name) for d in decks.decks(ctx)]


def exports_folder(ctx) -> Path:
    """Where notes and decks are written before they travel (kept: the outbox may send them later)."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    return Path(ctx.home) / "online-exports" / stamp


def _safe(name: str) -> str:
    return re.sub(r"[^\w\- ]+", "", name or "").strip()[:60]
