"""Where a generated item points: its source location in words and as a link, narrowed to its quote's segments."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.library.search import Hit
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.study.items.generated_items import Item
from lmgpa_desktop.core.study.items.material import AUDIO_KINDS
from lmgpa_desktop.storage import sources_repo
from lmgpa_desktop.storage.sync import text_refs

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

AUDIO_SEGMENT_MATCH = 0.6  # share of a transcript segment's words in a quote for the segment to be its location


class Locator:
    """Narrows an item's location to the transcript segments that hold its quote (a passage spans a minute)."""

    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self._segments: dict[int, list] = {}

    def place(self, item: Item) -> Item:
        """The item with start_s/end_s of its quote (audio sources) or of its passage."""
        p = item.passage
        item.start_s, item.end_s = p.start_s, p.end_s
        if p.source_kind not in AUDIO_KINDS or p.start_s is None:
            return item
        if p.source_id not in self._segments:
            current = transcripts.current(self.ctx, p.source_id)
            self._segments[p.source_id] = current.segments if current else []
        quote = set(ex.normalize(item.quote).split())
        hits = []
        for seg in self._segments[p.source_id]:
            if seg.end < p.start_s - 1 or seg.start > (p.end_s or p.start_s) + 1:
                continue
            words = ex.normalize(seg.shown).split()
            if words and sum(w in quote for w in words) / len(words) >= AUDIO_SEGMENT_MATCH:
                hits.append(seg)
        if hits:
            item.start_s, item.end_s = min(s.start for s in hits), max(s.end for s in hits)
        return item


def location_of(passage: Hit, start_s: float | None = None, end_s: float | None = None) -> str:
    """"page 3", "slide 2" or "1:05–1:12" for display."""
    if start_s is not None or passage.start_s is not None:
        a = start_s if start_s is not None else passage.start_s
        b = end_s if end_s is not None else passage.end_s
        return f"{clock(a)}–{clock(b if b is not None else a)}"
    return passage.location


def reference(item: Item) -> str:
    """"“Title”, page 3" for explanations."""
    where = location_of(item.passage, item.start_s, item.end_s)
    return f"“{item.passage.source_title}”" + (f", {where}" if where else "")


def link(source_id: int, page_no: int | None, start_s: float | None) -> str:
    """The address a note uses for a source location (the Study page opens it)."""
    if start_s is not None:
        return f"lmgpa://source/{source_id}?t={start_s:.1f}"
    if page_no is not None:
        return f"lmgpa://source/{source_id}?page={page_no}"
    return f"lmgpa://source/{source_id}"


def parse_link(url: str) -> tuple[int, int | None, float | None] | None:
    """(source id, page or None, second or None) of a note's source address; None for other links."""
    m = re.match(r"lmgpa://source/(\d+)(?:\?(page|t)=([\d.]+))?$", url.strip())
    if not m:
        return None
    source_id, key, value = int(m.group(1)), m.group(2), m.group(3)
    return source_id, int(value) if key == "page" else None, float(value) if key == "t" else None


class SourceNotHere(UserError):
    """A link names a source by its sync uuid and that source is not on this computer."""


def names_by_uuid(url: str) -> bool:
    """Whether a link names its source by sync uuid (resolve_link looks it up: run it off the UI thread)."""
    return text_refs.names_by_uuid(url)


def resolve_link(ctx: AppContext, url: str) -> tuple[int, int | None, float | None] | None:
    """parse_link, also of a link that names its source by uuid (a note synced from another computer): the source
    here now; SourceNotHere when it has not arrived (or was deleted); None for other links."""
    url = text_refs.localize(ctx.db, url.strip())
    parsed = parse_link(url)
    if parsed is None and text_refs.names_by_uuid(url):
        raise SourceNotHere("This source is not on this computer yet: it comes with the next sync from the computer "
                            "where it was added (or it was deleted there).")
    return parsed


def describe_location(ctx: AppContext, source_id: int | None, page_no: int | None, start_s: float | None,
                      end_s: float | None = None) -> str:
    """"“Title”, page 3" or "“Title”, 1:05–1:12" for an item's source link."""
    if source_id is None:
        return ""
    src = sources_repo.get(ctx.db, source_id)
    title = f"“{src.title}”" if src else f"source {source_id}"
    if start_s is not None:
        return f"{title}, {clock(start_s)}–{clock(end_s if end_s is not None else start_s)}"
    if page_no is not None:
        return f"{title}, {'slide' if src and src.kind == 'pptx' else 'page'} {page_no}"
    return title
