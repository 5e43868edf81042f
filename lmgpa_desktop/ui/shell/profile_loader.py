"""Opens the profile (database, migrations) on a worker thread so the window paints at once."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal


class ProfileLoader(QThread):
    """Emits opened(AppContext) or failed(message)."""

    opened = Signal(object)
    failed = Signal(str)

    def __init__(self, home: Path, parent=None):
        super().__init__(parent)
        self.home = home

    def run(self) -> None:
        from lmgpa_desktop.core.context import open_app
        from lmgpa_desktop.core.errors import StartupError

        try:
            self.opened.emit(open_app(self.home))
        except StartupError as exc:
            self.failed.emit(str(exc))
