"""Which backups to keep: Anki's rotation (newest few, then one a day, a week, a month), read from the settings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

REGULAR = ("auto", "manual", "quit")  # thinned by the rotation; the others are kept per reason (see keep_special)


@dataclass(frozen=True)
class Policy:
    """How many backups of each kind to keep."""

    recent: int = 4  # the newest few, whatever their date
    daily: int = 12  # then the newest of each of so many days
    weekly: int = 10  # then of so many weeks
    monthly: int = 9  # then of so many months
    special: int = 5  # newest kept of each other reason (before-restore, before-import, before-migration)

    @classmethod
    def from_settings(cls, values: Mapping[str, object]) -> Policy:
        """The policy of the settings keys backups.keep_* (missing or invalid values keep the defaults)."""
        base = cls()
        picked = {}
        for name in ("recent", "daily", "weekly", "monthly", "special"):
            value = values.get(f"backups.keep_{name}")
            try:
                picked[name] = max(0, int(value)) if value is not None else getattr(base, name)
            except (TypeError, ValueError):
                picked[name] = getattr(base, name)
        picked["recent"] = max(1, picked["recent"])  # the newest backup is always kept
        return cls(**picked)


def obsolete(backups: Iterable[tuple[str, datetime, str]], policy: Policy) -> set[str]:
    """Ids of the backups the policy no longer keeps, from (id, created, reason) of every backup.

    As Anki's BackupFilter: walking from the newest, the first `recent` are kept; then a backup is kept when it is the
    newest of a day older than every kept one (while daily slots remain), then of a week, then of a month. Days,
    weeks and months are the student's local ones.
    """
    rows = sorted(backups, key=lambda b: (b[1], b[0]), reverse=True)
    drop: set[str] = set()
    seen_special: dict[str, int] = {}
    left = {"daily": policy.daily, "weekly": policy.weekly, "monthly": policy.monthly}
    recent = policy.recent
    last_day = last_week = last_month = None
    for backup_id, created, reason in rows:
        if reason not in REGULAR:
            seen_special[reason] = seen_special.get(reason, 0) + 1
            if seen_special[reason] > policy.special:
                drop.add(backup_id)
            continue
        local = created.astimezone()
        day, week, month = local.date(), local.isocalendar()[:2], (local.year, local.month)
        if recent > 0:
            recent -= 1
        elif left["daily"] > 0 and (last_day is None or day < last_day):
            left["daily"] -= 1
        elif left["daily"] == 0 and left["weekly"] > 0 and (last_week is None or week < last_week):
            left["weekly"] -= 1
        elif left["daily"] == 0 and left["weekly"] == 0 and left["monthly"] > 0 and (
                last_month is None or month < last_month):
            left["monthly"] -= 1
        else:
            drop.add(backup_id)
            continue
        last_day, last_week, last_month = day, week, month
    return drop
