"""Job kinds used only by the job-queue tests (loaded through LMGPA_JOB_MODULES)."""

from __future__ import annotations

import time

from lmgpa_desktop.core.jobs import job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress


@job_kind("test.count", queue="test", max_attempts=2)
def count(run, payload):
    """Count to payload["steps"], sleeping between steps, checkpointing each step (resumable)."""
    steps, delay = payload.get("steps", 5), payload.get("delay", 0.0)
    start = (run.checkpoint or {}).get("next", 0)
    for i in range(start, steps):
        yield Progress(i, steps, f"step {i}")
        time.sleep(delay)
        run.save_checkpoint({"next": i + 1})
    yield Progress(steps, steps, "counted")
    return {"resumed_from": start, "attempt": run.attempt}


@job_kind("test.fail", queue="test")
def fail(run, payload):
    """Fail the way payload says: a student-facing JobError or an unexpected bug."""
    yield Progress(0, 1, "about to fail")
    if payload.get("bug"):
        raise ZeroDivisionError("division by zero")
    raise JobError("the file is not a valid recording")
