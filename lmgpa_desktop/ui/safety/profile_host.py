"""The window's open profile: opened off the UI thread, a restore offered when it is damaged, reopened after one."""

# Restoring replaces the database under every page, and each page holds the profile it was built with, so a restore
# from Settings closes the profile with its window (jobs, reminders and sync stop as on quit) and opens the restored
# one in a fresh window in the same place, exactly as at start-up. The window and loader classes come from the
# composition root (app.py), so this module does not depend on the shell that embeds the Backups panel.

from __future__ import annotations

import gc

import logging
from collections.abc import Callable, Generator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext
    from lmgpa_desktop.core.safety.backups import BackupInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Restored:
    """A finished restore: which backup, and where a damaged database was moved (None when it was sound)."""

    backup: BackupInfo
    damaged_folder: Path | None


class ProfileHost(QObject):
    """Owns the open profile of the app's window; app.py makes one and calls open() once the window is painted."""

    opened = Signal(object)  # AppContext, attached to self.window
    failed = Signal(str)  # the profile cannot be opened; the message is for the student
    gave_up = Signal()  # the student chose Quit on the damaged-data dialog
    restored = Signal(object)  # Restored, once the restored profile is open again
    _progress = Signal(str)  # from the restore thread to the status bar

    def __init__(self, window, home: Path, make_loader: Callable, make_window: Callable[[], object],
                 attach: Callable[[object, AppContext], None], parent: QObject | None = None):
        super().__init__(parent)
        self.window, self.home = window, Path(home)
        self.make_loader, self.make_window, self.attach = make_loader, make_window, attach
        self.ctx: AppContext | None = None
        self.dialog = None
        self.ops = Operations(self, "profile host")
        self._loaders: list = []
        self._futures: list[Future] = []
        self._pending: Restored | None = None
        self._progress.connect(self._show_progress, Qt.ConnectionType.QueuedConnection)
        window.profile_host = self  # how the Backups panel finds it (duck-typed: no import of this module there)

    # -- opening -------------------------------------------------------------------------------------------------
    def open(self) -> None:
        """Open the profile off the UI thread; then opened, failed, or the damaged-data dialog."""
        loader = self.make_loader(self.home)
        self._loaders.append(loader)
        loader.opened.connect(self._opened)
        loader.failed.connect(self.failed)
        loader.damaged.connect(self._damaged)
        loader.start()

    def _opened(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.attach(self.window, ctx)
        self.opened.emit(ctx)
        done, self._pending = self._pending, None
        if done is not None:
            self._tell_restored(done)
            self.restored.emit(done)

    def _damaged(self, damaged) -> None:
        """The database failed its check: say so and offer the newest sound backup (nothing is changed until then)."""
        from lmgpa_desktop.ui.safety.damaged_dialog import DamagedDialog

        self.window.statusBar().showMessage("Your study data is damaged; nothing has been changed.")
        self.dialog = DamagedDialog(damaged, self.window)
        self.dialog.restore_chosen.connect(self.restore)
        self.dialog.quit_chosen.connect(self.gave_up)
        self.dialog.open()

    # -- restoring -----------------------------------------------------------------------------------------------
    def restore(self, backup: BackupInfo) -> None:
        """Close the profile if open, put the backup in place off the UI thread, then open the profile again."""
        from lmgpa_desktop.core.safety import backups, integrity

        ctx, self.ctx = self.ctx, None
        if ctx is not None:
            self._new_window()
        self.window.statusBar().showMessage(f"Restoring the backup from {integrity.local_time(backup)}…")
        home, report = self.home, self._progress.emit
        damaged_root = home / "damaged"

        def work() -> Restored:
            if ctx is not None:
                ctx.close()
                # Something the closed pages still reference keeps an SQLite statement alive, and SQLite keeps
                # its connection (and the file) open until the statement is freed; the collector frees it.
                # Not found yet: no SQLAlchemy connection is left checked out or pooled at this point.
                gc.collect()
            before = set(damaged_root.iterdir()) if damaged_root.is_dir() else set()
            _drain(backups.restore_backup(home, backup.id), report)
            moved = sorted(set(damaged_root.iterdir()) - before) if damaged_root.is_dir() else []
            return Restored(backup, moved[-1] if moved else None)

        future = self.ops.run(work, self._restore_done, self._restore_failed)
        if future is not None:
            self._futures.append(future)

    def _new_window(self) -> None:
        """Close the current window (it stops the jobs, reminders and sync) and put a fresh one in its place."""
        old, new = self.window, self.make_window()
        new.restoreGeometry(old.saveGeometry())
        if hasattr(old, "current_area"):
            new.show_area(old.current_area())  # the page the student was on (Settings) is built when it attaches
        new.profile_host = self
        new.show()  # before the old one closes, so closing it does not quit the app
        self.window = new
        old.close()
        old.deleteLater()

    def _restore_done(self, done: Restored) -> None:
        log.info("restored backup %s into %s", done.backup.id, self.home)
        self._pending = done
        self.open()

    def _restore_failed(self, exc: BaseException) -> None:
        log.error("restoring a backup failed: %s", exc, exc_info=exc)
        box = QMessageBox(QMessageBox.Icon.Warning, "The backup was not restored",
                          f"{plain_message(exc)}\n\nNothing was deleted; your data is opened as it is.", parent=self.window)
        box.setObjectName("restoreFailed")
        box.open()
        self._box = box
        self.open()

    def _tell_restored(self, done: Restored) -> None:
        from lmgpa_desktop.core.safety import integrity

        text = f"Your data is back as it was on {integrity.local_time(done.backup)}."
        if done.damaged_folder is not None:
            text += f"\n\nThe damaged file is kept, unchanged, in {done.damaged_folder}."
        else:
            text += "\n\nYour data as it was just before is kept as a backup (\"Before a restore\" in Settings → Backups)."
        box = QMessageBox(QMessageBox.Icon.Information, "Backup restored", text, parent=self.window)
        box.setObjectName("restoredMessage")
        if done.damaged_folder is not None:
            folder = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
            folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(done.damaged_folder))))
        box.addButton(QMessageBox.StandardButton.Ok)
        box.open()
        self._box = box
        self.window.statusBar().showMessage(text.split("\n")[0], 15000)

    def _show_progress(self, message: str) -> None:
        if message:
            self.window.statusBar().showMessage(message)

    # -- shutting down -------------------------------------------------------------------------------------------
    def wait(self) -> None:
        """Block until opening and restoring have finished (the app is quitting: neither is ever cut short)."""
        for loader in self._loaders:
            try:
                loader.wait()
            except Exception:  # noqa: BLE001 - already reported through failed or the error dialog
                pass
        for future in self._futures:
            try:
                future.result()
            except Exception:  # noqa: BLE001 - already reported by _restore_failed
                pass

    def close(self) -> None:
        """Close the open profile (at quit)."""
        ctx, self.ctx = self.ctx, None
        if ctx is not None:
            ctx.close()


def _drain(steps: Generator, report: Callable[[str], None]):
    """Run a core generator to its end, passing each Progress message on; returns its value."""
    while True:
        try:
            step = next(steps)
        except StopIteration as stop:
            return stop.value
        report(getattr(step, "message", "") or "")
