"""A dockable list of background jobs with progress, cancel and retry."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDockWidget, QHBoxLayout, QHeaderView, QProgressBar, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from lmgpa_desktop.ui.kit.job_runner import JobRunner

COLUMNS = ["#", "Job", "State", "Progress", "Message"]


class JobsPanel(QDockWidget):
    """Recent jobs, newest first; updates live from the runner's signals."""

    def __init__(self, runner: JobRunner, parent=None):
        super().__init__("Jobs", parent)
        self.setObjectName("JobsPanel")
        self.runner = runner
        self.table = QTableWidget(0, len(COLUMNS))
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
        runner.started.connect(lambda _job: self.refresh())
        runner.finished.connect(lambda _job: self.refresh())
        runner.queued.connect(lambda _id: self.refresh())
        runner.progress.connect(self._on_progress)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def refresh(self) -> None:
        """Reload the newest jobs from the database."""
        jobs = self.runner.ctx.jobs.recent(100)
        self.table.setRowCount(len(jobs))
        self._rows = {}
        for row, job in enumerate(jobs):
            self._rows[job.id] = row
            for col, text in enumerate([str(job.id), job.title or job.kind, job.state, None, job.error or job.message]):
                if text is not None:
                    item = QTableWidgetItem(text)
                    item.setData(Qt.ItemDataRole.UserRole, job.id)
                    self.table.setItem(row, col, item)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int((job.fraction or (1.0 if job.state == "done" else 0.0)) * 1000))
            self.table.setCellWidget(row, 3, bar)
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
        job_id = self.selected_job()
        job = self.runner.ctx.jobs.get(job_id) if job_id else None
        self.cancel_button.setEnabled(bool(job and job.state in ("queued", "running")))
        self.retry_button.setEnabled(bool(job and job.state in ("failed", "cancelled")))

    def _cancel(self) -> None:
        if (job_id := self.selected_job()) is not None:
            self.runner.cancel(job_id)
            self.refresh()

    def _retry(self) -> None:
        if (job_id := self.selected_job()) is not None:
            self.runner.retry(job_id)
