"""The strip under the player: playback position, bookmarks and photos; click to seek."""

from __future__ import annotations

from PySide6.QtCore import QRect, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from lmgpa_desktop.core.formatting import clock


class Timeline(QWidget):
    """A strip under the player: playback position, bookmarks (flags) and photos (squares); click to seek."""

    seek = Signal(float)
    photo_clicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedHeight(22)
        self.setMouseTracking(True)
        self.duration = 0.0
        self.position = 0.0
        self.bookmarks: list[tuple[float, str | None]] = []
        self.photos: list[tuple[float, str]] = []

    def set_marks(self, duration: float, bookmarks, photos) -> None:
        """Replace the markers."""
        self.duration = max(0.0, duration)
        self.bookmarks = [(at, label) for _, at, label in bookmarks]
        self.photos = [(at, path) for _, at, path in photos if at is not None]
        self.update()

    def _x(self, seconds: float) -> int:
        return int(seconds / self.duration * (self.width() - 8)) + 4 if self.duration else 4

    def _hit(self, x: int):
        """The marker under x, if any: ("bookmark"|"photo", seconds, label-or-path)."""
        for at, path in self.photos:
            if abs(self._x(at) - x) <= 5:
                return "photo", at, path
        for at, label in self.bookmarks:
            if abs(self._x(at) - x) <= 5:
                return "bookmark", at, label
        return None

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        mid = self.height() // 2
        p.fillRect(QRect(4, mid - 2, self.width() - 8, 4), QColor("#c9cde0"))
        p.fillRect(QRect(4, mid - 2, self._x(self.position) - 4, 4), QColor("#5b5bd6"))
        for at, _label in self.bookmarks:
            x = self._x(at)
            p.fillRect(QRect(x - 1, 2, 2, self.height() - 4), QColor("#e07a1f"))
            p.fillRect(QRect(x, 2, 7, 6), QColor("#e07a1f"))
        for at, _path in self.photos:
            x = self._x(at)
            p.fillRect(QRect(x - 4, mid - 4, 8, 8), QColor("#2a9d8f"))
        p.end()

    def mouseMoveEvent(self, event) -> None:
        hit = self._hit(int(event.position().x()))
        if hit is None:
            self.setToolTip("")
        elif hit[0] == "bookmark":
            self.setToolTip(f"Bookmark at {clock(hit[1])}" + (f": {hit[2]}" if hit[2] else ""))
        else:
            self.setToolTip(f"Photo at {clock(hit[1])} (click to view)")

    def mousePressEvent(self, event) -> None:
        x = int(event.position().x())
        hit = self._hit(x)
        if hit and hit[0] == "photo":
            self.seek.emit(hit[1])
            self.photo_clicked.emit(hit[2])
        elif hit:
            self.seek.emit(hit[1])
        elif self.duration:
            self.seek.emit(max(0.0, min(self.duration, (x - 4) / max(1, self.width() - 8) * self.duration)))
