"""SQLite's consistency checks on a profile's database, and the start-up error for a damaged one."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import StartupError
from lmgpa_desktop.storage import db_check

if TYPE_CHECKING:
    from lmgpa_desktop.core.safety.backups import BackupInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    """What a check found: ok, SQLite's own problem lines, and how long it took."""

    ok: bool
    problems: list[str]
    seconds: float


def quick_check(db_path: Path) -> CheckResult:
    """PRAGMA quick_check on a fresh read-only connection (the start-up check: seconds on a large profile)."""
    return _timed(db_path, full=False)


def full_check(db_path: Path) -> CheckResult:
    """PRAGMA integrity_check: also checks that every index matches its table (slower)."""
    return _timed(db_path, full=True)


def _timed(db_path: Path, full: bool) -> CheckResult:
    started = time.perf_counter()
    problems = db_check.check_file(db_path, full=full)  # StorageError if the file cannot be opened at all
    return CheckResult(not problems, problems, time.perf_counter() - started)


class DamagedProfile(StartupError):
    """The profile's database failed its check at start-up; nothing was changed, and a backup may be restored."""

    def __init__(self, home: Path, db_path: Path, problems: list[str], newest_backup: BackupInfo | None):
        self.home, self.db_path, self.problems, self.newest_backup = Path(home), Path(db_path), problems, newest_backup
        super().__init__(describe(self, commands=True))


def describe(damaged: DamagedProfile, commands: bool = False) -> str:
    """What happened and what to do, in plain words: paragraphs for the GUI's dialog, one line with commands."""
    first = damaged.problems[0] if damaged.problems else "unknown problem"
    more = f" (and {len(damaged.problems) - 1} more)" if len(damaged.problems) > 1 else ""
    lines = [f"Your study data in {damaged.db_path} is damaged: SQLite's check found \"{first}\"{more}. "
             "This usually follows a power cut, a full disk or a failing drive. Nothing has been changed or deleted."]
    backup = damaged.newest_backup
    if backup is not None:
        lines.append(f"The newest backup that passes its check is from {local_time(backup)} ({backup.id}). "
                     "Restoring it keeps the damaged file in a \"damaged\" folder of your data folder; work done "
                     "after that backup is not in it.")
    else:
        lines.append(f"There is no backup that passes its check in {damaged.home / 'backups'}. The damaged file stays "
                     "where it is; a copy of the data folder may still help someone recover it.")
    if not commands:
        return "\n\n".join(lines)
    # The CLI prints expected errors as one line: the same words, then the commands that act on them.
    lines.append((f"To restore it: `lmgpa backup restore {backup.id}`; " if backup is not None else "")
                 + "`lmgpa backup list` shows every backup, `lmgpa check` checks the file again.")
    return " ".join(lines)


def local_time(backup: BackupInfo) -> str:
    """When a backup was made, in the student's time zone."""
    return backup.created.astimezone().strftime("%Y-%m-%d %H:%M")


def check_at_open(home: Path, db_path: Path) -> None:
    """The start-up check: raise DamagedProfile when the database fails quick_check (a new profile has none yet)."""
    if not db_path.exists():
        return
    result = quick_check(db_path)
    if not result.ok:
        log.error("the database %s failed quick_check: %s", db_path, "; ".join(result.problems[:5]))
        raise damaged(home, db_path, result.problems)


def damaged(home: Path, db_path: Path, problems: list[str]) -> DamagedProfile:
    """The error for a damaged database, with the newest backup that passes integrity_check (when there is one)."""
    from lmgpa_desktop.core.safety import backups  # only when damaged: finding a sound backup verifies some

    try:
        newest = backups.newest_verified_backup(home)
    except Exception:  # noqa: BLE001 - no usable backup is reported as such, never hides the damage
        log.exception("could not look for a sound backup of %s", home)
        newest = None
    return DamagedProfile(home, db_path, problems, newest)
