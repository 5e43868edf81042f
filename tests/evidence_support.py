"""The evidence tests' profile (core and GUI): the bundled sample lecture transcribed with word timings and a real
PDF, both indexed; and when the transcript says a sentence is spoken, read from its word timings."""

from __future__ import annotations

from support import ROOT, SHARED

from lmgpa_desktop.core.words import tokens
from lmgpa_desktop.storage import search_repo

LECTURE = ROOT / "resources" / "samples" / "sample_lecture.ogg"
BOOK = SHARED / "documents" / "pdf" / "thinkpython2_ch01-02.pdf"


def make_evidence_profile(home):
    """(ctx, lecture source, book source): transcribed, imported and indexed for real."""
    from lmgpa_desktop.core.capture.media_import import import_media
    from lmgpa_desktop.core.library import library
    from lmgpa_desktop.core.profile import open_app

    ctx = open_app(home)
    lecture = import_media(ctx, LECTURE).source
    assert ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": lecture.id})).state == "done"
    library.queue_import(ctx, BOOK)
    while queued := [j for j in ctx.jobs.recent(100) if j.state == "queued"]:
        job = ctx.jobs.run_now(min(j.id for j in queued))
        assert job.state == "done", job.error
    book = next(s for s in library.sources(ctx) if s.kind == "pdf")
    return ctx, lecture, book


def passages_of(ctx, source_id: int) -> list:
    """The source's passages as the index holds them, in time order."""
    rows = search_repo.chunks_by_id(ctx.db, list(range(1, search_repo.chunk_count(ctx.db) + 1)))
    return sorted((r for r in rows.values() if r.source_id == source_id), key=lambda r: r.start_s or 0)


def spoken_at(segments, sentence: str, after: float = 0.0) -> float:
    """The start of the first word of sentence in the transcript's word timings (at or after a second)."""
    flat = [(w[0], t) for seg in segments for w in seg.words for t in tokens(w[2])]
    wanted = tokens(sentence)
    for i in range(len(flat) - len(wanted) + 1):
        if flat[i][0] >= after - 0.01 and [t for _, t in flat[i:i + len(wanted)]] == wanted:
            return flat[i][0]
    raise AssertionError(f"not in the transcript's words: {sentence!r}")
