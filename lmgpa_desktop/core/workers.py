"""One worker thread per engine queue, so two heavy model loads never run at once."""

from __future__ import annotations

import logging
import threading

from lmgpa_desktop.core.jobs import JobQueue, Listener, queues

log = logging.getLogger(__name__)


class QueueWorker(threading.Thread):
    """Runs the jobs of one queue, one after another, until stopped."""

    def __init__(self, jobs: JobQueue, queue: str, listener: Listener):
        super().__init__(name=f"jobs-{queue}", daemon=True)
        self.jobs, self.queue, self.listener = jobs, queue, listener
        self._wake = threading.Event()
        self._halt = threading.Event()
        self.busy = False

    def wake(self) -> None:
        """Look for new work now."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current job's step and exit."""
        self._halt.set()
        self._wake.set()

    def run(self) -> None:
        while not self._halt.is_set():
            job = self.jobs.claim_next(self.queue)
            if job is None:
                self._wake.wait(timeout=2.0)  # also polls, for jobs queued by another process
                self._wake.clear()
                continue
            self.busy = True
            try:
                self.jobs.execute(job, self.listener)
            finally:
                self.busy = False


class WorkerPool:
    """Starts a worker per queue and routes wake-ups and cancels to them."""

    def __init__(self, jobs: JobQueue, listener: Listener):
        self.jobs = jobs
        self.workers = {q: QueueWorker(jobs, q, listener) for q in queues()}
        jobs.on_submit = self.wake  # jobs queued by other jobs start at once too

    def start(self) -> None:
        """Recover what a crash left behind, then start every worker."""
        self.jobs.recover_interrupted()
        for worker in self.workers.values():
            worker.start()

    def wake(self, queue: str) -> None:
        """Wake the worker of a queue."""
        worker = self.workers.get(queue)
        if worker:
            worker.wake()

    def submit(self, kind: str, payload: dict | None = None, title: str = "") -> int:
        """Queue a job; its worker wakes through on_submit."""
        return self.jobs.submit(kind, payload, title)

    def cancel(self, job_id: int) -> None:
        """Cancel a queued or running job."""
        self.jobs.cancel(job_id)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every worker; running jobs go back to the queue and resume at the next start."""
        for worker in self.workers.values():
            worker.stop()
        self.jobs.interrupt_running()
        self.jobs.on_submit = None
        for worker in self.workers.values():
            if worker.is_alive():
                worker.join(timeout)
