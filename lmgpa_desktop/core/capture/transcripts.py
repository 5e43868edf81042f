"""Use cases around transcripts: read the current one, edit a segment, bookmarks, photos."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lmgpa_desktop.storage import transcripts_repo
from lmgpa_desktop.storage.transcripts_repo import SegmentRow, TranscriptRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["SegmentRow", "TranscriptRow", "current", "current_segments_between", "edit_segment", "add_bookmark",
           "bookmarks", "photos"]


def current(ctx: AppContext, source_id: int) -> TranscriptRow | None:
    """What the student should see: a finished final pass, else the live text, else a partial final pass."""
    return (transcripts_repo.latest(ctx.db, source_id, ("final",), ("done",))
            or transcripts_repo.latest(ctx.db, source_id, ("live",))
            or transcripts_repo.latest(ctx.db, source_id, ("final",)))


def current_segments_between(ctx: AppContext, source_id: int, start_s: float, end_s: float) -> list[SegmentRow]:
    """Segments of the transcript `current` shows that lie within start_s..end_s (a passage's sentences)."""
    db = ctx.db
    transcript_id = (transcripts_repo.latest_id(db, source_id, ("final",), ("done",))
                     or transcripts_repo.latest_id(db, source_id, ("live",))
                     or transcripts_repo.latest_id(db, source_id, ("final",)))
    return transcripts_repo.segments_between(db, transcript_id, start_s, end_s) if transcript_id else []


def model_label(ctx: AppContext, model_path: str) -> str:
    """A readable name for the model a transcript was made with."""
    from pathlib import Path

    from lmgpa_desktop.core.models.registry import SPECS
    from lmgpa_desktop.engines.errors import ModelError

    try:
        if Path(model_path) == Path(ctx.models.path("whisper")):
            return ctx.models.info("whisper").name
    except ModelError:
        pass
    return Path(model_path).name or SPECS["whisper"].default_name


def edit_segment(ctx: AppContext, segment_id: int, text: str | None) -> None:
    """Keep the student's wording apart from the model's; empty text reverts to the model's; re-index."""
    source_id = transcripts_repo.set_edit(ctx.db, segment_id, text.strip() if text and text.strip() else None)
    request_index(ctx, source_id)


def request_index(ctx: AppContext, source_id: int, title: str = "") -> int:
    """Ask for a source's passages to be rebuilt after its text changed; returns the job id."""
    # The index job belongs to the library (core/library/indexing.py), which sits above capture: ask for it by name.
    return ctx.jobs.submit("index", {"source_id": source_id}, title=f"Indexing {title}".strip())


def add_bookmark(ctx: AppContext, source_id: int, at_s: float, label: str | None = None) -> int:
    """Mark a moment of a source."""
    return transcripts_repo.add_bookmark(ctx.db, source_id, None, at_s, label)


def bookmarks(ctx: AppContext, source_id: int) -> list[tuple[int, float, str | None]]:
    """(id, second, label) in time order."""
    return transcripts_repo.bookmarks(ctx.db, source_id)


def photos(ctx: AppContext, source_id: int) -> list[tuple[int, float | None, str]]:
    """(id, second, path) in time order."""
    return transcripts_repo.photos(ctx.db, source_id)
