"""Where a lecture is played: says when its audio is not on this computer yet and offers Download now."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton

from lmgpa_desktop.core.sync import service as sync
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message

JOB_KIND = "sync.media"
NOT_HERE = ("The audio of this lecture is on another of your computers and has not been downloaded here yet. "
            "The transcript is already here.")
MISSING = "The audio file of this source is missing from this computer (moved or deleted)."


class MissingAudioBar(QFrame):
    """Hidden while the file is here; otherwise why it cannot play, and (when sync is on) Download now as a job."""

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.setObjectName("missingAudio")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.ctx, self.runner = ctx, runner
        self.ops = Operations(self, "missing-audio")
        self.source_id: int | None = None
        self.job_id: int | None = None
        self._generation = 0
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.download_button = QPushButton("Download now")
        self.download_button.clicked.connect(self.download)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(180)
        self.bar.setVisible(False)
        self.bar.setAccessibleName("Download progress")
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.download_button)
        runner.progress.connect(self._progress)
        runner.finished.connect(self._finished)
        self.setVisible(False)

    def show_for(self, src) -> None:
        """Check (off the UI thread) whether this source's file is here; say so when it is not."""
        self._generation += 1
        generation = self._generation
        self.source_id = src.id if src is not None else None
        path = getattr(src, "stored_path", None) if src is not None else None
        if not path:
            self.setVisible(False)
            return
        ctx = self.ctx

        def look() -> tuple[bool, bool]:
            if Path(path).is_file():
                return True, False
            return False, bool(sync.status(ctx).get("enabled"))

        self.ops.run_either(look, lambda found: self._show(generation, found))

    def _show(self, generation: int, found) -> None:
        if generation != self._generation:
            return  # another source was opened meanwhile
        if isinstance(found, Exception):
            here, syncing = False, False
        else:
            here, syncing = found
        self.setVisible(not here)
        if here:
            return
        downloading = self.job_id is not None
        self.text.setText(NOT_HERE if syncing else MISSING)
        self.download_button.setVisible(syncing)
        self.download_button.setEnabled(not downloading)
        self.bar.setVisible(downloading)

    def download(self) -> None:
        """Fetch this source's file now, as a job with progress and Cancel."""
        if self.source_id is None or self.job_id is not None:
            return
        self.job_id = self.runner.submit(JOB_KIND, {"source_id": self.source_id}, "Download lecture audio")
        self.download_button.setEnabled(False)
        self.bar.setRange(0, 0)
        self.bar.setVisible(True)
        self.text.setText("Downloading the audio…")

    def _progress(self, job_id: int, report) -> None:
        if job_id != self.job_id:
            return
        if report.fraction is not None:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(report.fraction * 1000))
        if report.message:
            self.text.setText(report.message)

    def _finished(self, job) -> None:
        if job.id != self.job_id:
            return
        self.job_id = None
        self.bar.setVisible(False)
        self.download_button.setEnabled(True)
        if job.state == "done":
            self.setVisible(False)  # the view reloads the source (the job names it) and plays the file
        elif job.state == "cancelled":
            self.text.setText("Download cancelled. " + NOT_HERE)
        else:
            self.text.setText(f"The audio could not be downloaded: {plain_message(job.error or 'unknown problem')}")
