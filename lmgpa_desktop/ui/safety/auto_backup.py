"""The GUI's automatic backups: a timer that backs up on a worker thread, and the backup made on quit."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from lmgpa_desktop.core.safety.auto_backup import AutoBackup

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)
CHECK_MS = 60_000  # how often the timer asks whether a backup is due (the interval itself is a setting)


class AutoBackupTimer(QObject):
    """Backs the open profile up every backups.interval_minutes of use when data changed, and once more on quit.

    The backup runs on its own thread, never on the UI thread nor on a page's lane (a large profile takes seconds).
    """

    backed_up = Signal(object)  # BackupInfo, on the UI thread
    failed = Signal(str)  # what went wrong, in the student's words

    def __init__(self, ctx: AppContext, window=None, check_ms: int = CHECK_MS):
        super().__init__(window)
        self.ctx, self.auto = ctx, AutoBackup(ctx)
        if window is not None and hasattr(window, "statusBar"):  # a quiet word in the status bar, never a dialog
            self.backed_up.connect(lambda info: window.statusBar().showMessage(
                f"Backed up automatically at {info.created.astimezone():%H:%M}", 5000))
            self.failed.connect(lambda message: window.statusBar().showMessage(
                f"Automatic backup failed: {message}", 15000))
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self.tick)
        self._timer.start()

    def busy(self) -> bool:
        """Whether a backup is running."""
        return self._thread is not None and self._thread.is_alive()

    def tick(self) -> None:
        """On the UI thread: start a backup when one is due (the check reads only memory)."""
        if not self.busy() and self.auto.due():
            self._thread = threading.Thread(target=self._work, args=("auto",), name="auto-backup", daemon=True)
            self._thread.start()

    def _work(self, reason: str) -> None:
        try:
            info = self.auto.run(reason)
        except Exception as exc:  # noqa: BLE001 - reported in the status bar and the log; the app goes on
            log.exception("automatic backup failed")
            self._emit(self.failed, str(exc))
        else:
            if info is not None:
                self._emit(self.backed_up, info)

    @staticmethod
    def _emit(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            pass  # the window is gone (quitting): nobody to tell

    def on_quit(self) -> None:
        """Stop the timer, wait for a running backup, then back up once more if data changed since.

        Blocks: the app calls it after the window has closed and before the profile is closed, so the backup is on
        the disk before the process exits and the window never hangs while it runs.
        """
        try:
            self._timer.stop()
        except RuntimeError:
            pass  # the window that owned the timer is already deleted
        if self._thread is not None:
            self._thread.join()
        try:
            info = self.auto.run("quit")
        except Exception:  # noqa: BLE001 - the app is closing: the log keeps why
            log.exception("backup on quit failed")
            return
        if info is not None:
            log.info("backed up on quit: %s", info.id)
