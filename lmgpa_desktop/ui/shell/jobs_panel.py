"""A dockable list of background jobs with progress, cancel and retry."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDockWidget, QHBoxLayout, QHeaderView, QProgressBar, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.kit.operations import Operations

COLUMNS = ["#", "Job", "State", "Progress", "Message"]


class JobsPanel(QDockWidget):
    """Recent jobs, newest first; updates live from the runner's signals."""

    def __init__(self, runner: JobRunner, parent=None):
        super().__init__("Jobs", parent)
        self.setObjectName("JobsPanel")
        self.runner = runner
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Background jobs")  # a screen reader said only "table"
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.cancel_button = QPushButton("Cancel job")
        self.retry_button = QPushButton("Retry job")
        self.cancel_button.clicked.connect(self._cancel)
        self.retry_button.clicked.connect(self._retry)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.cancel_button)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._rows: dict[int, int] = {}
        self._states: dict[int, str] = {}
        self.ops = Operations(self, "jobs")
        # bound methods, not lambdas: Qt drops them with the panel, so a job ending after the window closed is quiet
        runner.started.connect(self._job_changed)
        runner.finished.connect(self._job_changed)
        runner.queued.connect(self._job_changed)
        runner.progress.connect(self._on_progress)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def _job_changed(self, _job=None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Reload the newest jobs from the database, off the UI thread."""
        jobs = self.runner.ctx.jobs
        self.ops.run(lambda: jobs.recent(100), self._show, lane="db")

    def _show(self, jobs) -> None:
        selected = self.selected_job()
        self.table.setRowCount(len(jobs))
        self._rows, self._states = {}, {}
        for row, job in enumerate(jobs):
            self._rows[job.id] = row
            self._states[job.id] = job.state
            for col, text in enumerate([str(job.id), job.title or job.kind, job.state, None, job.error or job.message]):
                if text is not None:
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, job.id)
                    self.table.setItem(row, col, item)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int((job.fraction or (1.0 if job.state == "done" else 0.0)) * 1000))
            self.table.setCellWidget(row, 3, bar)
        if selected in self._rows:
            self.table.selectRow(self._rows[selected])
        self._update_buttons()

    def _on_progress(self, job_id: int, report) -> None:
        row = self._rows.get(job_id)
        if row is None:
            return
        bar = self.table.cellWidget(row, 3)
        if report.fraction is None:
            bar.setRange(0, 0)  # busy indicator
        else:
            bar.setRange(0, 1000)
            bar.setValue(int(report.fraction * 1000))
        self.table.item(row, 4).setText(report.message)

    def selected_job(self) -> int | None:
        """Id of the selected job."""
        items = self.table.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _update_buttons(self) -> None:
        state = self._states.get(self.selected_job())
        self.cancel_button.setEnabled(state in ("queued", "running"))
        self.retry_button.setEnabled(state in ("failed", "cancelled"))

    def _cancel(self) -> None:
        if (job_id := self.selected_job()) is not None:
            self.runner.cancel(job_id)
            self.refresh()

    def _retry(self) -> None:
        if (job_id := self.selected_job()) is not None:
            self.runner.retry(job_id)
