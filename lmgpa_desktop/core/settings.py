"""Typed access to the student's settings, with defaults."""

from __future__ import annotations

import os
import threading

from lmgpa_desktop.storage import settings_repo
from lmgpa_desktop.storage.database import Database

DEFAULTS: dict[str, object] = {
    "ui.theme": "light",  # light, dark
    "cpu.threads": 0,  # 0 = choose automatically
    "models.whisper": None,  # None = bundled default; else a faster-whisper model folder
    "models.tts": None,  # else a Piper .onnx voice (with its .onnx.json beside it)
    "models.llm": None,  # else any .gguf file
    "models.embedder": None,  # else a folder with model.safetensors + tokenizer.json (384-d BERT)
    "ui.geometry": None,
    "ui.last_page": None,
    "ui.welcome_shown": False,  # the first-start welcome was offered (once per profile)
    "transcribe.language": None,  # None = detect; else a code such as "en"
    "ocr.language": "eng",  # tesseract language code(s), e.g. "eng" or "eng+deu"
    "review.retention": 0.9,  # FSRS desired retention
    "speech.speed": 1.0,  # read-aloud speed
    "notifications.quiet_start": "22:00",  # local HH:MM; "" = no quiet hours
    "notifications.quiet_end": "08:00",
    "notifications.daily_cap": 3,  # reminders a day at most
    "notifications.morning": "08:00",  # cards-due and deadline-day reminders
    "notifications.evening": "19:00",  # goal and streak reminders
    "backups.auto": True,  # a backup every backups.interval_minutes of use and on quit, when data changed
    "backups.interval_minutes": 30,
    "backups.keep_recent": 4,  # rotation (Anki's): the newest few, then one a day, a week, a month
    "backups.keep_daily": 12,
    "backups.keep_weekly": 10,
    "backups.keep_monthly": 9,
    "backups.keep_special": 5,  # of each of before-restore, before-import, before-migration
}


class Settings:
    """Settings cached in memory, written through to the database."""

    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.Lock()
        self._values = settings_repo.load_all(db)

    def get(self, key: str) -> object:
        """A setting, or its default."""
        with self._lock:
            return self._values.get(key, DEFAULTS.get(key))

    def set(self, key: str, value: object) -> None:
        """Store a setting (None restores the default)."""
        settings_repo.put(self.db, key, value)
        with self._lock:
            if value is None:
                self._values.pop(key, None)
            else:
                self._values[key] = value

    def threads(self) -> int:
        """CPU threads for engines: the setting, or every core (the UI thread is idle while models run)."""
        chosen = int(self.get("cpu.threads") or 0)
        return chosen if chosen > 0 else max(1, os.cpu_count() or 1)
