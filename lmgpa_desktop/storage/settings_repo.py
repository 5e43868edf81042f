"""Key/value settings rows."""

from __future__ import annotations

from sqlalchemy import delete, select

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Setting


def load_all(db: Database) -> dict[str, object]:
    """Every stored setting."""
    with db.read() as s:
        return {row.key: row.value for row in s.scalars(select(Setting))}


def put(db: Database, key: str, value: object) -> None:
    """Insert or replace one setting; None removes it (back to the default)."""
    with db.write(counted=not key.startswith("ui.")) as s:  # window state alone is no reason for a backup
        if value is None:
            s.execute(delete(Setting).where(Setting.key == key))
        else:
            s.merge(Setting(key=key, value=value))
