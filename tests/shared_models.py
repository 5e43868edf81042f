"""The speech-to-text and embedding models are loaded once per test process instead of once per test's profile
(2-3 s a load on a busy 2-core machine).

Every test opens a fresh profile, and each profile's ModelRegistry loads its own engines. These two engines keep no
state between calls (the app itself reuses one engine for all of a profile's work), so tests share one per slot, path
and thread count. The LLM is left per profile: llama.cpp reuses the previous prompt's prefix, so a shared one could
answer a test differently depending on the test before it. Only the default models are shared: a model chosen in a
test's Settings gets its own engine as before. A test that checks loading itself opts out with
@pytest.mark.own_models."""

from __future__ import annotations

import threading

import pytest

from lmgpa_desktop import paths
from lmgpa_desktop.core.models.registry import ModelRegistry

SHARED_SLOTS = ("whisper", "embedder")  # stateless; the LLM reuses a cached prompt prefix, text-to-speech loads in ms
_engines: dict[tuple, object] = {}
_lock = threading.Lock()


def pytest_configure(config):
    config.addinivalue_line("markers", "own_models: the profile loads its own model engines (for tests of loading)")


@pytest.fixture(autouse=True)
def shared_model_engines(request, monkeypatch):
    """Hand every profile the process's engine for a default model (see the module's docstring)."""
    if request.node.get_closest_marker("own_models") is not None:
        return
    per_profile = ModelRegistry._engine

    def engine(self, key, make):
        if key not in SHARED_SLOTS or self.settings.get(f"models.{key}"):
            return per_profile(self, key, make)
        path, threads = self.path(key), self.settings.threads()
        shared_key = (key, str(path), threads, str(paths.cache_dir()))
        with _lock:
            if shared_key not in _engines:
                _engines[shared_key] = make(path, threads)
        with self._lock:
            self._engines[(key, str(path), threads)] = _engines[shared_key]
        return _engines[shared_key]

    monkeypatch.setattr(ModelRegistry, "_engine", engine)
