"""The one way a page runs short work off the UI thread; long work is a job (see kit/job_runner.py)."""

# Like Anki's CollectionOp/QueryOp: the work runs on a shared worker thread of its lane, and its success or failure
# callback runs back on the UI thread, only while the page that asked still exists. Lanes keep a slow call from
# holding up a database read: "db" (one thread, so writes keep the order the student made them), "network", and
# "compute" for work that can take seconds of CPU (a search, whose first run loads the embedding model; loading a
# voice) and would otherwise hold up every page's database reads. An exception with no failure callback goes to
# sys.excepthook, which the window routes to its error dialog.

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

LANES = ("db", "network", "compute")
_executors: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def _executor(lane: str) -> ThreadPoolExecutor:
    """The lane's worker thread, made on first use (one each: ordered, and SQLite has one writer anyway)."""
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}; one of {LANES}")
    with _lock:
        pool = _executors.get(lane)
        if pool is None:
            pool = _executors[lane] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"op-{lane}")
        return pool


def _default_failure(exc: BaseException) -> None:
    """Unhandled: the error dialog (installed as sys.excepthook by the window) shows it and names the log."""
    sys.excepthook(type(exc), exc, exc.__traceback__)


class Operations(QObject):
    """A page's handle on the lanes: run(work, success, failure); `pending` counts work not yet handed back."""

    done = Signal(object, object)  # callback, argument: delivered on this object's (the UI) thread

    def __init__(self, parent: QObject | None = None, name: str = "page", lane: str = "db"):
        super().__init__(parent)
        self.name, self.lane = name, lane
        self.pending = 0
        self._count_lock = threading.Lock()
        self._closed = False
        self.done.connect(self._deliver)

    def _deliver(self, callback, argument) -> None:
        """On the UI thread: the callback, then the work counts as done (so `pending == 0` means shown)."""
        try:
            if callback is not None and not self._closed:
                callback(argument)
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._count_lock:
            self.pending -= 1

    def run(self, work: Callable[[], Any], success: Callable[[Any], None] | None = None,
            failure: Callable[[BaseException], None] | None = None, lane: str | None = None) -> Future | None:
        """work() on the lane's thread; then success(result) or failure(exception) on the UI thread.

        Returns the lane's future (done once work() has returned; for shutdown waits), or None when closed."""
        if self._closed:
            return None
        with self._count_lock:
            self.pending += 1

        def call() -> None:
            try:
                result, callback = work(), success
            except Exception as exc:  # noqa: BLE001 - handed to the failure callback on the UI thread
                result, callback = exc, failure or _default_failure
            try:
                self.done.emit(callback, result)
            except RuntimeError:
                self._finished()  # the page was deleted while the work ran: nobody to tell

        return _executor(lane or self.lane).submit(call)

    def run_either(self, work: Callable[[], Any], callback: Callable[[Any], None],
                   lane: str | None = None) -> Future | None:
        """work() off the UI thread; callback gets the result or the exception (for pages that show either)."""
        return self.run(work, callback, callback, lane)

    def close(self) -> None:
        """Stop handing results back (the page is closing); work already running finishes on its own."""
        self._closed = True


def wait_idle(timeout_s: float = 30.0) -> None:
    """Block until every lane has run what it was given so far (for shutdown and tests)."""
    for lane in LANES:
        pool = _executors.get(lane)
        if pool is not None:
            pool.submit(lambda: None).result(timeout=timeout_s)
