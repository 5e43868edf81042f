"""Read-only access to notes for exports (audio, slides) until the notes repository offers it."""

from __future__ import annotations

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Note


def get_note(db: Database, note_id: int) -> tuple[str, str] | None:
    """A live note's title and Markdown body, or None when it does not exist or is deleted."""
    with db.read() as s:
        note = s.get(Note, note_id)
        if note is None or note.deleted_at is not None:
            return None
        return note.title, note.body_md or ""


def get_note_source_refs(db: Database, note_id: int) -> list[dict]:
    """The passages a live note was made from ([{"source_id", "page_no" | "start_s", ...}]), or []."""
    with db.read() as s:
        note = s.get(Note, note_id)
        if note is None or note.deleted_at is not None:
            return []
        return [dict(ref) for ref in (note.source_refs or []) if isinstance(ref, dict)]
