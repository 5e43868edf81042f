"""The status bar's sync line: "Synced 2 min ago · 3 waiting · 1 conflict"; a click opens the Sync section."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QPushButton

from lmgpa_desktop.core.sync import service as sync
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.sync.events import sync_events
from lmgpa_desktop.ui.sync.words import status_sentence, status_text

REFRESH_MS = 30 * 1000  # "2 min ago" stays true and changes made meanwhile are counted without a sync
SYNC_KINDS = ("sync", "sync.personal", "sync.media")  # jobs after which the counts change


class SyncStatus(QObject):
    """One per window: reads sync status off the UI thread and shows it on a flat status-bar button."""

    open_sync = Signal()  # the line was clicked
    status_read = Signal(object)  # the status dict, each time it is read

    def __init__(self, ctx, runner, online, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.status: dict | None = None
        self.running = False
        self._reading = False
        self._again = False
        self.ops = Operations(self, "sync-status")
        self.badge = QPushButton("")
        self.badge.setObjectName("syncBadge")
        self.badge.setFlat(True)
        self.badge.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # an indicator; Account is reached by keyboard too
        self.badge.setAccessibleName("Sync status")
        self.badge.clicked.connect(self.open_sync.emit)
        self.badge.setVisible(False)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.events = sync_events(online)
        self.events.changed.connect(self.refresh)
        online.synced.connect(lambda _result: self.refresh())  # the online sync runs personal sync too
        if runner is not None:
            runner.started.connect(self._job_started)
            runner.finished.connect(self._job_finished)
        self.refresh()

    def refresh(self) -> None:
        """Read the status again (local database only); a request while reading reads once more after."""
        if self._reading:
            self._again = True
            return
        self._reading = True
        ctx = self.ctx
        self.ops.run_either(lambda: sync.status(ctx), self._show)

    def _show(self, status) -> None:
        self._reading = False
        if isinstance(status, Exception):
            status = {"enabled": False, "message": f"Sync status could not be read: {status}"}
        self.status = status
        text = status_text(status, running=self.running)
        if text and status.get("needs_passphrase"):
            text += " · passphrase needed"  # sync waits for the student: say so where it is seen
        self.badge.setText(text)
        self.badge.setToolTip(status_sentence(status) + " Click to open sync.")
        self.badge.setProperty("conflicts", bool(status.get("conflicts")))
        self.badge.setVisible(bool(text))
        self.status_read.emit(status)
        if self._again:
            self._again = False
            self.refresh()

    def _job_started(self, job) -> None:
        if job.kind in SYNC_KINDS:
            self.running = True
            self._show_running()

    def _show_running(self) -> None:
        if self.status is not None:
            self.badge.setText(status_text(self.status, running=True))

    def _job_finished(self, job) -> None:
        if job.kind in SYNC_KINDS:
            self.running = False
            self.refresh()

    def stop(self) -> None:
        """The window is closing."""
        self.timer.stop()
        self.ops.close()
