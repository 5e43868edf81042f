"""A page's status line: work under way stays, a done message clears itself, an error stays until the next one."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel

DONE_MS = 8000  # long enough to read two lines; a done message is history after that, not status


def is_busy(text: str) -> bool:
    """Text that says work is under way ("Saving…", "Syncing...")."""
    return text.rstrip().endswith(("…", "..."))


class StatusLine(QLabel):
    """A wrapping, selectable label: setText() of a done message clears after done_ms, "…" text stays."""

    def __init__(self, text: str = "", name: str = "", done_ms: int = DONE_MS, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if name:
            self.setObjectName(name)
        self.done_ms = done_ms
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.clear)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        """Show text; a done message (not ending in "…") goes away after done_ms."""
        super().setText(text)
        self.timer.stop()
        if text and not is_busy(text):
            self.timer.start(self.done_ms)

    def show_error(self, text: str) -> None:
        """Show a problem the student has to read: it stays until the next message."""
        super().setText(text)
        self.timer.stop()
