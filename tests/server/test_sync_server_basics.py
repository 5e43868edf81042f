"""Sync server factory: health in the seed's envelope, refusal of weak secrets, one writer queue across workers."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from sync_server.app import create_app
from sync_server.db import Database
from sync_server.settings import ConfigError, ServerSettings
from server_fixtures import make_server

STRONG = "k3J9-vQ2x_Lm8pR4tW7yZ1aB5cD6eF0gH2iJ4kL6mN8oP"


def _settings(tmp_path) -> ServerSettings:
    """Strong secret, a database in the test's folder (never the default file in the working folder)."""
    return ServerSettings.from_env({"JWT_SECRET_KEY": STRONG,
                                    "DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}"})


def test_health_uses_the_envelope(tmp_path):
    client = TestClient(create_app(_settings(tmp_path)))
    body = client.get("/health", headers={"x-request-id": "abc"}).json()
    assert body["success"] is True and body["data"]["status"] == "ok"
    assert body["meta"]["request_id"] == "abc" and body["meta"]["timestamp"].endswith("Z")


def test_unknown_path_is_an_error_envelope(tmp_path):
    client = TestClient(create_app(_settings(tmp_path)))
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.json()["success"] is False and response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("secret", ["", "short", "changeme", "a" * 40])
def test_weak_or_missing_secret_is_refused(secret):
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        ServerSettings.from_env({"JWT_SECRET_KEY": secret})


def test_development_mode_allows_a_missing_secret():
    assert ServerSettings.from_env({"LMGPA_DEV": "1"}).dev_mode


def test_a_repeated_idempotency_key_replays_the_first_answer(server):
    ann = server.person()
    first = server.call("PATCH", "/api/auth/me", ann, json={"display_name": "Ann One"},
                        headers={"Idempotency-Key": "op-1"})
    again = server.call("PATCH", "/api/auth/me", ann, json={"display_name": "Something else"},
                        headers={"Idempotency-Key": "op-1"})
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replay") == "true"
    assert again.json()["data"]["display_name"] == "Ann One"
    assert server.call("GET", "/api/auth/me", ann).json()["data"]["display_name"] == "Ann One"
    # The same key on another path is a client bug, not a replay.
    other = server.call("POST", "/api/auth/logout", ann, headers={"Idempotency-Key": "op-1"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # Keys belong to one user: another person's identical key runs normally.
    bob = server.person()
    mine = server.call("PATCH", "/api/auth/me", bob, json={"display_name": "Bob"}, headers={"Idempotency-Key": "op-1"})
    assert mine.json()["data"]["display_name"] == "Bob" and "idempotent-replay" not in mine.headers


def test_housekeeping_prunes_only_expired_rows(server):
    from datetime import timedelta

    from sync_server import models
    from sync_server import housekeeping

    ann = server.person()
    server.call("POST", "/api/auth/login", json={"email": ann.email, "password": "wrong password here!"})
    db = server.client.app.state.db
    with db.session() as s:
        s.add(models.AuthAttempt(key="login:old@example.org", at=models.utcnow() - timedelta(days=2)))
    with db.session() as s:
        counts = housekeeping.prune(s)
    assert counts["auth_attempts"] == 1
    with db.session(write=False) as s:
        from sqlalchemy import func, select

        assert s.scalar(select(func.count()).select_from(models.AuthAttempt)) >= 2  # the recent ones stay


def test_set_role_makes_an_admin(tmp_path, server_db_url, capsys):
    from sync_server.main import main

    srv = make_server(server_db_url)
    with srv.client:
        ann = srv.person()
        assert main(["set-role", ann.email, "admin", "--db-url", server_db_url]) == 0
        assert srv.call("GET", "/api/auth/me", ann).json()["data"]["role"] == "admin"
        assert main(["set-role", "nobody@school.example", "admin", "--db-url", server_db_url]) == 1
    srv.client.app.state.db.dispose()


def _writer_file_locked(path) -> bool:
    """Whether some process (or another Database object) holds the writer lock file."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases our probe's lock
    return False


def test_sqlite_writers_of_every_worker_queue_on_one_lock_file(tmp_path):
    """Two Database objects stand for two uvicorn workers: only write transactions hold the file, until they end."""
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    lock_file = tmp_path / "server.sqlite3-writer"
    first, second = Database(url), Database(url)
    try:
        with first.session(write=False) as s:
            s.execute(text("select 1"))
            assert not _writer_file_locked(lock_file)  # readers never queue
        waiting, written = threading.Event(), threading.Event()

        def other_worker():
            waiting.set()
            with second.session() as s2:
                s2.execute(text("insert into t values (2)"))
            written.set()

        with first.session() as s:
            s.execute(text("create table t (x)"))
            assert _writer_file_locked(lock_file)
            thread = threading.Thread(target=other_worker)
            thread.start()
            waiting.wait(10)
            assert not written.wait(0.5)  # the other worker's write waits for this commit
        thread.join(10)
        assert written.is_set() and not _writer_file_locked(lock_file)
        with pytest.raises(RuntimeError), first.session() as s:
            s.execute(text("insert into t values (3)"))
            raise RuntimeError("the route failed")
        assert not _writer_file_locked(lock_file)  # released on rollback too
        with second.session(write=False) as s:
            assert s.execute(text("select x from t order by x")).scalars().all() == [2]
    finally:
        first.dispose()
        second.dispose()
