"""Status-bar widget: the running job's title, a progress bar and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from lmgpa_desktop.ui.kit.job_runner import JobRunner


class StatusJob(QWidget):
    """Shows the most recent running job; hidden when nothing runs."""

    def __init__(self, runner: JobRunner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(180)
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("statusCancel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self._running: dict[int, str] = {}
        self._current: int | None = None
        runner.started.connect(self._on_started)
        runner.progress.connect(self._on_progress)
        runner.finished.connect(self._on_finished)
        self.cancel.clicked.connect(lambda: self._current is not None and runner.cancel(self._current))
        self.setVisible(False)

    def _on_started(self, job) -> None:
        self._running[job.id] = job.title or job.kind
        self._show(job.id)

    def _show(self, job_id: int) -> None:
        self._current = job_id
        self.label.setText(self._running[job_id])
        self.bar.setRange(0, 0)
        self.setVisible(True)

    def _on_progress(self, job_id: int, report) -> None:
        if job_id != self._current:
            return
        if report.fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(report.fraction * 1000))
        self.label.setText(f"{self._running.get(job_id, '')}: {report.message}")

    def _on_finished(self, job) -> None:
        self._running.pop(job.id, None)
        if self._running:
            self._show(next(iter(self._running)))
        else:
            self._current = None
            self.setVisible(False)
