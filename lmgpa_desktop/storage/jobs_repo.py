"""Rows of the persistent job queue and its log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from lmgpa_desktop.storage.base import utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Job, JobLog

ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class JobRecord:
    """A job as plain data (safe to pass between threads)."""

    id: int
    kind: str
    queue: str
    title: str
    payload: dict
    state: str
    progress_done: float
    progress_total: float | None
    message: str
    error: str | None
    result: dict | None
    checkpoint: dict | None
    attempts: int
    max_attempts: int
    cancel_requested: bool
    owner: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def fraction(self) -> float | None:
        """Progress in [0, 1], or None when the total is unknown."""
        if not self.progress_total:
            return None
        return max(0.0, min(1.0, self.progress_done / self.progress_total))


def _record(job: Job) -> JobRecord:
    return JobRecord(
        id=job.id, kind=job.kind, queue=job.queue, title=job.title, payload=dict(job.payload or {}),
        state=job.state, progress_done=job.progress_done, progress_total=job.progress_total,
        message=job.message, error=job.error, result=job.result, checkpoint=job.checkpoint,
        attempts=job.attempts, max_attempts=job.max_attempts, cancel_requested=job.cancel_requested,
        owner=job.owner, created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
    )


def create(db: Database, kind: str, queue: str, title: str, payload: dict, max_attempts: int) -> int:
    """Queue a new job; returns its id."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        job = Job(kind=kind, queue=queue, title=title, payload=payload, max_attempts=max_attempts)
        s.add(job)
        s.flush()
        s.add(JobLog(job_id=job.id, message="queued"))
        return job.id


def get(db: Database, job_id: int) -> JobRecord | None:
    """One job, or None."""
    with db.read() as s:
        job = s.get(Job, job_id)
        return _record(job) if job else None


def recent(db: Database, limit: int = 200, states: tuple[str, ...] | None = None) -> list[JobRecord]:
    """Newest jobs first, optionally only in some states."""
    with db.read() as s:
        q = select(Job).order_by(Job.id.desc()).limit(limit)
        if states:
            q = q.where(Job.state.in_(states))
        return [_record(j) for j in s.scalars(q)]


def claim(db: Database, owner: str, queue: str | None = None, job_id: int | None = None) -> JobRecord | None:
    """Atomically move the oldest queued job (of a queue, or a given id) to running for owner."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        q = select(Job).where(Job.state == "queued").order_by(Job.id).limit(1)
        if queue is not None:
            q = q.where(Job.queue == queue)
        if job_id is not None:
            q = q.where(Job.id == job_id)
        job = s.scalars(q).first()
        if job is None:
            return None
        now = utcnow()
        job.state, job.owner, job.attempts = "running", owner, job.attempts + 1
        job.started_at, job.heartbeat_at, job.error = now, now, None
        s.add(JobLog(job_id=job.id, message=f"started (attempt {job.attempts}) by {owner}"))
        s.flush()
        return _record(job)


def report_progress(db: Database, job_id: int, done: float, total: float | None, message: str) -> bool:
    """Store progress and heartbeat; returns whether cancel was requested meanwhile."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        s.execute(
            update(Job).where(Job.id == job_id).values(
                progress_done=done, progress_total=total, message=message, heartbeat_at=utcnow()
            )
        )
        return bool(s.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def save_checkpoint(db: Database, job_id: int, checkpoint: dict) -> None:
    """Remember how far a job got, so a re-queued run can resume."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        s.execute(update(Job).where(Job.id == job_id).values(checkpoint=checkpoint, heartbeat_at=utcnow()))


def finish(db: Database, job_id: int, state: str, *, result: dict | None = None, error: str | None = None,
           message: str | None = None) -> JobRecord:
    """End a job as done, failed or cancelled."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        job = s.get(Job, job_id)
        job.state, job.finished_at, job.owner = state, utcnow(), None
        if result is not None:
            job.result = result
        if error is not None:
            job.error = error
        if message is not None:
            job.message = message
        if state == "done" and job.progress_total:
            job.progress_done = job.progress_total
        s.add(JobLog(job_id=job_id, level="error" if state == "failed" else "info",
                     message=state if error is None else f"{state}: {error}"))
        s.flush()
        return _record(job)


def requeue(db: Database, job_id: int, reason: str, refund_attempt: bool = False) -> None:
    """Put a job back in the queue (after a crash, a clean shutdown, or the student's retry)."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        job = s.get(Job, job_id)
        job.state, job.owner, job.finished_at, job.cancel_requested = "queued", None, None, False
        if refund_attempt:
            job.attempts = max(0, job.attempts - 1)
        s.add(JobLog(job_id=job_id, level="warning", message=f"re-queued: {reason}"))


def reset_attempts(db: Database, job_id: int) -> None:
    """Give a failed job a fresh set of attempts (student pressed Retry)."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        s.execute(update(Job).where(Job.id == job_id).values(attempts=0, error=None))


def request_cancel(db: Database, job_id: int) -> str | None:
    """Cancel a queued job now, or flag a running one; returns the resulting state."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        job = s.get(Job, job_id)
        if job is None:
            return None
        if job.state == "queued":
            job.state, job.finished_at = "cancelled", utcnow()
            s.add(JobLog(job_id=job_id, message="cancelled before it started"))
        elif job.state == "running":
            job.cancel_requested = True
            s.add(JobLog(job_id=job_id, message="cancel requested"))
        return job.state


def running(db: Database) -> list[JobRecord]:
    """Jobs marked running (by this or an earlier process)."""
    return recent(db, limit=10_000, states=("running",))


def log_lines(db: Database, job_id: int) -> list[tuple[datetime, str, str]]:
    """A job's history, oldest first."""
    with db.read() as s:
        rows = s.scalars(select(JobLog).where(JobLog.job_id == job_id).order_by(JobLog.id))
        return [(r.at, r.level, r.message) for r in rows]


def add_log(db: Database, job_id: int, message: str, level: str = "info") -> None:
    """Append a line to a job's history."""
    with db.write(counted=False) as s:  # queue bookkeeping: no reason for a backup
        s.add(JobLog(job_id=job_id, level=level, message=message))
