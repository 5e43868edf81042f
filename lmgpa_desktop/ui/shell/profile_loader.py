"""Opens the profile (database, migrations) off the UI thread so the window paints at once."""

from __future__ import annotations

import sys
from concurrent.futures import Future
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from lmgpa_desktop.ui.kit.operations import Operations


class ProfileLoader(QObject):
    """start() opens the profile on the database lane; emits opened(AppContext), failed(message) or damaged(error)."""

    opened = Signal(object)
    failed = Signal(str)
    damaged = Signal(object)  # core.safety.integrity.DamagedProfile: the database failed its start-up check

    def __init__(self, home: Path, parent=None):
        super().__init__(parent)
        self.home = home
        self.ops = Operations(self, "profile")
        self._future: Future | None = None

    def start(self) -> None:
        """Open the profile off the UI thread (once)."""
        if self._future is None:
            self._future = self.ops.run(self._open, self.opened.emit, self._failed)

    def _open(self):
        from lmgpa_desktop.core.profile import open_app

        return open_app(self.home)

    def _failed(self, exc: BaseException) -> None:
        from lmgpa_desktop.core.errors import StartupError
        from lmgpa_desktop.core.safety.integrity import DamagedProfile

        if isinstance(exc, DamagedProfile):
            self.damaged.emit(exc)
        elif isinstance(exc, StartupError):
            self.failed.emit(str(exc))
        else:
            sys.excepthook(type(exc), exc, exc.__traceback__)  # unexpected: the error dialog shows it and the log

    def wait(self) -> None:
        """Block until the opening has finished (the app is quitting: a migration is never cut short)."""
        if self._future is not None:
            self._future.result()
