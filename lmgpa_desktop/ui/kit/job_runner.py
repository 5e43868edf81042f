"""Runs queued jobs on worker threads and reports to the UI thread through Qt signals."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from lmgpa_desktop.core.context import AppContext
from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.workers import WorkerPool


class JobRunner(QObject):
    """Qt face of the core WorkerPool: submit/cancel from the UI, signals back on the UI thread."""

    started = Signal(object)  # JobRecord
    progress = Signal(int, object)  # job id, Progress
    finished = Signal(object)  # JobRecord
    queued = Signal(int)

    def __init__(self, ctx: AppContext, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx = ctx
        # Signals emitted from worker threads are queued to this object's (UI) thread.
        self.pool = WorkerPool(ctx.jobs, self._listen)

    def _listen(self, event: str, job, report: Progress | None) -> None:
        if event == "started":
            self.started.emit(job)
        elif event == "progress":
            self.progress.emit(job, report)
        else:
            self.finished.emit(job)

    def start(self) -> None:
        """Recover interrupted jobs and start the workers."""
        self.pool.start()

    def submit(self, kind: str, payload: dict | None = None, title: str = "") -> int:
        """Queue a job; its worker picks it up at once."""
        job_id = self.pool.submit(kind, payload, title)
        self.queued.emit(job_id)
        return job_id

    def announce(self, job_ids: list[int]) -> None:
        """Tell the UI about jobs queued directly through core (they already woke their worker)."""
        for job_id in job_ids:
            self.queued.emit(job_id)

    def cancel(self, job_id: int) -> None:
        """Cancel a queued or running job."""
        self.pool.cancel(job_id)

    def retry(self, job_id: int) -> None:
        """Queue a failed or cancelled job again."""
        self.ctx.jobs.retry(job_id)
        job = self.ctx.jobs.get(job_id)
        if job:
            self.pool.wake(job.queue)
        self.queued.emit(job_id)

    def stop(self) -> None:
        """Stop workers; running jobs resume at the next start."""
        self.pool.stop()
