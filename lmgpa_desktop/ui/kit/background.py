"""A one-thread runner for short work off the UI thread (reads, small exports), results back on the UI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal


class Background(QObject):
    """Runs short work off the UI thread, one at a time, and hands results back on the UI thread."""

    done = Signal(object, object)  # callback, result (or the exception raised)

    def __init__(self, parent=None, name: str = "background"):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.done.connect(lambda callback, result: callback(result))
        self.pending = 0
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], object], callback: Callable[[object], None]) -> None:
        """fn() on the worker thread; callback(result or exception) back on the UI thread."""
        with self._lock:
            self.pending += 1

        def work():
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - handed to the callback, which shows it
                result = exc
            try:
                self.done.emit(callback, result)
            except RuntimeError:
                pass  # the page is gone
            finally:
                with self._lock:
                    self.pending -= 1

        self._pool.submit(work)

    def close(self) -> None:
        """Stop taking work."""
        self._pool.shutdown(wait=False, cancel_futures=True)
