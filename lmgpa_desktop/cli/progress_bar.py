"""A terminal progress bar for jobs run from the CLI."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Generator

from lmgpa_desktop.core.job_progress import Progress


class ProgressBar:
    """Draws `[#####-----]  45% message` on stderr; plain lines when stderr is not a terminal."""

    def __init__(self, label: str, stream=None, min_interval: float = 0.1):
        self.label, self.stream = label, stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.min_interval = min_interval if self.tty else 2.0
        self._last, self._drawn = 0.0, False

    def update(self, report: Progress) -> None:
        """Redraw for a new report (rate-limited)."""
        now = time.monotonic()
        if now - self._last < self.min_interval and report.fraction != 1.0:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 20)).columns
        if report.fraction is None:
            line = f"{self.label}: {report.message}"
        else:
            filled = int(report.fraction * 30)
            line = f"{self.label} [{'#' * filled}{'-' * (30 - filled)}] {report.fraction * 100:5.1f}% {report.message}"
        if self.tty:
            self.stream.write("\r" + line[: width - 1].ljust(width - 1))
            self._drawn = True
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def drive(gen: Generator, label: str, stream=None):
    """Run a generator of Progress with a terminal progress bar; its return value. Ctrl+C stops it cleanly."""
    bar = ProgressBar(label, stream=stream)
    try:
        while True:
            bar.update(next(gen))
    except StopIteration as stop:
        return stop.value
    finally:
        gen.close()  # on Ctrl+C: the generator removes what it had written
        bar.close()
