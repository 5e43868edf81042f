"""The student's Markdown notes: write, edit, delete, list, and the source locations they refer to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study.items.source_locations import describe_location, link, parse_link
from lmgpa_desktop.storage import sources_repo, study_repo
from lmgpa_desktop.storage.study_repo import NoteRow
from lmgpa_desktop.storage.sync import text_refs

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["NoteRow", "Reference", "create", "get", "listing", "edit", "delete", "references", "add_reference",
           "links_in", "link", "parse_link"]
UNTITLED = "Untitled note"
_LINK = re.compile(r"\]\((lmgpa://source/[^)\s]+)\)")


@dataclass(frozen=True)
class Reference:
    """A source location a note refers to, ready to show and open."""

    source_id: int
    label: str
    page_no: int | None
    start_s: float | None
    end_s: float | None
    quote: str | None


def _title(title: str | None, body_md: str) -> str:
    """The given title, else the note's first heading or line."""
    title = " ".join((title or "").split())
    if not title:
        first = next((line.strip() for line in body_md.splitlines() if line.strip()), "")
        title = first.lstrip("#").strip()
    return (title or UNTITLED)[:300]


def create(ctx: AppContext, title: str = "", body_md: str = "", source_refs: list[dict] | None = None,
           course_id: int | None = None) -> NoteRow:
    """A new note written by the student."""
    note = study_repo.create_note(ctx.db, _title(title, body_md), body_md, source_refs or [], "active", course_id)
    activity.record(ctx, "note", course_id=note.course_id, ref_id=note.id)
    return note


def get(ctx: AppContext, note_id: int) -> NoteRow:
    """One note; UserError when it is gone."""
    note = study_repo.get_note(ctx.db, note_id)
    if note is None:
        raise UserError(f"note {note_id} does not exist (it may have been deleted)")
    return note


def listing(ctx: AppContext, status: str | None = "active") -> list[NoteRow]:
    """Notes, most recently changed first (status None: generated ones waiting for review too)."""
    return study_repo.notes(ctx.db, status)


def links_in(body_md: str) -> list[tuple[int, int | None, float | None]]:
    """Source locations linked from a note's Markdown, in order, each once."""
    found = []
    for m in _LINK.finditer(body_md):
        parsed = parse_link(m.group(1))
        if parsed and parsed not in found:
            found.append(parsed)
    return found


def _refs_for(body_md: str, old: list[dict]) -> list[dict]:
    """References that match the links still in the body (keeping their quotes), plus new links."""
    out = []
    for source_id, page_no, start_s in links_in(body_md):
        match = next((r for r in old if r.get("source_id") == source_id and r.get("page_no") == page_no
                      and _same_second(r.get("start_s"), start_s)), None)
        out.append(match or {"source_id": source_id, "page_no": page_no, "start_s": start_s, "end_s": None})
    return out


def _same_second(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 0.05)


def edit(ctx: AppContext, note_id: int, title: str | None = None, body_md: str | None = None) -> NoteRow:
    """Change a note's title and/or Markdown; its references follow the links left in the text."""
    note = get(ctx, note_id)
    fields = {}
    if body_md is not None:
        body_md = text_refs.localize(ctx.db, body_md)  # a synced link to a source that has arrived since: its id
        fields["body_md"] = body_md
        fields["source_refs"] = _refs_for(body_md, note.source_refs)
    if title is not None:
        fields["title"] = _title(title, body_md if body_md is not None else note.body_md)
    if not fields:
        return note
    changed = study_repo.update_note(ctx.db, note.id, **fields)
    activity.record(ctx, "note", course_id=changed.course_id, ref_id=changed.id)
    return changed


def delete(ctx: AppContext, note_id: int) -> None:
    """Delete a note."""
    study_repo.delete_note(ctx.db, get(ctx, note_id).id)


def references(ctx: AppContext, note_id: int) -> list[Reference]:
    """The source locations a note refers to, with readable labels (sources since deleted are left out)."""
    out = []
    for r in get(ctx, note_id).source_refs:
        source_id = r.get("source_id")
        if source_id is None or sources_repo.get(ctx.db, source_id) is None:
            continue
        label = describe_location(ctx, source_id, r.get("page_no"), r.get("start_s"), r.get("end_s"))
        out.append(Reference(source_id, label, r.get("page_no"), r.get("start_s"), r.get("end_s"), r.get("quote")))
    return out


def add_reference(ctx: AppContext, note_id: int, source_id: int, page_no: int | None = None,
                  start_s: float | None = None, quote: str | None = None) -> NoteRow:
    """Append a quoted, linked source location to a note."""
    note = get(ctx, note_id)
    if sources_repo.get(ctx.db, source_id) is None:
        raise UserError(f"there is no source {source_id} in your library")
    label = describe_location(ctx, source_id, page_no, start_s)
    line = f"> {quote.strip()}\n> — [{label}]({link(source_id, page_no, start_s)})" if quote else \
        f"[{label}]({link(source_id, page_no, start_s)})"
    body = note.body_md.rstrip() + ("\n\n" if note.body_md.strip() else "") + line + "\n"
    refs = note.source_refs + [{"source_id": source_id, "page_no": page_no, "start_s": start_s, "end_s": None,
                                "quote": quote}]
    return study_repo.update_note(ctx.db, note.id, body_md=body, source_refs=_refs_for(body, refs))
