"""Every default model loads lazily and does real work; bad model files give clear errors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from support import lmgpa_cmd
from lmgpa_desktop.engines.errors import ModelError
from lmgpa_desktop.engines.whisper import SAMPLE_RATE, decode_audio

pytestmark = pytest.mark.slow


@pytest.mark.own_models  # another test's profile may have loaded the shared engine already
def test_models_are_not_loaded_at_start_up(ctx):
    assert ctx.models._engines == {}
    engine = ctx.models.whisper()
    assert engine._model is None  # creating the engine loads nothing


def test_whisper_transcribes_the_first_seconds_of_real_speech(ctx, shared):
    audio = decode_audio(shared / "audio" / "jfk.flac")[: 4 * SAMPLE_RATE]
    segments, info = ctx.models.whisper().transcribe(audio, language="en")
    text = " ".join(s.text for s in segments).lower()
    assert "fellow americans" in text
    assert info.duration == pytest.approx(4.0, abs=0.05)


def test_piper_speaks_a_word(ctx):
    engine = ctx.models.tts()
    audio = np.concatenate(list(engine.synthesize("Photosynthesis.")))
    assert audio.dtype == np.int16
    seconds = len(audio) / engine.sample_rate
    assert 0.4 < seconds < 3.0
    assert np.abs(audio.astype(np.float32)).mean() > 200  # not silence


def test_piper_speaks_a_word_that_whisper_understands(ctx):
    engine = ctx.models.tts()
    audio = np.concatenate(list(engine.synthesize("The mitochondria is the powerhouse of the cell.")))
    resampled = np.interp(np.arange(0, len(audio), engine.sample_rate / SAMPLE_RATE), np.arange(len(audio)),
                          audio.astype(np.float32) / 32768).astype(np.float32)
    segments, _ = ctx.models.whisper().transcribe(resampled, language="en")
    assert "powerhouse" in " ".join(s.text for s in segments).lower()


def test_llm_produces_tokens(ctx):
    engine = ctx.models.llm()
    pieces = list(engine.complete("Question: What is the capital of France?\nAnswer:", max_tokens=8))
    assert len(pieces) >= 2
    assert "".join(pieces).strip()
    assert engine.count_tokens("Hello world") >= 2


def test_llama_cpp_is_built_without_the_amx_path():
    """The installer's x86_64 build leaves out AMX: llama.cpp's AMX matmul segfaults on Q4_K weights (#20824)."""
    import platform

    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    assert "AMX" not in info, info
    if platform.machine() == "x86_64" and re.search(r"\bavx2\b", Path("/proc/cpuinfo").read_text()):
        assert "AVX2 = 1" in info, info


def test_embedder_returns_384_normalised_floats(ctx):
    vectors = ctx.models.embedder().embed(["The cell membrane controls what enters the cell.", "Hi"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_missing_custom_model_names_the_file(ctx, tmp_path):
    ctx.settings.set("models.llm", str(tmp_path / "nope.gguf"))
    with pytest.raises(ModelError, match="nope.gguf"):
        ctx.models.llm()
    info = ctx.models.info("llm")
    assert info.custom and info.path is None and "nope.gguf" in info.error


def test_corrupt_gguf_names_the_file(ctx, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 4096)
    ctx.settings.set("models.llm", str(bad))
    with pytest.raises(ModelError, match="broken.gguf"):
        list(ctx.models.llm().complete("x", max_tokens=1))


def test_not_a_gguf_names_the_file(ctx, tmp_path):
    bad = tmp_path / "notes.gguf"
    bad.write_text("these are my notes")
    ctx.settings.set("models.llm", str(bad))
    with pytest.raises(ModelError, match="notes.gguf is not a GGUF"):
        ctx.models.probe("llm")


def test_corrupt_whisper_folder_names_the_folder(ctx, tmp_path):
    folder = tmp_path / "whisper-small"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.bin").write_bytes(b"\x00" * 1000)
    ctx.settings.set("models.whisper", str(folder))
    with pytest.raises(ModelError, match="whisper-small"):
        ctx.models.probe("whisper")


def test_corrupt_piper_voice_names_the_file(ctx, tmp_path):
    voice = tmp_path / "voice.onnx"
    voice.write_bytes(b"not onnx")
    (tmp_path / "voice.onnx.json").write_text("{}")
    ctx.settings.set("models.tts", str(voice))
    with pytest.raises(ModelError, match="voice.onnx"):
        ctx.models.probe("tts")


def test_cli_models_lists_all_four_loading(home):
    out = subprocess.run(lmgpa_cmd("models", "--json"), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["key"] for r in rows] == ["whisper", "tts", "llm", "embedder"]
    for row in rows:
        assert row["loads"] is True and row["size_bytes"] > 1_000_000 and row["path"]


def test_cli_models_reports_a_broken_model_in_one_line(home, tmp_path):
    from lmgpa_desktop.core.profile import open_app

    ctx = open_app(home)
    ctx.settings.set("models.tts", str(tmp_path / "missing.onnx"))
    ctx.close()
    out = subprocess.run(lmgpa_cmd("models", "--no-load"), capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "missing.onnx" in out.stdout and "Traceback" not in out.stdout + out.stderr
