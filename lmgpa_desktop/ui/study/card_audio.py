"""A card's sound: a stretch of its source recording, or one of an Anki card's [sound:...] files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer


class CardAudio(QObject):
    """One media player that can start part-way into a file and pause at a given position."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.output = QAudioOutput(self)
        self.player.setAudioOutput(self.output)
        self.stop_ms: int | None = None
        self._seek_ms: int | None = None
        self.player.mediaStatusChanged.connect(self._media_status)
        self.player.positionChanged.connect(self._position)

    def play(self, path: Path, start_ms: int = 0, stop_ms: int | None = None) -> None:
        """Play path from start_ms, pausing at stop_ms (None: to the end)."""
        self.player.stop()
        self._seek_ms, self.stop_ms = start_ms, stop_ms
        self.player.setSource(QUrl.fromLocalFile(str(path)))
        self.player.play()

    def stop(self) -> None:
        """Stop playing."""
        self.player.stop()

    def _media_status(self, status) -> None:
        loaded = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)
        if status in loaded and self._seek_ms:
            self.player.setPosition(self._seek_ms)  # seeking before the file is loaded is ignored
            self._seek_ms = None

    def _position(self, ms: int) -> None:
        if self.stop_ms is not None and ms >= self.stop_ms:
            self.player.pause()
            self.stop_ms = None
