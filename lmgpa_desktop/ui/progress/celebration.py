"""A small toast that celebrates an unlock without blocking work: never takes focus, never covers a control."""

# Unlocks are judged on core.gamification's worker thread, so the subscriber only emits a signal; Qt queues it
# to the UI thread, where the toast is shown. In a main window the toast takes its own place in the status bar
# (laid out beside the job indicator, so it cannot sit on a button the student is about to press); toasts for the
# same window wait their turn. A window without a status bar gets a frameless note over its bottom-right corner.

from __future__ import annotations

import weakref

import shiboken6
from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from lmgpa_desktop.core.progress import achievements

SHOW_MS = 4500
MARGIN = 16
WIDTH_SHARE = 0.55  # of the status bar at most: the status message and the job indicator stay readable
_open: list[Toast] = []  # shown or waiting, oldest first


class Toast(QFrame):
    """A note that does not take focus and closes SHOW_MS after it is shown (a click closes it early)."""

    def __init__(self, parent: QWidget | None, title: str, text: str, show_ms: int = SHOW_MS, inline: bool = False):
        flags = Qt.WindowType.Widget if inline else (Qt.WindowType.ToolTip | Qt.WindowType.FramelessWindowHint
                                                     | Qt.WindowType.WindowDoesNotAcceptFocus)
        super().__init__(parent, flags)
        self.inline = inline
        self.setObjectName("celebrationToast")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAccessibleName(f"{title}. {text}")
        self.setToolTip(f"{title}\n{text}")
        self.setStyleSheet("#celebrationToast { background: #2d2a4a; border-radius: 6px; }"
                           "#celebrationToast QLabel { color: white; background: transparent; }")
        self.title = QLabel(title)
        self.title.setStyleSheet("font-weight: bold;")
        self.text = QLabel(text)
        layout = QHBoxLayout(self) if inline else QVBoxLayout(self)
        if inline:  # one line in the status bar; the full text is in the tooltip and the notification centre
            layout.setContentsMargins(10, 1, 10, 1)
            layout.addWidget(QLabel("★"))
        else:
            layout.setContentsMargins(14, 10, 14, 12)
            self.text.setWordWrap(True)
            self.setFixedWidth(300)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        self.show_ms = show_ms
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.close)

    def showEvent(self, event) -> None:
        """The countdown starts when the student can see it (a waiting toast is not used up)."""
        super().showEvent(event)
        if not self.timer.isActive():
            self.timer.start(self.show_ms)

    def mousePressEvent(self, event) -> None:
        """A click dismisses it early."""
        self.close()

    def closeEvent(self, event) -> None:
        """Leave the queue; the next toast for this window shows."""
        if self in _open:
            _open.remove(self)
        super().closeEvent(event)
        if self.inline:
            self.parentWidget().removeWidget(self)  # its place in the status bar goes back to the message
            QTimer.singleShot(0, _show_next)


def _alive() -> list[Toast]:
    # A toast whose window was destroyed never got closeEvent: drop such dead ones.
    _open[:] = [t for t in _open if shiboken6.isValid(t)]
    return _open


def _show_next() -> None:
    """Show the oldest waiting status-bar toast of each status bar that has none showing."""
    busy = set()
    for toast in _alive():
        if not toast.inline:
            continue
        bar = toast.parentWidget()
        if toast.isVisible():
            busy.add(bar)
        elif bar not in busy:
            bar.insertPermanentWidget(0, toast)
            toast.setMaximumWidth(max(200, int(bar.width() * WIDTH_SHARE)))
            toast.text.setText(toast.text.fontMetrics().elidedText(
                toast.toolTip().partition("\n")[2], Qt.TextElideMode.ElideRight,
                max(80, toast.maximumWidth() - toast.title.sizeHint().width() - 48)))
            toast.show()
            busy.add(bar)


def _place(toast: Toast, parent_window: QWidget | None) -> None:
    """A floating toast: stacked upwards from the window's (or screen's) bottom-right corner."""
    toast.adjustSize()
    below = sum(t.height() + 8 for t in _alive() if t is not toast and t.isVisible() and not t.inline)
    if parent_window is not None:
        corner = parent_window.mapToGlobal(QPoint(parent_window.width(), parent_window.height()))
    else:
        corner = toast.screen().availableGeometry().bottomRight()
    toast.move(corner.x() - toast.width() - MARGIN, corner.y() - toast.height() - MARGIN - below)


def celebrate(parent_window: QWidget | None, title: str, text: str, show_ms: int = SHOW_MS) -> Toast:
    """Show a toast (in the window's status bar when it has one); returns at once (the toast hides itself)."""
    if isinstance(parent_window, QMainWindow):
        bar = parent_window.statusBar()
        toast = Toast(bar, title, text, show_ms, inline=True)
        toast.hide()
        _open.append(toast)
        _show_next()
        return toast
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
