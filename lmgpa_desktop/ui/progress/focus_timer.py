"""The focus timer: a bar for the Progress page and a small always-on-top window with the time left."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lmgpa_desktop.core.progress import focus

PHASE_NAMES = {focus.IDLE: "Focus timer", focus.WORK: "Focus", focus.BREAK: "Break"}


def clock_text(seconds: float) -> str:
    """mm:ss."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class FocusTimerWidget(QWidget):
    """Start / pause / skip / stop, the time left, a class to credit, and a button for the mini window."""

    changed = Signal()

    def __init__(self, ctx, parent=None, clock=None):
        super().__init__(parent)
        self.timer = focus.FocusTimer(ctx, clock=clock, on_change=lambda _t: self._refresh())
        self.mini: MiniTimerWindow | None = None
        self.phase = QLabel(PHASE_NAMES[focus.IDLE])
        self.phase.setObjectName("focusPhase")
        self.time = QLabel(clock_text(focus.setting(ctx, "focus.work_minutes") * 60))
        self.time.setObjectName("focusTime")
        font = self.time.font()
        font.setPointSize(font.pointSize() + 8)
        font.setBold(True)
        self.time.setFont(font)
        self.course = QComboBox()
        self.course.setToolTip("The class this focus time counts for")
        self.course.addItem("No class", None)
        self.start_button = QPushButton("Start focus")
        self.pause_button = QPushButton("Pause")
        self.skip_button = QPushButton("Skip")
        self.stop_button = QPushButton("Stop")
        self.mini_button = QPushButton("Mini window")
        self.mini_button.setToolTip("A small window that stays on top of other windows")
        self.start_button.clicked.connect(lambda: self.timer.start(self.course.currentData()))
        self.pause_button.clicked.connect(self.toggle_pause)
        self.skip_button.clicked.connect(self.timer.skip)
        self.stop_button.clicked.connect(self.timer.stop)
        self.mini_button.clicked.connect(self.show_mini)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.phase, self.time, self.course, self.start_button, self.pause_button, self.skip_button,
                  self.stop_button, self.mini_button):
            row.addWidget(w)
        row.addStretch(1)
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.tick)
        self._refresh()

    def set_courses(self, courses: dict[int, str]) -> None:
        """Fill the class choice."""
        current = self.course.currentData()
        self.course.clear()
        self.course.addItem("No class", None)
        for cid, name in sorted(courses.items(), key=lambda kv: kv[1].lower()):
            self.course.addItem(name, cid)
        index = self.course.findData(current)
        self.course.setCurrentIndex(max(0, index))

    def toggle_pause(self) -> None:
        """Pause or resume."""
        (self.timer.resume if self.timer.paused else self.timer.pause)()

    def tick(self) -> None:
        """Once a second while running: move on when a period ends, redraw."""
        self.timer.tick()
        self._refresh()

    def show_mini(self) -> None:
        """Open (or raise) the always-on-top mini window."""
        if self.mini is None:
            self.mini = MiniTimerWindow(self)
        self.mini.show()
        self.mini.raise_()

    def _refresh(self) -> None:
        t = self.timer
        running = t.phase != focus.IDLE
        if running and not self.ticker.isActive():
            self.ticker.start()
        elif not running:
            self.ticker.stop()
        left = t.remaining().total_seconds() if running else focus.setting(t.ctx, "focus.work_minutes") * 60
        self.phase.setText(PHASE_NAMES[t.phase] + (" (paused)" if t.paused else ""))
        self.time.setText(clock_text(left))
        self.start_button.setEnabled(not running)
        self.course.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if t.paused else "Pause")
        self.skip_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.changed.emit()


class MiniTimerWindow(QWidget):
    """A small frameless-feeling window that stays on top: the time left, pause and stop."""

    def __init__(self, owner: FocusTimerWidget):
        super().__init__(None, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.owner = owner
        self.setWindowTitle("Focus")
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.label.font()
        font.setPointSize(font.pointSize() + 10)
        font.setBold(True)
        self.label.setFont(font)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.pause_button.clicked.connect(owner.toggle_pause)
        self.stop_button.clicked.connect(owner.timer.stop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        layout.addLayout(buttons)
        owner.changed.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        o = self.owner
        self.label.setText(f"{o.phase.text()}\n{o.time.text()}")
        running = o.timer.phase != focus.IDLE
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if o.timer.paused else "Pause")
        self.stop_button.setEnabled(running)
