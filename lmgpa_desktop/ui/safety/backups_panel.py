"""Settings → Backups: the list of backups, back up / verify / restore / open folder, and the data and media check."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPlainTextEdit, QPushButton,
    QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from lmgpa_desktop import paths
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.safety import archive_actions
from lmgpa_desktop.ui.safety.backup_schedule import BackupSchedule

REASONS = {"auto": "Automatic", "manual": "Made by you", "quit": "On quit", "before-restore": "Before a restore",
           "before-migration": "Before an update", "before-import": "Before an import"}
VERIFIED = {True: "Yes", False: "Failed", None: "Not yet"}
BACKUP_JOBS = ("backup", "backup.verify")
MAX_LISTED = 200  # lines of the media report shown here; `lmgpa check` lists them all


def when(backup) -> str:
    """A backup's time in the student's time zone."""
    return backup.created.astimezone().strftime("%Y-%m-%d %H:%M")


class BackupsPanel(QGroupBox):
    """Backups of this profile; long work runs as jobs or off the UI thread, a restore through the window's host."""

    def __init__(self, ctx, runner: JobRunner, parent=None):
        super().__init__("Backups", parent)
        self.ctx, self.runner = ctx, runner
        self.setObjectName("backupsPanel")
        self.ops = Operations(self, "backups")
        self.backups: list = []
        self._jobs: dict[int, str] = {}  # job id -> what it is, for the status line
        note = QLabel(f"Verified, compressed copies of your study data, kept in {paths.backups_dir(ctx.home)}. "
                      "Restoring one first saves your data as it is now as another backup, so nothing is lost.")
        note.setWordWrap(True)
        note.setObjectName("muted")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("backupsTable")
        self.table.setAccessibleName("Backups")
        self.table.setHorizontalHeaderLabels(["Made", "Why", "Size", "Verified"])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(160)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.empty = QLabel("No backups yet.")
        self.empty.setObjectName("muted")
        self.backup_button = QPushButton("Back up now")
        self.backup_button.clicked.connect(self.back_up_now)
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip("Run SQLite's integrity check on the selected backup")
        self.verify_button.clicked.connect(self.verify_selected)
        self.restore_button = QPushButton("Restore…")
        self.restore_button.clicked.connect(self.restore_selected)
        self.folder_button = QPushButton("Open folder")
        self.folder_button.clicked.connect(self.open_folder)
        buttons = QHBoxLayout()
        for button in (self.backup_button, self.verify_button, self.restore_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        self.schedule = BackupSchedule(ctx.settings)
        layout.addWidget(self.schedule)
        layout.addWidget(self.table)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addLayout(self._check_row())
        layout.addWidget(self.check_summary)
        layout.addWidget(self.check_list)
        layout.addLayout(self._archive_row())
        runner.finished.connect(self._job_finished)
        runner.progress.connect(self._job_progress)
        self._selection_changed()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """Read the list each time Settings is shown: automatic backups are made meanwhile, outside any job."""
        super().showEvent(event)
        self.refresh()

    # -- the list ------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the backups off the UI thread and show them, keeping the selection."""
        from lmgpa_desktop.core.safety import backups

        home = self.ctx.home
        self.ops.run(lambda: backups.list_backups(home), self._show, self._list_failed)

    def _show(self, rows: list) -> None:
        chosen = self.selected()
        self.backups = list(rows)
        self.table.setRowCount(len(self.backups))
        for row, backup in enumerate(self.backups):
            cells = [when(backup), REASONS.get(backup.reason, backup.reason), human_size(backup.size),
                     VERIFIED.get(backup.verified, "Not yet")]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, backup.id)
                if column == 3 and backup.verified is False:
                    item.setToolTip("This backup failed its check: it cannot be restored")
                self.table.setItem(row, column, item)
            if chosen is not None and backup.id == chosen.id:
                self.table.selectRow(row)
        if self.selected() is None and self.backups:
            self.table.selectRow(0)
        self.empty.setVisible(not self.backups)
        self._selection_changed()

    def _list_failed(self, exc: BaseException) -> None:
        self.status.setText(f"The backups could not be listed: {plain_message(exc)}")

    def selected(self):
        """The BackupInfo of the selected row, or None."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.backups[rows[0].row()] if rows and rows[0].row() < len(self.backups) else None

    def _selection_changed(self) -> None:
        backup = self.selected()
        self.verify_button.setEnabled(backup is not None)
        self.restore_button.setEnabled(backup is not None and backup.verified is not False)

    # -- actions -------------------------------------------------------------------------------------------------
    def back_up_now(self) -> None:
        """Make a backup now, as a job (progress in the jobs panel and here)."""
        self._submit("backup", {"reason": "manual"}, "Back up now", "Backing up…")

    def verify_selected(self) -> None:
        """Check the selected backup with integrity_check, as a job."""
        backup = self.selected()
        if backup is not None:
            self._submit("backup.verify", {"id": backup.id}, f"Verify the backup from {when(backup)}",
                         f"Checking the backup from {when(backup)}…")

    def _submit(self, kind: str, payload: dict, title: str, doing: str) -> None:
        try:
            job_id = self.runner.submit(kind, payload, title)
        except Exception as exc:  # noqa: BLE001 - an unknown job kind or a full disk: say it here
            self.status.setText(plain_message(exc))
            return
        self._jobs[job_id] = title
        if kind == "backup":
            self.backup_button.setEnabled(False)  # one at a time; automatic ones still run on their own
        self.status.setText(doing)

    def _job_progress(self, job_id: int, report) -> None:
        if job_id in self._jobs and getattr(report, "message", ""):
            self.status.setText(report.message)

    def _job_finished(self, job) -> None:
        if job.kind not in BACKUP_JOBS:
            return
        title = self._jobs.pop(job.id, None)
        if job.kind == "backup":
            self.backup_button.setEnabled(True)
        if title is not None:
            if job.state == "done":
                self.status.setText(self._done_text(job))
            else:
                self.status.setText(f"{title} did not finish: {plain_message(job.error or job.state)}")
        self.refresh()  # automatic backups land here too

    @staticmethod
    def _done_text(job) -> str:
        result = job.result or {}
        if job.kind == "backup.verify":
            ok = result.get("verified", result.get("ok"))
            return ("The backup passed its check." if ok else
                    "The backup failed its check: it cannot be restored." if ok is False else "The backup was checked.")
        size = f" ({human_size(result['size'])})" if isinstance(result.get("size"), int) else ""
        return f"Backed up{size}."

    def restore_selected(self) -> None:
        """Ask, then restore the selected backup: the current state is backed up first, then the profile reopens."""
        backup = self.selected()
        if backup is None:
            return
        host = getattr(self.window(), "profile_host", None)
        if host is None:
            QMessageBox.information(self, "Restore", "Restoring is not available in this window. Quit the app and "
                                                     "restore from the command line instead.")
            return
        answer = QMessageBox.question(
            self, "Restore a backup",
            f"Restore the backup from {when(backup)}?\n\n"
            "Your data as it is now is saved first as another backup (\"Before a restore\"), so nothing is lost. "
            "Then the app closes your data (running jobs stop and resume later), puts the backup in its place and "
            f"opens it again. What you did after {when(backup)} will not be in it, but stays in that new backup.")
        if answer == QMessageBox.StandardButton.Yes:
            host.restore(backup)

    def open_folder(self) -> None:
        """Show the backups folder in the file manager."""
        folder = paths.backups_dir(self.ctx.home)
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- the data and media check --------------------------------------------------------------------------------
    def _check_row(self) -> QHBoxLayout:
        self.check_button = QPushButton("Check data and media files")
        self.check_button.setToolTip("SQLite's integrity check of your data, then media files that are missing or "
                                     "that nothing uses (listed only: nothing is deleted)")
        self.check_button.clicked.connect(self.check)
        self.check_summary = QLabel("")
        self.check_summary.setWordWrap(True)
        self.check_list = QPlainTextEdit()
        self.check_list.setObjectName("mediaReport")
        self.check_list.setReadOnly(True)
        self.check_list.setMaximumHeight(140)
        self.check_list.hide()
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addStretch(1)
        return row

    def check(self) -> None:
        """integrity_check and the media report, off the UI thread (seconds on a large profile)."""
        from lmgpa_desktop.core.safety import integrity, media_check

        ctx = self.ctx
        self.check_button.setEnabled(False)
        self.check_summary.setText("Checking…")
        self.check_list.hide()
        self.ops.run(lambda: (integrity.full_check(ctx.db.path), media_check.media_report(ctx)),
                     self._checked, self._check_failed, lane="compute")  # not the db lane: pages keep reading

    def _checked(self, outcome) -> None:
        result, report = outcome
        self.check_button.setEnabled(True)
        database = ("Your data passed SQLite's integrity check." if result.ok else
                    f"Your data FAILED SQLite's integrity check ({result.problems[0]}). Restore a backup from the list "
                    "above, or quit: the next start offers the newest sound one.")
        self.check_summary.setText(f"{database} Media: {report.summary()}")
        lines = [f"Missing: {path}  ({what} {row_id})" for what, row_id, path in report.missing]
        lines += [f"Not used: {path}" for path in report.orphans]
        if len(lines) > MAX_LISTED:
            lines = lines[:MAX_LISTED] + [f"… and {len(lines) - MAX_LISTED} more (lmgpa check lists them all)"]
        self.check_list.setPlainText("\n".join(lines))
        self.check_list.setVisible(bool(lines))

    def _check_failed(self, exc: BaseException) -> None:
        self.check_button.setEnabled(True)
        self.check_summary.setText(f"The check could not run: {plain_message(exc)}")

    # -- move or archive everything ------------------------------------------------------------------------------
    def _archive_row(self) -> QHBoxLayout:
        """Export everything… / Import everything… (one portable archive of the whole profile)."""
        self.export_button = QPushButton("Export everything…")
        self.export_button.setToolTip("One file with your data, media and settings, to move to another computer")
        self.export_button.clicked.connect(lambda: archive_actions.export_everything(self, self.ctx, self.runner))
        self.import_button = QPushButton("Import everything…")
        self.import_button.setToolTip("Open an archive made with Export everything as a new profile")
        self.import_button.clicked.connect(lambda: archive_actions.import_everything(self))
        row = QHBoxLayout()
        row.addWidget(self.export_button)
        row.addWidget(self.import_button)
        row.addStretch(1)
        return row
