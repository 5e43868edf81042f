"""One worker thread per engine queue, so two heavy model loads never run at once; a profile's serial worker."""

from __future__ import annotations

import atexit
import logging
import queue as queue_module
import threading
from collections.abc import Callable

from lmgpa_desktop.core.jobs import JobQueue, Listener, queues
from lmgpa_desktop.core import disk_space

log = logging.getLogger(__name__)


class SerialWorker:
    """One daemon thread running a profile's submitted tasks in order (started on first use, ended by stop())."""

    def __init__(self, name: str):
        self.name = name
        self.lock = threading.RLock()  # held while a task runs; work also called directly takes it too
        self.memo: dict = {}  # what the tasks remember between runs (gamification: the last day judged)
        self._queue: queue_module.Queue = queue_module.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()  # apart from lock, so submitting never waits for a running task

    def submit(self, task: Callable[[], object]) -> None:
        """Queue a task; returns at once."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()
                atexit.register(self.drain)  # a CLI command's tasks finish before the process ends
        self._queue.put(task)

    def _work(self) -> None:
        while True:
            task = self._queue.get()
            try:
                if task is None:
                    return
                task()
            except Exception:  # noqa: BLE001 - a failed task must never stop the next one
                log.exception("%s task failed", self.name)
            finally:
                self._queue.task_done()

    def on_worker(self) -> bool:
        """Whether the caller is this worker's own thread."""
        return threading.current_thread() is self._thread

    def drain(self) -> None:
        """Wait until every queued task has run (no-op on the worker thread itself)."""
        if not self.on_worker():
            self._queue.join()

    def stop(self, timeout: float = 5.0) -> None:
        """Run what is queued, then end the thread (a later submit starts a new one)."""
        with self._start_lock:
            thread, self._thread = self._thread, None
        if thread is None or not thread.is_alive():
            return
        atexit.unregister(self.drain)
        self._queue.put(None)
        if thread is not threading.current_thread():
            thread.join(timeout)


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
            try:
                job = self.jobs.claim_next(self.queue)
            except Exception as exc:  # noqa: BLE001 - a full disk must not end the worker: it waits for room
                if not disk_space.is_disk_full(exc):
                    raise
                log.warning("jobs-%s: cannot take the next job while the disk is full", self.queue)
                job = None
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
        self.jobs, self.listener = jobs, listener
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
        if self.jobs.cancel(job_id) == "cancelled":
            # it never started, so no worker will report its end: say it here, or a page waiting for it waits forever
            self.listener("finished", self.jobs.get(job_id), None)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every worker; running jobs go back to the queue and resume at the next start."""
        for worker in self.workers.values():
            worker.stop()
        self.jobs.interrupt_running()
        self.jobs.on_submit = None
        for worker in self.workers.values():
            if worker.is_alive():
                worker.join(timeout)
