"""Shared fixtures: an isolated profile per test, the shared real test data, offscreen Qt."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may download a model

sys.path.insert(0, str(Path(__file__).resolve().parent))  # support modules (support, virtual_mic, server_fixtures)

from support import ROOT, SHARED, TESTS, lmgpa_cmd  # noqa: E402,F401 - re-exported for fixtures below


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


@pytest.fixture
def ctx(home):
    """An opened profile on a fresh database."""
    from lmgpa_desktop.core.context import open_app

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


pytest_plugins = ["server_fixtures", "server_postgres"]
