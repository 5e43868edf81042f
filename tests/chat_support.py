"""The chat tests' shared profile (core and GUI): a transcribed lecture and a book, indexed."""

from __future__ import annotations

from lmgpa_desktop.storage import search_repo, sources_repo

LONG_QUESTION = "What does the reading say about the first dated Bible?"  # answered in more than one sentence


def make_lecture_profile(home, shared):
    """A profile with the transcribed reading of "Printing" and two Think Python chapters, indexed."""
    from lmgpa_desktop.core.library import library
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.capture.media_import import import_media

    ctx = open_app(home)
    source = import_media(ctx, shared / "audio" / "LJ001-0001_0032_concat_16k.flac").source
    assert ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": source.id})).state == "done"
    book_job = ctx.jobs.run_now(library.queue_import(ctx, shared / "documents" / "pdf" / "thinkpython2_ch01-02.pdf"))
    assert book_job.state == "done"
    queued = [j for j in ctx.jobs.recent(100) if j.state == "queued" and j.kind == "index"]
    assert len(queued) == 2, "transcription and document import should each queue indexing"
    for job in queued:
        assert ctx.jobs.run_now(job.id).state == "done"
    book = sources_repo.get(ctx.db, book_job.result["source_id"])
    assert search_repo.chunk_count_of(ctx.db, source.id) >= 3 and search_repo.chunk_count_of(ctx.db, book.id) >= 10
    return ctx, source, book
