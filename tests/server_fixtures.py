"""Fixtures for sync-server tests: a fresh server database per test (SQLite; PostgreSQL added by the
PostgreSQL fixture), a TestClient, and people registered through the real API."""

from __future__ import annotations

import itertools
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.settings import ServerSettings

STRONG_SECRET = "k3J9-vQ2x_Lm8pR4tW7yZ1aB5cD6eF0gH2iJ4kL6mN8oP"
PASSWORD = "lecture hall 42 purple kettle"
_counter = itertools.count(1)


@dataclass
class Person:
    """A registered account with its tokens."""

    id: str
    email: str
    name: str
    role: str
    access: str
    refresh: str
    session_id: str
    password: str = PASSWORD

    @property
    def headers(self) -> dict:
        """Authorization header for this person."""
        return {"Authorization": f"Bearer {self.access}"}


@dataclass
class Server:
    """A running app (in-process) with helpers to make people."""

    client: TestClient
    settings: ServerSettings
    resets: list = field(default_factory=list)  # (email, token) pairs the reset sender received

    def person(self, role: str = "student", name: str | None = None) -> Person:
        """Register a new account with this role (admins are promoted through the database)."""
        n = next(_counter)
        name = name or f"{role.title()} {n}"
        email = f"{role}{n}@school.example"
        reg_role = "student" if role == "admin" else role
        r = self.client.post("/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": name,
                                                          "role": reg_role, "device_name": "test laptop"})
        assert r.status_code == 201, r.text
        d = r.json()["data"]
        if role == "admin":
            from sync_server import models

            with self.client.app.state.db.session() as s:
                s.get(models.User, d["user"]["id"]).role = "admin"
        return Person(d["user"]["id"], email, name, role, d["access_token"], d["refresh_token"], d["session_id"])

    def call(self, method: str, path: str, who: Person | None = None, **kw):
        """A request as this person (or anonymous)."""
        headers = dict(kw.pop("headers", {}) or {})
        if who is not None:
            headers.update(who.headers)
        return self.client.request(method, path, headers=headers, **kw)


def blob_dir(db_url: str) -> str:
    """Sync media of a test server: beside a SQLite file (the default, ""), else in a new temporary folder (never
    the user data folder the server uses with PostgreSQL by default)."""
    return "" if db_url.startswith("sqlite") else tempfile.mkdtemp(prefix="lmgpa-sync-blobs-")


def make_server(db_url: str, **overrides) -> Server:
    """A server app on this database, with a capturing password-reset sender."""
    resets: list = []
    settings = ServerSettings.from_env({"JWT_SECRET_KEY": STRONG_SECRET, "DATABASE_URL": db_url,
                                        "RATE_LIMIT_PER_MINUTE": "10000", "SYNC_BLOB_DIR": blob_dir(db_url)},
                                       **overrides)
    app = create_app(settings, reset_sender=lambda email, token: resets.append((email, token)))
    return Server(TestClient(app), settings, resets)


def _sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'server.sqlite3'}"


SERVER_DATABASES = ["sqlite"]  # the PostgreSQL fixture module appends "postgresql"


def pytest_generate_tests(metafunc):
    """Run every test that uses a server database on each kind in SERVER_DATABASES.

    Read at collection time, not by @pytest.fixture(params=...), which copies the list when this module is
    imported: before server_postgres has appended "postgresql"."""
    if "server_db_url" in metafunc.fixturenames:
        metafunc.parametrize("server_db_url", list(SERVER_DATABASES), indirect=True)


@pytest.fixture
def server_db_url(request, tmp_path) -> str:
    """A fresh, empty server database URL for each database kind."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return _sqlite_url(tmp_path)
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def server(server_db_url):
    """A fresh server on each database kind."""
    srv = make_server(server_db_url)
    with srv.client:
        yield srv
    srv.client.app.state.db.dispose()


@pytest.fixture
def server_factory(server_db_url):
    """make(**overrides): a server with changed settings on this test's fresh database (closed after the test)."""
    yield from servers(lambda _n: server_db_url)


def servers(url_for: Callable[[int], str]):
    """The body of a server fixture: yields make(**overrides) (the nth server on url_for(n)), closes them after."""
    made: list[Server] = []

    def make(**overrides) -> Server:
        srv = make_server(url_for(len(made)), **overrides)
        srv.client.__enter__()
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.client.__exit__(None, None, None)
        srv.client.app.state.db.dispose()


def free_port() -> int:
    """A loopback port that was free a moment ago (bound and released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real sync server served over HTTP by uvicorn in a thread; stop() and start() again keep port and data."""

    def __init__(self, db_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = ServerSettings.from_env({"JWT_SECRET_KEY": STRONG_SECRET, "DATABASE_URL": db_url,
                                                 "RATE_LIMIT_PER_MINUTE": "10000", "SYNC_BLOB_DIR": blob_dir(db_url)})
        self.app = None
        self.resets: list[tuple[str, str]] = []  # (email, token) the reset sender received, in place of the log
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve in a background thread until /health answers."""
        self.app = create_app(self.settings, reset_sender=lambda address, token: self.resets.append((address, token)))
        # Live notification streams stay open: a short graceful shutdown lets stop() end them.
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="test-sync-server", daemon=True)
        self._thread.start()
        while True:  # bounded by the thread: a server that fails to start ends its thread
            assert self._thread.is_alive(), "the sync server did not start"
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            self._thread.join(0.05)

    def stop(self) -> None:
        """Stop serving and wait for the thread (the port is closed afterwards)."""
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join()
            self.app.state.db.dispose()
            self._server = None

    def count(self, model) -> int:
        """Rows of a server table, running or stopped (to check that queued work arrived exactly once)."""
        from sqlalchemy import func, select

        from sync_server.db import Database

        db = Database(self.settings.database_url)
        try:
            with db.session(write=False) as s:
                return s.scalar(select(func.count()).select_from(model))
        finally:
            db.dispose()
