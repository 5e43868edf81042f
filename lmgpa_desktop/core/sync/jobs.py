"""Sync as jobs, so the window shows progress and Cancel: a whole sync, and one lecture's file fetched now."""

from __future__ import annotations

from collections.abc import Generator

from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.sync import service


@job_kind("sync.personal", queue="default", max_attempts=1)
def personal_sync_job(run: JobRun, params: dict) -> Generator[Progress, None, dict]:
    """Sync now: pull, apply, push and move files; Cancel stops after the current step (a retry resumes)."""
    return (yield from service.sync_now(run.services, cancel=run.cancel_event))


@job_kind("sync.media", queue="default", max_attempts=1)
def fetch_media_job(run: JobRun, params: dict) -> Generator[Progress, None, dict]:
    """Download one source's file now (a lecture opened before its audio arrived)."""
    path = yield from service.fetch_media(run.services, int(params["source_id"]), cancel=run.cancel_event)
    return {"source_id": int(params["source_id"]), "path": path}
