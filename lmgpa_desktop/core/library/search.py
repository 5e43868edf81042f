"""Hybrid search over the library: words (FTS5) and meaning (vectors), fused by reciprocal rank."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lmgpa_desktop.core.library import evidence, vector_cache
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.storage import search_repo
from lmgpa_desktop.storage.search_repo import STOPWORDS

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

RRF_K = 60  # the usual reciprocal-rank-fusion constant: rank 1 -> 1/61
CANDIDATES = 50
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search")


@dataclass(frozen=True)
class Scope:
    """Where to look: one source, one class, or everything (both None)."""

    source_id: int | None = None
    course_id: int | None = None


@dataclass(frozen=True)
class Hit:
    """A passage that answers a query, with where it came from.

    In a recording start_s is the second of the sentence that matched (the snippet's), end_s the passage's end, and
    sentences the passage's timed sentences (so a citation can land on another of them).
    """

    chunk_id: int
    source_id: int
    source_title: str
    source_kind: str
    text: str
    snippet: str
    page_no: int | None
    start_s: float | None
    end_s: float | None
    region: list | None
    score: float
    sentences: tuple[evidence.TimedSentence, ...] = field(default=(), compare=False, repr=False)

    @property
    def location(self) -> str:
        """"page 3", "12:04-13:00" or "" for display."""
        if self.start_s is not None:
            return f"{clock(self.start_s)}–{clock(self.end_s or self.start_s)}"
        if self.page_no is not None:
            return f"slide {self.page_no}" if self.source_kind == "pptx" else f"page {self.page_no}"
        return ""


def snippet(text: str, query: str, width: int = 220) -> str:
    """The sentence of a passage sharing most words with the query, query words marked [like this]."""
    words = {w for w in re.findall(r"\w+", query.lower()) if len(w) > 2 and w not in STOPWORDS}
    stems = {w[:5] for w in words}  # "variables" should light up for "variable"
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split())) or [text]
    best = max(sentences, key=lambda s: (len(stems & {w[:5] for w in re.findall(r"\w+", s.lower())}), min(len(s), width)))
    if len(best) > width:
        best = best[: width - 1] + "…"
    return re.sub(r"\w+", lambda m: f"[{m.group()}]" if len(m.group()) > 2 and m.group().lower()[:5] in stems
                  else m.group(), best)


def search(ctx: AppContext, query: str, k: int = 10, scope: Scope | None = None,
           as_you_type: bool = False) -> list[Hit]:
    """The k best passages for a query, by meaning and by words (as_you_type: the last word may be unfinished)."""
    query_text, query = query, query.strip()
    if not query:
        return []
    scope = scope or Scope()
    source_ids = [scope.source_id] if scope.source_id else None
    # Word search runs while the query is embedded and the vectors scanned (SQLite releases the GIL).
    prefix = as_you_type and not query_text.endswith((" ", "?", ".", "!"))
    pending_words = _POOL.submit(search_repo.search_words, ctx.db, query, CANDIDATES, source_ids, scope.course_id,
                                 prefix)
    vector = ctx.models.embedder().embed([query])[0]
    near = vector_cache.for_db(ctx.db).search(vector, CANDIDATES, source_ids, scope.course_id)
    if near is None:  # small library, or the cache is reloading: ask sqlite-vec
        near = search_repo.search_vectors(ctx.db, vector, CANDIDATES, source_ids, scope.course_id)
    words = pending_words.result()
    fused: dict[int, float] = {}
    for rank, (chunk_id, _score) in enumerate(words, 1):
        fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    for rank, (chunk_id, _distance) in enumerate(near, 1):
        fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    best = sorted(fused, key=fused.get, reverse=True)[:k]
    rows = search_repo.chunks_by_id(ctx.db, best)
    hits = []
    for cid in best:
        row = rows.get(cid)
        if row is None:
            continue
        shown = snippet(row.text, query)
        start_s, sentences = row.start_s, ()
        if row.start_s is not None:  # a recording opens at the sentence the snippet shows, not at the passage's start
            sentences = evidence.passage_sentences(ctx, row.source_id, row.start_s, row.end_s)
            start_s = evidence.sentence_start(sentences, shown, row.start_s)
        hits.append(Hit(cid, row.source_id, row.source_title, row.source_kind, row.text, shown,
                        row.page_no, start_s, row.end_s, row.region, fused[cid], sentences))
    return hits
