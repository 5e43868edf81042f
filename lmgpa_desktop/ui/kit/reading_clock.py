"""Counts time a student spends reading a source in a viewer, and records it as a "reading" activity."""

# Time counts only while the viewer is visible in the active window and the student touched it (scroll, click,
# key) within the last IDLE_S seconds: a document left open over lunch is not study time.

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from lmgpa_desktop.core.progress import sessions

log = logging.getLogger(__name__)

TICK_MS = 5_000
IDLE_S = 120.0
MIN_RECORD_S = 20.0  # shorter glances are not reading
INPUT_EVENTS = {QEvent.Type.MouseButtonPress, QEvent.Type.Wheel, QEvent.Type.KeyPress, QEvent.Type.MouseMove}


class ReadingClock(QObject):
    """Watches one viewer widget; `switch(source_id, course_id)` closes the last stretch and starts the next."""

    def __init__(self, ctx, viewer: QWidget, clock: Callable[[], float] = time.monotonic):
        super().__init__(viewer)
        self.ctx, self.viewer, self.clock = ctx, viewer, clock
        self.source_id: int | None = None
        self.course_id: int | None = None
        self.seconds = 0.0
        self._last_tick = clock()
        self._last_input = -IDLE_S
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # input anywhere inside the viewer, including its child widgets
            app.aboutToQuit.connect(self.flush)  # the last stretch of reading counts too

    def eventFilter(self, watched, event) -> bool:
        if event.type() in INPUT_EVENTS and isinstance(watched, QWidget) and self.viewer.isAncestorOf(watched):
            self.touched()
        return False

    def touched(self) -> None:
        """The student did something in the viewer."""
        self._last_input = self.clock()

    def tick(self) -> None:
        """Add the time since the last tick when the student is reading."""
        now = self.clock()
        elapsed, self._last_tick = now - self._last_tick, now
        window = self.viewer.window()
        active = self.viewer.isVisible() and window is not None and window.isActiveWindow()
        if self.source_id is not None and active and now - self._last_input <= IDLE_S:
            self.seconds += min(elapsed, TICK_MS / 1000 * 2)  # a stalled timer must not add a long gap

    def switch(self, source_id: int | None, course_id: int | None = None) -> None:
        """The viewer now shows another source (or none): record the time spent on the last one."""
        if source_id == self.source_id:
            return
        self.flush()
        self.source_id, self.course_id = source_id, course_id
        self._last_tick = self.clock()
        self.touched()  # opening a source is an action

    def flush(self) -> None:
        """Record the counted time (when long enough) and start again."""
        self.tick()
        seconds, self.seconds = self.seconds, 0.0
        if self.source_id is not None and seconds >= MIN_RECORD_S:
            try:
                sessions.record_reading(self.ctx, self.source_id, seconds, self.course_id)
            except Exception:  # noqa: BLE001 - a lost statistic must not break reading
                log.exception("could not record reading time")
