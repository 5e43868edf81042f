"""Reminders in the GUI: runs the reminder service, shows deliveries in the tray, keeps the unread badge."""

from __future__ import annotations

import logging
from concurrent.futures import Future

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QSystemTrayIcon

from lmgpa_desktop.ui.kit.operations import Operations

log = logging.getLogger(__name__)
MESSAGE_MS = 8000


def badge_icon(count: int, size: int = 18, base: QIcon | None = None) -> QIcon:
    """A small round badge with the unread count; over base's corner when given (base alone, or an empty icon,
    for none)."""
    if count <= 0:
        return base if base is not None else QIcon()
    label = "9+" if count > 9 else str(count)
    if base is None or base.isNull():
        return QIcon(_badge(label, size, size, 1.0))
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):
        icon.addPixmap(_badge(label, size, size, 0.62, base.pixmap(size, size, mode)), mode)
    return icon


def _badge(label: str, width: int, height: int, share: float, under: QPixmap | None = None) -> QPixmap:
    """A pixmap with the base picture (if any) and a badge of share of its height in the top-right corner."""
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if under is not None:
        painter.drawPixmap(0, 0, under)
    side = height * share
    spot = QRectF(width - side, 0, side, side)
    painter.setBrush(QColor("#d9480f"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(spot)
    font = QFont()
    font.setPixelSize(max(6, int(side * 0.6)))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(spot, Qt.AlignmentFlag.AlignCenter, label)
    painter.end()
    return pixmap


class Notifier(QObject):
    """Owns the profile's ReminderService; hands deliveries (from the scheduler's thread) to the UI thread."""

    popup = Signal(object)  # a delivered reminder, to show in the tray
    changed = Signal(object)  # the centre changed (a new row, or None)
    unread = Signal(int)  # the unread count after a change

    def __init__(self, ctx, tray: QSystemTrayIcon | None, parent=None, clock=None):
        super().__init__(parent)
        from lmgpa_desktop.core.progress import notifications
        from lmgpa_desktop.core.progress.reminders import ReminderService

        self.ctx, self.tray = ctx, tray
        self.shown: list = []  # rows shown in the tray (kept for the tests and the log)
        self.ops = Operations(self, "notifier")
        self.service = ReminderService(ctx, deliver=self._from_worker(self.popup), clock=clock)
        self._listener = self._from_worker(self.changed)
        self._starting: Future | None = None
        self.popup.connect(self._show)
        self.changed.connect(lambda _row: self.refresh_count())
        notifications.subscribe(ctx, self._listener)

    def _from_worker(self, signal):
        """A callable for other threads: emitting a signal queues the slot onto the UI thread."""
        def relay(row) -> None:
            try:
                signal.emit(row)
            except RuntimeError:
                pass  # the window is gone
        return relay

    def start(self) -> None:
        """Start the scheduler off the UI thread (opening the job store reads the database)."""
        from lmgpa_desktop.core.progress import reminders

        reminders.preload()
        self._starting = self.ops.run(self._start)
        self.refresh_count()

    def _start(self) -> None:
        try:
            self.service.start()
        except Exception:  # noqa: BLE001 - reminders are a convenience; the app works without them
            log.exception("the reminder scheduler did not start")

    def wait_started(self) -> None:
        """Block until the scheduler's start has finished (it may have failed; that is logged)."""
        if self._starting is not None:
            self._starting.result()

    def stop(self) -> None:
        """Stop the scheduler (its jobs stay in the database) and stop listening."""
        from lmgpa_desktop.core.progress import notifications

        notifications.unsubscribe(self.ctx, self._listener)
        self.wait_started()  # a start still opening the store finishes first, so stop() sees its scheduler
        self.service.stop()
        self.ops.close()

    def refresh_count(self) -> None:
        """Read the unread count off the UI thread and announce it."""
        from lmgpa_desktop.core.progress import notifications

        self.ops.run_either(lambda: notifications.unread_count(self.ctx),
                            lambda n: self.unread.emit(n) if isinstance(n, int) else log.warning("unread: %s", n))

    def _show(self, row) -> None:
        """Show a reminder as a tray message where the desktop can; otherwise it waits in the centre."""
        self.shown.append(row)
        if self.tray is not None and self.tray.isVisible() and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage(row.title, row.body, self.tray.icon(), MESSAGE_MS)
