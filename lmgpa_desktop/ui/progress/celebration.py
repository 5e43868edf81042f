"""A small toast that celebrates an unlock without blocking work: frameless, never takes focus, hides itself."""

# Unlocks are judged on core.gamification's worker thread, so the subscriber only emits a signal; Qt queues it
# to the UI thread, where the toast is shown. Toasts stack upwards from the window's bottom-right corner.

from __future__ import annotations

import weakref

import shiboken6
from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from lmgpa_desktop.core.progress import achievements

SHOW_MS = 4500
MARGIN = 16
_open: list[Toast] = []


class Toast(QFrame):
    """A frameless note over a window's corner that does not take focus and closes after SHOW_MS."""

    def __init__(self, parent_window: QWidget | None, title: str, text: str, show_ms: int = SHOW_MS):
        super().__init__(parent_window, Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowDoesNotAcceptFocus)
        self.setObjectName("celebrationToast")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setStyleSheet("#celebrationToast { background: #2d2a4a; border-radius: 8px; }"
                           "#celebrationToast QLabel { color: white; }")
        self.title = QLabel(title)
        self.title.setStyleSheet("font-weight: bold; font-size: 13pt;")
        self.text = QLabel(text)
        self.text.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 12)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        self.setFixedWidth(300)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.close)
        self.timer.start(show_ms)

    def mousePressEvent(self, event) -> None:
        """A click dismisses it early."""
        self.close()

    def closeEvent(self, event) -> None:
        """Leave the stack so later toasts move down."""
        if self in _open:
            _open.remove(self)
        super().closeEvent(event)


def _place(toast: Toast, parent_window: QWidget | None) -> None:
    # A toast whose window was destroyed never got closeEvent: drop such dead ones before measuring.
    _open[:] = [t for t in _open if shiboken6.isValid(t)]
    toast.adjustSize()
    below = sum(t.height() + 8 for t in _open if t is not toast and t.isVisible())
    if parent_window is not None:
        corner = parent_window.mapToGlobal(QPoint(parent_window.width(), parent_window.height()))
    else:
        screen = toast.screen().availableGeometry()
        corner = screen.bottomRight()
    toast.move(corner.x() - toast.width() - MARGIN, corner.y() - toast.height() - MARGIN - below)


def celebrate(parent_window: QWidget | None, title: str, text: str, show_ms: int = SHOW_MS) -> Toast:
    """Show a toast over the window's bottom-right corner; returns at once (the toast hides itself)."""
    toast = Toast(parent_window, title, text, show_ms)
    _place(toast, parent_window)
    _open.append(toast)
    toast.show()
    return toast


class UnlockToasts(QObject):
    """Celebrates every achievement unlock over a window, from whichever thread judged it."""

    unlocked = Signal(object)  # an achievements.Unlock

    def __init__(self, window: QWidget, ctx):
        super().__init__(window)
        self._window, self._ctx = weakref.ref(window), ctx
        self.unlocked.connect(self._show)  # queued when emitted from the worker thread
        achievements.subscribe_unlocks(ctx, self._announce)
        self.destroyed.connect(lambda *_: achievements.unsubscribe_unlocks(ctx, self._announce))

    def _announce(self, unlock) -> None:
        """Runs on the judging thread: hand the unlock to the UI thread."""
        try:
            self.unlocked.emit(unlock)
        except RuntimeError:  # the window is gone
            achievements.unsubscribe_unlocks(self._ctx, self._announce)

    def _show(self, unlock) -> None:
        window = self._window()
        if window is not None:
            celebrate(window, f"Achievement unlocked: {unlock.title}", unlock.description)


def install_unlock_toasts(window: QWidget, ctx) -> UnlockToasts:
    """Celebrate the profile's unlocks over this window from now on (once per window)."""
    existing = window.findChild(UnlockToasts)
    return existing if existing is not None else UnlockToasts(window, ctx)
