"""Fixtures of the sync tests: the real server over HTTP on SQLite and PostgreSQL, and a student's devices on it
(the pieces themselves are in sync_world.py)."""

from __future__ import annotations

import pytest
from sync_world import Fleet, live_sync_server


@pytest.fixture
def live_sync(server_db_url, tmp_path):
    """The real server over HTTP on each database kind (SQLite and PostgreSQL), with its blob folder known."""
    srv = live_sync_server(server_db_url, tmp_path / "server-blobs")
    srv.db_url = server_db_url
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def fleet(live_sync, tmp_path, dict_keyring, migrated_database, monkeypatch):
    """make(): a new student's Fleet on the live server (each call a new account); all closed after the test.

    The sync key is wrapped with a cheap Argon2id here: its cost (a quarter of a second a wrap on purpose) is
    tested with the keys (test_keys*.py), and these tests set up many devices."""
    from lmgpa_desktop.core.sync import crypto, keys

    monkeypatch.setattr(keys.setup, "__defaults__", (crypto.KdfParams(t=1, m=8 * 1024, p=1),))
    made: list[Fleet] = []

    def make() -> Fleet:
        f = Fleet(live_sync, tmp_path / f"fleet{len(made)}", migrated_database)
        made.append(f)
        return f

    yield make
    for f in made:
        f.close()
