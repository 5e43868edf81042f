"""The debug guard reports a slow statement run on the main (UI) thread and ignores one on a worker thread."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from lmgpa_desktop.storage.database import Database, watch_ui_thread

SLEEP_MS = 40  # well over a frame (16 ms), by construction rather than by how fast this machine is


def _sleepy(db: Database) -> None:
    """A statement that takes at least SLEEP_MS: a user function that sleeps."""
    with db.read() as session:
        raw = session.connection().connection.driver_connection
        raw.create_function("sleep_ms", 1, lambda ms: time.sleep(ms / 1000) or ms)
        session.execute(text("SELECT sleep_ms(:ms)"), {"ms": SLEEP_MS})


def test_slow_statement_on_the_main_thread_is_reported_and_on_a_worker_is_not(tmp_path):
    db = Database(tmp_path / "guard.sqlite3")
    seen: list[tuple[str, float]] = []
    stop = watch_ui_thread(0.016, lambda statement, seconds: seen.append((statement, seconds)))
    try:
        _sleepy(db)
        [slept] = [seconds for statement, seconds in seen if statement == "SELECT sleep_ms(?)"]
        assert slept >= SLEEP_MS / 1000

        seen.clear()
        worker = threading.Thread(target=_sleepy, args=(db,))
        worker.start()
        worker.join()
        assert seen == []
    finally:
        stop()
        db.dispose()

    again = Database(tmp_path / "guard.sqlite3")
    _sleepy(again)  # stopped: nothing more is reported
    again.dispose()
    assert seen == []
