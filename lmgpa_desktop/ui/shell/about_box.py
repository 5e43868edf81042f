"""Settings → About: version, data folder, where the app is installed, licences, and the self-test with its table."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
    QTableWidget, QTableWidgetItem, QVBoxLayout,
)

import lmgpa_desktop
from lmgpa_desktop import frozen, paths
from lmgpa_desktop.core import self_test
from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.kit.text_label import label
from lmgpa_desktop.ui.shell import self_test_qt

COLUMNS = ("Check", "Result", "Seconds", "Detail")
RESULT_TEXT = {self_test.OK: "ok", self_test.WARN: "warning", self_test.FAIL: "FAILED"}
RESULT_COLOUR = {self_test.WARN: "#b26a00", self_test.FAIL: "#d32f2f"}  # readable on the light and dark themes


def installed_where() -> str:
    """"Bundle in <folder>" or "Source in <folder> (Python <prefix>)"."""
    if frozen.is_frozen():
        return f"Installed app in {Path(sys.executable).resolve().parent}"
    source = Path(lmgpa_desktop.__file__).resolve().parent.parent
    return f"From source in {source} (Python environment {sys.prefix})"


class AboutBox(QGroupBox):
    """What is installed where, and a self-test that uses every native part, run as a job with Cancel."""

    def __init__(self, ctx, runner: JobRunner, parent=None):
        super().__init__("About", parent)
        self.setObjectName("aboutBox")
        self.ctx, self.runner = ctx, runner
        self._job: int | None = None
        self._skip: list[str] = []
        self.results: list[self_test.CheckResult] = []
        form = QFormLayout()
        form.addRow("Version", label(f"Little Monster GPA {lmgpa_desktop.__version__}"))
        form.addRow("Data folder", label(str(ctx.home)))
        form.addRow("Installed", label(installed_where()))
        links = [(paths.resource("licenses"), "Licences of the bundled models and libraries")]
        models = paths.bundled_models_dir()
        if models is not None and (models / "licenses").is_dir():  # the installed app ships each model's licence
            links.append((models / "licenses", "of the models shipped with the app"))
        licences = QLabel(" · ".join(f'<a href="{QUrl.fromLocalFile(str(folder)).toString()}">{text}</a>'
                                     for folder, text in links))
        licences.setObjectName("licencesLink")
        licences.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        licences.linkActivated.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))
        form.addRow("Licences", licences)

        note = QLabel("The self-test uses every part the app needs once (database, PDF, audio, the models, OCR, "
                      "the media player...) and lists what works. It changes nothing in your data.")
        note.setWordWrap(True)
        note.setObjectName("muted")
        self.run_button = QPushButton("Run self-test")
        self.run_button.setObjectName("runSelfTest")
        self.run_button.clicked.connect(lambda: self.run_self_test())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelSelfTest")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setAccessibleName("Self-test progress")
        self.progress.hide()
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        self.status = QLabel("")
        self.status.setObjectName("selfTestStatus")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("selfTestTable")
        self.table.setAccessibleName("Self-test results")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(220)
        self.table.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        runner.progress.connect(self._on_progress)
        runner.finished.connect(self._on_finished)

    def run_self_test(self, skip: list[str] | tuple[str, ...] = ()) -> int | None:
        """Start the checks as a job (skip: names to leave out, as `lmgpa self-test --skip`); returns its id."""
        if self._job is not None:
            return self._job
        self._skip = list(skip)
        self._job = self.runner.submit(self_test.JOB_KIND, {"skip": self._skip}, "Self-test")
        self.run_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.status.setText("Running the self-test…")
        return self._job

    def cancel(self) -> None:
        """Stop the running self-test after the check in progress."""
        if self._job is not None:
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling after the current check…")
            self.runner.cancel(self._job)

    def _on_progress(self, job_id: int, report) -> None:
        if job_id != self._job:
            return
        if report.fraction is not None:
            self.progress.setValue(int(report.fraction * 900))  # the Qt checks are the last tenth
        if report.message:
            self.status.setText(report.message[:1].upper() + report.message[1:] + "…")

    def _on_finished(self, job) -> None:
        if job.id != self._job:
            return
        self._job = None
        if job.state != "done":
            self._end()
            self.status.setText("Self-test cancelled." if job.state == "cancelled" else
                                f"The self-test did not finish: {plain_message(job.error or job.state)}")
            return
        results = [self_test.CheckResult.from_dict(r) for r in (job.result or {}).get("results", [])]
        self.cancel_button.hide()  # the job is over; the Qt checks below take a moment and end by themselves
        self.progress.setValue(950)
        # Qt objects belong to the UI thread, so the Qt checks run here, after the job (each takes a moment).
        self.status.setText("Checking the media player, charts and icons…")
        results += self_test.run_checks(self_test_qt.checks(self._skip))
        self._end()
        self.show_results(results)

    def _end(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.run_button.setEnabled(True)

    def show_results(self, results: list[self_test.CheckResult]) -> None:
        """Fill the table (failures in red and bold, warnings in amber) and the summary line."""
        self.results = list(results)
        self.table.setRowCount(len(results))
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, result in enumerate(results):
            cells = (result.name, RESULT_TEXT.get(result.status, result.status), f"{result.seconds:.2f}",
                     result.detail)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(result.detail)
                if column == 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                colour = RESULT_COLOUR.get(result.status)
                if colour and column in (0, 1):
                    item.setForeground(QColor(colour))
                if result.status == self_test.FAIL:
                    item.setFont(bold)
                self.table.setItem(row, column, item)
        self.table.show()
        self.status.setText(self_test.summary(results) + ".")
