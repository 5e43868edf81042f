"""The index job: passages from a source's pages or transcript, then their embeddings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.library.chunking import chunk_page, chunk_transcript
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.storage import documents_repo, search_repo, sources_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

EMBED_BATCH = 32


def drafts_for(ctx: AppContext, source) -> list:
    """Passages of a source: its transcript for audio, its pages otherwise."""
    if source.kind in ("audio", "video", "recording"):
        t = transcripts.current(ctx, source.id)
        return chunk_transcript(t.segments) if t else []
    drafts = []
    for page in documents_repo.pages(ctx.db, source.id):
        drafts.extend(chunk_page(page.page_no, page.text, page.words))
    return drafts


@job_kind("index", queue="embed")
def index_job(run: JobRun, payload: dict):
    """(Re)build a source's passages and embed them; resumes with the passages still missing a vector."""
    services = run.services
    source = sources_repo.get(services.db, payload["source_id"])
    if source is None:
        raise JobError(f"source {payload['source_id']} is not in the library")
    if not (run.checkpoint or {}).get("chunked"):
        yield Progress(0, None, "splitting into passages")
        search_repo.replace_chunks(services.db, source.id, drafts_for(services, source))
        run.save_checkpoint({"chunked": True})
    total = search_repo.count_pending(services.db, source.id)
    embedder = services.models.embedder()
    done = 0
    yield Progress(0, total, f"embedding {total} passages")
    while batch := search_repo.pending(services.db, source.id, EMBED_BATCH):
        ids, texts = zip(*batch)
        search_repo.store_vectors(services.db, list(ids), embedder.embed(list(texts)))
        done += len(ids)
        yield Progress(done, total, f"embedded {done} of {total} passages")
    return {"source_id": source.id, "passages": search_repo.chunk_count_of(services.db, source.id)}


def queue_index(ctx: AppContext, source_id: int, title: str = "") -> int:
    """Ask for a source to be (re)indexed."""
    return transcripts.request_index(ctx, source_id, title)
