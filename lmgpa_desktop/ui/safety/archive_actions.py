"""Export everything / Import everything: the window's side of the whole-profile archive (core/safety/archive.py)."""

# Exporting is a job ("archive.export"): the jobs panel shows its progress and Cancel, and a message says where the
# file is when it ends. Importing has no profile to run a job in (it makes a new one), so it runs on a thread of its
# own with a progress dialog whose Cancel stops it (nothing is kept), then offers to open the new profile from the next
# start, as Settings does when the data folder changes.

from __future__ import annotations

import logging
import os
import threading
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from lmgpa_desktop import paths
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.kit.plain_errors import plain_message

log = logging.getLogger(__name__)
EXPORT_KIND = "archive.export"
FILTER = "Little Monster GPA archive (*.zip)"


# -- the dialogs (module functions, so tests can answer them) -------------------------------------------------------
def choose_export_file(parent: QWidget) -> Path | None:
    """Where to save the archive (the dialog asks before replacing a file), or None."""
    suggested = Path.home() / f"lmgpa-everything-{date.today():%Y-%m-%d}.zip"
    dialog = QFileDialog(parent, "Export everything", str(suggested), FILTER)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("zip")
    if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return Path(dialog.selectedFiles()[0])


def choose_archive(parent: QWidget) -> Path | None:
    """The archive to import, or None."""
    chosen, _ = QFileDialog.getOpenFileName(parent, "Import everything: choose the archive", str(Path.home()),
                                            f"{FILTER};;All files (*)")
    return Path(chosen) if chosen else None


def choose_new_folder(parent: QWidget) -> Path | None:
    """A new or empty folder for the imported profile, or None."""
    chosen = QFileDialog.getExistingDirectory(parent, "Choose a new, empty folder for the imported profile",
                                              str(Path.home()))
    return Path(chosen) if chosen else None


# -- export -----------------------------------------------------------------------------------------------------------
def export_everything(parent: QWidget, ctx, runner: JobRunner) -> int | None:
    """Ask where, then export as a job (progress and Cancel in the jobs panel); returns the job id, or None."""
    target = choose_export_file(parent)
    if target is None:
        return None
    # The dialog already asked whether to replace an existing file.
    job_id = runner.submit(EXPORT_KIND, {"path": str(target), "overwrite": True},
                           f"Exporting everything to {target.name}")
    _ExportWatch(parent, runner, job_id)
    return job_id


class _ExportWatch(QObject):
    """Says how the export ended, once, then lets go."""

    def __init__(self, parent: QWidget, runner: JobRunner, job_id: int):
        super().__init__(parent)
        self.parent_widget, self.runner, self.job_id = parent, runner, job_id
        runner.finished.connect(self._finished)

    def _finished(self, job) -> None:
        if job.id != self.job_id:
            return
        self.runner.finished.disconnect(self._finished)
        if job.state == "done":
            result = job.result or {}
            size = f" ({human_size(result['size'])})" if isinstance(result.get("size"), int) else ""
            box = QMessageBox(QMessageBox.Icon.Information, "Everything is exported",
                              f"Your data, media and settings are in {result.get('path')}{size}.\n\nOn another "
                              "computer, open Settings → Backups → Import everything… and choose this file.",
                              parent=self.parent_widget)
        elif job.state == "failed":
            box = QMessageBox(QMessageBox.Icon.Warning, "The export did not finish",
                              f"{plain_message(job.error or 'unknown error')}\n\nNo archive was written.",
                              parent=self.parent_widget)
        else:  # cancelled: the student knows
            self.deleteLater()
            return
        box.setObjectName("exportEverythingResult")
        box.open()
        self.box = box


# -- import -----------------------------------------------------------------------------------------------------------
def import_everything(parent: QWidget) -> ImportRun | None:
    """Ask for the archive and a new folder, then import off the UI thread; returns the running import, or None."""
    archive = choose_archive(parent)
    if archive is None:
        return None
    folder = choose_new_folder(parent)
    if folder is None:
        return None
    run = ImportRun(parent, archive, folder)
    run.start()
    return run


