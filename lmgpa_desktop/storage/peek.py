"""Read a few settings straight from the file before SQLAlchemy is imported (fast first paint)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlean


def peek_settings(db_path: Path, keys: list[str]) -> dict[str, object]:
    """Values of keys from the settings table; {} when the file or table is not there yet."""
    if not db_path.is_file():
        return {}
    conn = None
    try:
        conn = sqlean.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        marks = ",".join("?" * len(keys))
        rows = conn.execute(f"SELECT key, value FROM settings WHERE key IN ({marks})", keys).fetchall()
        return {key: json.loads(value) for key, value in rows}
    except (sqlean.Error, ValueError):
        return {}  # damaged or older file: the full open reports it properly
    finally:
        if conn is not None:
            conn.close()
