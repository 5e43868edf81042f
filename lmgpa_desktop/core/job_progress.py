"""Progress reports yielded by long-running jobs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """How far a job is: done of total (None = unknown), and what it is doing."""

    done: float
    total: float | None = None
    message: str = ""

    @property
    def fraction(self) -> float | None:
        """done/total clamped to [0, 1], or None when the total is unknown."""
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))


class JobError(Exception):
    """A job failed for a reason the student can act on (bad file, missing model); not retried."""


def run_to_end(steps):
    """Run a generator of Progress without showing it (no job, no bar); its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value
