"""Persistent job queue: jobs are generators yielding Progress, stored in SQLite, crash-safe."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.storage import jobs_repo
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.jobs_repo import JobRecord

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)

JobFn = Callable[["JobRun", dict], Generator[Progress, None, dict | None]]
GiveUp = Callable[[Any, JobRecord, str], None]  # (services: the AppContext, the job, the reason)
PERSIST_EVERY_S = 0.25  # progress rows are throttled; the UI still gets every report
FAIL_RETRY_S = 1.0  # how often a failure the full disk kept from being recorded is tried again
# Modules that define job kinds; imported lazily so start-up stays fast. Names, not imports: the kernel imports
# no feature, and kinds() loads these only when a job is submitted or run.
JOB_MODULES = ["lmgpa_desktop.core.maintenance", "lmgpa_desktop.core.capture.transcription",
               "lmgpa_desktop.core.capture.media_import", "lmgpa_desktop.core.capture.recording_finalize",
               "lmgpa_desktop.core.library.indexing", "lmgpa_desktop.core.library.library",
               "lmgpa_desktop.core.study.items.generate", "lmgpa_desktop.core.study.anki.importing",
               "lmgpa_desktop.core.study.anki.exporting", "lmgpa_desktop.core.study.practice",
               "lmgpa_desktop.core.study.read_aloud", "lmgpa_desktop.core.online.service"]
JOB_MODULES.append("lmgpa_desktop.core.safety.archive")  # archive.export (whole-profile archive)
JOB_MODULES.append("lmgpa_desktop.core.sync.jobs")  # sync.personal (Sync now), sync.media (Download now)
JOB_MODULES.append("lmgpa_desktop.core.self_test")  # self_test (Settings -> About -> Run self-test)


@dataclass(frozen=True)
class JobKind:
    """A registered kind of job and the engine queue it runs on."""

    name: str
    queue: str
    fn: JobFn
    max_attempts: int
    on_give_up: GiveUp | None = None


_KINDS: dict[str, JobKind] = {}


def job_kind(name: str, queue: str = "default", max_attempts: int = 3,
             on_give_up: GiveUp | None = None) -> Callable[[JobFn], JobFn]:
    """Register a generator function as a job kind.

    on_give_up(services, job, reason) runs when crashes interrupted the job max_attempts times and it is failed
    without running again: the kind marks what it was working on as failed (its own error handling never ran).
    """

    def register(fn: JobFn) -> JobFn:
        _KINDS[name] = JobKind(name, queue, fn, max_attempts, on_give_up)
        return fn

    return register


def kinds() -> dict[str, JobKind]:
    """Every known job kind (importing the modules that define them)."""
    extra = [m for m in os.environ.get("LMGPA_JOB_MODULES", "").split(",") if m]
    for module in JOB_MODULES + extra:
        importlib.import_module(module)
    return dict(_KINDS)


def queues() -> list[str]:
    """Names of the serial queues (one per heavy engine, plus default)."""
    return sorted({k.queue for k in kinds().values()} | {"default"})


class Cancelled(Exception):
    """Raised inside the executor when the student cancels."""


class JobRun:
    """What a running job can see and do besides yielding progress (a job function's `run`; run.services is the
    AppContext)."""

    def __init__(self, queue: JobQueue, job: JobRecord, services: AppContext):
        self.queue, self.job, self.services = queue, job, services
        self.job_id, self.checkpoint, self.attempt = job.id, job.checkpoint, job.attempts

    def save_checkpoint(self, data: dict) -> None:
        """Persist how far the job got; a re-run after a crash sees it as run.checkpoint."""
        jobs_repo.save_checkpoint(self.queue.db, self.job_id, data)
        self.checkpoint = data

    def log(self, message: str, level: str = "info") -> None:
        """Add a line to the job's history."""
        jobs_repo.add_log(self.queue.db, self.job_id, message, level)

    @property
    def cancel_event(self) -> threading.Event:
        """Set when the student cancels, so work inside one long step (a model call) can stop early too."""
        with self.queue._lock:
            event = self.queue._cancel_events.get(self.job_id)
        return event if event is not None else threading.Event()


