"""Shared fixtures: an isolated profile per test, the shared real test data, offscreen Qt."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may download a model

sys.path.insert(0, str(Path(__file__).resolve().parent))  # support modules (support, online_support, ...)

from support import SHARED  # noqa: E402 - after the path is set

# A server-only virtualenv (installer/server/check) has no Qt and no desktop dependencies: it runs tests/server alone.
DESKTOP = importlib.util.find_spec("PySide6") is not None

# Load QtMultimedia now, on the main thread before any worker exists. Loading it lazily in a test deadlocked the
# run: its library init logs a line while holding the dynamic loader's lock, pytest-qt's Python message handler then
# waits for the GIL, and a worker holding the GIL was closing a database connection, whose sqlite extension unload
# (dlclose) waits for that same loader lock. The app has no Python message handler, so only tests can meet this.
if DESKTOP:
    import PySide6.QtMultimedia  # noqa: F401


@pytest.fixture
def shared() -> Path:
    """The shared real test data."""
    return SHARED


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty data folder, also exported as LMGPA_HOME for subprocesses."""
    path = tmp_path / "home"
    monkeypatch.setenv("LMGPA_HOME", str(path))
    return path


def pytest_configure(config):
    """Register the marker that opts a test out of the migrated copy."""
    config.addinivalue_line("markers", "real_migration: the ctx fixture migrates an empty database for real instead "
                                       "of copying the session's migrated one (for the tests of the migrations)")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Path:
    """The database of a new profile, opened once for the session through the real open path."""
    from lmgpa_desktop import paths
    from lmgpa_desktop.core.profile import open_app

    folder = tmp_path_factory.mktemp("migrated_profile")
    open_app(folder).close()
    database = paths.database_path(folder)
    # A new profile is its database and its log (nothing to back up, the WAL folded in at close): a copy of the
    # database is then all a test's profile needs to look just migrated.
    extra = sorted(p.name for p in folder.iterdir() if p.name not in (database.name, paths.logs_dir(folder).name))
    assert not extra, f"a newly migrated profile holds more than its database and log: {extra}"
    return database


@pytest.fixture
def ctx(request, home):
    """An opened profile on a fresh database: a copy of the session's migrated one, as migrating takes ~0.2 s."""
    from lmgpa_desktop.core.profile import open_app

    if request.node.get_closest_marker("real_migration") is None:
        database = request.getfixturevalue("migrated_database")
        home.mkdir(parents=True, exist_ok=True)
        if not (home / database.name).exists():
            shutil.copyfile(database, home / database.name)
    app_ctx = open_app(home)
    yield app_ctx
    app_ctx.close()


@pytest.fixture
def virtual_mic(monkeypatch):
    """A private PulseAudio server whose null-sink monitor is the default microphone, seen by PortAudio."""
    from lmgpa_desktop.engines import microphone
    from virtual_mic import PulseServer, pulse_available

    if not pulse_available():
        pytest.fail("PulseAudio is needed for the recorder tests: apt-get install -y --no-install-recommends "
                    "pulseaudio pulseaudio-utils libasound2-plugins libportaudio2 (./test does this)")
    server = PulseServer()
    server.start()
    for key in ("HOME", "XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_SERVER"):
        monkeypatch.setenv(key, server.env[key])
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    microphone.reinitialize()  # PortAudio lists devices once; it must look again now the server is up
    try:
        yield server
    finally:
        server.stop()
        microphone.reinitialize()


pytest_plugins = ["server_fixtures", "server_postgres", "fast_passwords"]
if DESKTOP:
    pytest_plugins += ["online_support", "shared_models"]
