"""When to back up by itself: every so many minutes of use and on quit, and only when data changed since the last."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lmgpa_desktop.core.job_progress import run_to_end
from lmgpa_desktop.core.safety.backups import BackupInfo, back_up

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)


class AutoBackup:
    """The automatic backups of one open profile (the GUI's timer asks due(), then run() on a worker thread).

    "Changed" counts committed write sessions (Database.writes; window state is not counted), so a profile only
    looked at is not backed up again. Time of use is the monotonic clock, which stops while the computer sleeps.
    """

    def __init__(self, ctx: AppContext, clock: Callable[[], float] = time.monotonic):
        self.ctx, self._clock = ctx, clock
        self._baseline = 0  # the write count the last backup saw (a new Database starts at 0)
        self._since = clock()
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        """The setting backups.auto."""
        return bool(self.ctx.settings.get("backups.auto"))

    def interval_s(self) -> float:
        """Seconds of use between automatic backups (the setting backups.interval_minutes, at least one minute)."""
        try:
            minutes = float(self.ctx.settings.get("backups.interval_minutes") or 30)
        except (TypeError, ValueError):
            minutes = 30.0
        return max(1.0, minutes) * 60

    def changed(self) -> bool:
        """Whether data was written since the last backup this one made."""
        return self.ctx.db.writes != self._baseline

    def due(self) -> bool:
        """Whether an automatic backup should run now."""
        return self.enabled() and self.changed() and self._clock() - self._since >= self.interval_s()

    def run(self, reason: str = "auto", cancel: threading.Event | None = None) -> BackupInfo | None:
        """Back up now when data changed (blocking: call it off the UI thread); the backup, or None when unchanged."""
        with self._lock:
            if not self.enabled() or not self.changed():
                return None
            seen = self.ctx.db.writes  # writes made while the copy runs count for the next backup
            try:
                info = run_to_end(back_up(self.ctx.db, self.ctx.home, reason, cancel))
            finally:
                self._since = self._clock()  # a failed one is tried again an interval later, not at every tick
            self._baseline = seen
            return info
