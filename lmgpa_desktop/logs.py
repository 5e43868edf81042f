"""Rotating log file in the data folder."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


def configure(log_dir: Path, level: int = logging.INFO) -> Path:
    """Send all logging to <log_dir>/lmgpa.log (1 MB x 5); returns the file path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "lmgpa.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_lmgpa", False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler._lmgpa = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return path
