"""Helpers shared by CLI commands: open the profile, run a job with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.cli.progress_bar import ProgressBar
from lmgpa_desktop.core.job_progress import JobError

if TYPE_CHECKING:  # the database layer is imported only by commands that need it (fast --version, GUI)
    from lmgpa_desktop.core.context import AppContext
    from lmgpa_desktop.storage.jobs_repo import JobRecord


def open_ctx(args) -> AppContext:
    """The profile chosen by --home or the environment."""
    from lmgpa_desktop.core.profile import open_app

    return open_app(Path(args.home) if getattr(args, "home", None) else None)


def run_job_with_bar(ctx: AppContext, kind: str, payload: dict, label: str) -> JobRecord:
    """Queue a job, run it in this process with a terminal progress bar; raise JobError if it fails."""
    return run_queued_with_bar(ctx, ctx.jobs.submit(kind, payload, title=label), label)


def run_queued_with_bar(ctx: AppContext, job_id: int, label: str, raise_on_failure: bool = True) -> JobRecord:
    """Run an already queued job here with a progress bar; Ctrl+C cancels it."""
    bar = ProgressBar(label)

    def listener(event, _job, report):
        if event == "progress":
            bar.update(report)

    try:
        final = ctx.jobs.run_now(job_id, listener)
    except KeyboardInterrupt:
        ctx.jobs.cancel(job_id)
        raise
    finally:
        bar.close()
    if raise_on_failure and final.state != "done":
        raise JobError(f"{label} {final.state}: {final.error or final.message}")
    return final


def drain_queue(ctx: AppContext) -> list[JobRecord]:
    """Run every queued job here (follow-ups such as indexing) so a CLI command leaves nothing half done."""
    ctx.jobs.recover_interrupted()
    finished = []
    while True:
        queued = [j for j in ctx.jobs.recent(10_000) if j.state == "queued"]
        if not queued:
            return finished
        job = min(queued, key=lambda j: j.id)
        finished.append(run_queued_with_bar(ctx, job.id, job.title or job.kind, raise_on_failure=False))


def scope_from_args(ctx: AppContext, args):
    """The search scope named by --source and --class (a clear error for unknown ones)."""
    from lmgpa_desktop.core.library.search import Scope
    from lmgpa_desktop.storage import library_repo, sources_repo

    source = getattr(args, "source", None)
    if source is not None and sources_repo.get(ctx.db, source) is None:
        raise ValueError(f"there is no source {source} (see `lmgpa sources`)")
    course = library_repo.course_named(ctx.db, args.course, create=False) if args.course else None
    if args.course and course is None:
        raise ValueError(f"there is no class named {args.course!r}")
    return Scope(source_id=source, course_id=course.id if course else None)