class ImportRun(QObject):
    """One import on its own thread, with a progress dialog (Cancel stops it) and the offer to use the profile."""

    progress = Signal(object)  # Progress, from the import thread
    done = Signal(object)  # the new profile's folder
    failed = Signal(object)  # the exception

    def __init__(self, parent: QWidget, archive: Path, folder: Path):
        super().__init__(parent)
        self.parent_widget, self.archive, self.folder = parent, Path(archive), Path(folder)
        self.cancel = threading.Event()
        self.result: Path | BaseException | None = None
        self.box: QMessageBox | None = None
        self.dialog = QProgressDialog(f"Importing {self.archive.name}…", "Cancel", 0, 1000, parent)
        self.dialog.setObjectName("importEverythingProgress")
        self.dialog.setWindowTitle("Import everything")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel.set)
        self.progress.connect(self._progress)
        self.done.connect(self._done)
        self.failed.connect(self._failed)
        self.thread = threading.Thread(target=self._work, name="import-everything", daemon=True)

    def start(self) -> None:
        """Show the progress dialog and start importing."""
        self.dialog.show()
        self.thread.start()

    def _work(self) -> None:
        from lmgpa_desktop.core.safety.archive import import_all

        steps = import_all(self.archive, self.folder, self.cancel)
        try:
            while True:
                try:
                    self.progress.emit(next(steps))
                except StopIteration as stop:
                    self.done.emit(stop.value)
                    return
        except Exception as exc:  # noqa: BLE001 - every failure is told to the student on the UI thread
            log.warning("import everything from %s failed: %s", self.archive, exc, exc_info=exc)
            self.failed.emit(exc)

    def _progress(self, report) -> None:
        if report.fraction is not None:
            self.dialog.setValue(int(report.fraction * 1000))
        if report.message:
            self.dialog.setLabelText(report.message)

    def _close_dialog(self) -> None:
        self.dialog.canceled.disconnect(self.cancel.set)  # closing a progress dialog emits canceled
        self.dialog.close()

    def _done(self, home: Path) -> None:
        self.result = home
        self._close_dialog()
        box = QMessageBox(QMessageBox.Icon.Question, "Everything is imported",
                          f"The archive is now a profile in {home}.\n\nOpen this profile from now on? The app opens "
                          "it at its next start; the profile open now stays as it is." + _env_note(),
                          parent=self.parent_widget)
        box.setObjectName("importEverythingDone")
        self.use_button = box.addButton("Use it from the next start", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.buttonClicked.connect(lambda button: self._use(home) if button is self.use_button else None)
        box.open()
        self.box = box

    def _use(self, home: Path) -> None:
        paths.write_config({"data_dir": str(home)})  # as Settings → Data folder does

    def _failed(self, exc: BaseException) -> None:
        from lmgpa_desktop.core.safety.archive import ArchiveCancelled

        self.result = exc
        self._close_dialog()
        cancelled = isinstance(exc, ArchiveCancelled)
        box = QMessageBox(QMessageBox.Icon.Information if cancelled else QMessageBox.Icon.Warning,
                          "Import cancelled" if cancelled else "Nothing was imported",
                          "The import was cancelled; nothing was kept." if cancelled else
                          f"{plain_message(exc)}\n\nNothing was written to {self.folder}.",
                          parent=self.parent_widget)
        box.setObjectName("importEverythingFailed")
        box.open()
        self.box = box

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the import thread ends (tests, and quitting)."""
        self.thread.join(timeout_s)


def _env_note() -> str:
    """LMGPA_HOME wins over the chosen folder: say so rather than let the choice seem ignored."""
    if os.environ.get("LMGPA_HOME"):
        return "\n\n(LMGPA_HOME is set on this computer and still decides which profile opens.)"
    return ""