def owner_token() -> str:
    """host:pid:start-time of this process, so a dead owner is recognised after a crash."""
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def _start_time(pid: int) -> str:
    """Process start time from /proc (guards against PID reuse); '' where unavailable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def owner_alive(owner: str | None) -> bool:
    """Whether the process that claimed a job still runs."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_s, _, started = rest.partition(":")
    if host != socket.gethostname():
        return True  # another machine sharing the folder: not ours to judge
    try:
        pid = int(pid_s)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return not started or _start_time(pid) == started


Listener = Callable[[str, JobRecord | int, Progress | None], None]


class JobQueue:
    """Submit, run, cancel and recover jobs stored in the database."""

    def __init__(self, db: Database, services: AppContext | None = None):
        self.db, self.services = db, services
        self.owner = owner_token()
        self.on_submit: Callable[[str], None] | None = None  # told the queue name of each new job
        self._cancel_events: dict[int, threading.Event] = {}
        self._interrupting: set[int] = set()
        self._lock = threading.Lock()

    def submit(self, kind: str, payload: dict | None = None, title: str = "") -> int:
        """Queue a job of a registered kind; returns its id."""
        spec = kinds().get(kind)
        if spec is None:
            raise ValueError(f"unknown job kind {kind!r}")
        job_id = jobs_repo.create(self.db, kind, spec.queue, title or kind, payload or {}, spec.max_attempts)
        if self.on_submit:
            self.on_submit(spec.queue)
        return job_id

    def get(self, job_id: int) -> JobRecord | None:
        """One job as plain data."""
        return jobs_repo.get(self.db, job_id)

    def recent(self, limit: int = 200) -> list[JobRecord]:
        """Newest jobs first."""
        return jobs_repo.recent(self.db, limit)

    def cancel(self, job_id: int) -> str | None:
        """Cancel a queued job, or ask a running one to stop at its next progress report."""
        state = jobs_repo.request_cancel(self.db, job_id)
        with self._lock:
            event = self._cancel_events.get(job_id)
        if event:
            event.set()
        return state

    def interrupt_running(self) -> None:
        """Stop this process's running jobs at their next report and queue them for the next start."""
        with self._lock:
            for job_id, event in self._cancel_events.items():
                self._interrupting.add(job_id)
                event.set()

    def retry(self, job_id: int) -> None:
        """Queue a failed or cancelled job again with fresh attempts."""
        jobs_repo.reset_attempts(self.db, job_id)
        jobs_repo.requeue(self.db, job_id, "retry requested")

    def recover_interrupted(self) -> list[tuple[int, str]]:
        """Re-queue jobs a crashed process left running; fail those out of attempts."""
        outcome = []
        for job in jobs_repo.running(self.db):
            if owner_alive(job.owner):
                continue
            if job.attempts >= job.max_attempts:
                reason = f"interrupted {job.attempts} times (the app or computer stopped while it ran); giving up"
                jobs_repo.finish(self.db, job.id, "failed", error=reason)
                outcome.append((job.id, "failed"))
                self._gave_up(job, reason)
            else:
                jobs_repo.requeue(self.db, job.id, f"the process running it ({job.owner}) stopped")
                outcome.append((job.id, "queued"))
        if outcome:
            log.warning("recovered interrupted jobs: %s", outcome)
        return outcome

    def _gave_up(self, job: JobRecord, reason: str) -> None:
        kind = kinds().get(job.kind)
        if kind is None or kind.on_give_up is None:
            return
        try:
            kind.on_give_up(self.services, job, reason)
        except Exception:  # noqa: BLE001 - the job is failed either way; its rows keep their old status
            log.exception("after giving up job %s (%s)", job.id, job.kind)

    def claim_next(self, queue: str) -> JobRecord | None:
        """Take the oldest queued job of a queue for this process."""
        return jobs_repo.claim(self.db, self.owner, queue=queue)

    def run_now(self, job_id: int, listener: Listener | None = None) -> JobRecord:
        """Claim a specific queued job and run it in this thread (the CLI path)."""
        job = jobs_repo.claim(self.db, self.owner, job_id=job_id)
        if job is None:
            current = self.get(job_id)
            raise ValueError(f"job {job_id} is not queued (state: {current.state if current else 'missing'})")
        return self.execute(job, listener)

    def execute(self, job: JobRecord, listener: Listener | None = None) -> JobRecord:
        """Run a claimed job's generator to the end, persisting progress; never raises for job errors."""
        notify = listener or (lambda *_: None)
        event = threading.Event()
        with self._lock:
            self._cancel_events[job.id] = event
        notify("started", job, None)
        try:
            result = self._drive(job, event, notify)
            final = jobs_repo.finish(self.db, job.id, "done", result=result or {})
        except Cancelled:
            if job.id in self._interrupting:
                jobs_repo.requeue(self.db, job.id, "the app was closed; resumes at next start", refund_attempt=True)
                final = jobs_repo.get(self.db, job.id)
            else:
                final = jobs_repo.finish(self.db, job.id, "cancelled", message="cancelled")
        except JobError as exc:
            full = disk_space.is_disk_full(exc)  # a job's own words about a full disk become the one plain message
            final = self._fail(job, disk_space.describe(exc, self.db.path.parent) if full else str(exc))
        except Exception as exc:  # noqa: BLE001 - a job bug must not kill the worker
            if disk_space.is_disk_full(exc):  # not a bug: the student frees space and retries
                log.warning("job %s (%s) stopped: the disk is full: %s", job.id, job.kind, exc)
                final = self._fail(job, disk_space.describe(exc, self.db.path.parent))
            else:
                log.error("job %s (%s) crashed:\n%s", job.id, job.kind, traceback.format_exc())
                final = self._fail(job, f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._cancel_events.pop(job.id, None)
                self._interrupting.discard(job.id)
        notify("finished", final, None)
        return final

    def _fail(self, job: JobRecord, error: str) -> JobRecord:
        """Record a failed job; on a disk too full even for that, the row stays 'running' under this process's
        token (recover_interrupted queues it again at the next start) and the caller still gets the failure."""
        try:
            return jobs_repo.finish(self.db, job.id, "failed", error=error)
        except Exception as exc:
            if not disk_space.is_disk_full(exc):
                raise
            log.warning("job %s: its failure could not be recorded yet (disk full): %s", job.id, error)
            threading.Thread(target=self._fail_later, args=(job.id, error), name=f"job-{job.id}-fail",
                             daemon=True).start()
            return dataclasses.replace(job, state="failed", error=error)

    def _fail_later(self, job_id: int, error: str) -> None:
        """Record the failure once the student frees some space, so no job is left 'running'."""
        while True:
            time.sleep(FAIL_RETRY_S)
            try:
                jobs_repo.finish(self.db, job_id, "failed", error=error)
                return
            except Exception as exc:  # noqa: BLE001 - anything but a full disk: recover_interrupted at next start
                if not disk_space.is_disk_full(exc):
                    log.warning("job %s: its failure could not be recorded: %s", job_id, exc)
                    return

    def _drive(self, job: JobRecord, event: threading.Event, notify: Listener) -> dict | None:
        """Iterate the generator, checking for cancel between reports."""
        spec = kinds().get(job.kind)
        if spec is None:
            raise JobError(f"this version of the app does not know jobs of kind {job.kind!r}")
        gen = spec.fn(JobRun(self, job, self.services), dict(job.payload))
        last_write = 0.0
        try:
            while True:
                if event.is_set():
                    raise Cancelled
                try:
                    report = next(gen)
                except StopIteration as stop:
                    return stop.value
                notify("progress", job.id, report)
                now = time.monotonic()
                finished = report.total is not None and report.done >= report.total
                if now - last_write >= PERSIST_EVERY_S or finished:
                    last_write = now
                    if jobs_repo.report_progress(self.db, job.id, report.done, report.total, report.message):
                        event.set()
        finally:
            gen.close()  # runs the job's finally blocks on cancel or error
