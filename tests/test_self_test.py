"""`lmgpa --self-test`: every native part used for real from source; a broken part fails only its own check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from lmgpa_desktop.cli import main
from lmgpa_desktop.core import self_test
from lmgpa_desktop.core.self_test import Check, CheckWarning

QT_CHECKS = ["qt-platform", "media-player", "qt-charts", "svg-icon"]
ALL_CHECKS = ["disk", "sqlite", "sqlite-vec", "pdf", "audio-decode", "ocr", "keyring", "audio-devices", "tts",
              "whisper", "embedder", "llm"] + QT_CHECKS


@pytest.mark.slow  # loads every model in a fresh process (about 10 s of CPU)
def test_the_whole_self_test_passes_from_source_with_the_real_models(home):
    """One full run in a fresh process, as CI runs it in the bundle: every check, no failure, JSON out."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "lmgpa_desktop", "--self-test", "--json"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True and report["version"]
    assert [r["name"] for r in report["results"]] == ALL_CHECKS
    for result in report["results"]:
        assert set(result) == {"name", "status", "detail", "seconds"}
        assert result["status"] in ("ok", "warn"), result
        assert result["detail"] and result["seconds"] >= 0
    by_name = {r["name"]: r for r in report["results"]}
    # each part did real work, not just an import
    assert "vec0 nearest-neighbour query" in by_name["sqlite-vec"]["detail"]
    assert "introduction" in by_name["whisper"]["detail"].lower()
    assert "384 dims" in by_name["embedder"]["detail"]
    assert "Little Monster studies biology" in by_name["ocr"]["detail"]
    assert "page 1 rendered" in by_name["pdf"]["detail"] and "line chart of 7 points" in by_name["qt-charts"]["detail"]
    assert "sample lecture loaded" in by_name["media-player"]["detail"]
    assert not (home / "lmgpa.sqlite3").exists()  # the student's data folder holds no profile afterwards


def test_a_broken_model_fails_its_check_names_it_and_the_others_still_run(ctx, tmp_path, capsys):
    missing = tmp_path / "whisper-model-that-is-gone"
    ctx.settings.set("models.whisper", str(missing))  # the student pointed Settings at a folder since deleted
    skip = ["tts", "embedder", "llm", "media-player", "qt-charts", "svg-icon", "keyring", "audio-devices"]

    code = main(["--home", str(ctx.home), "self-test", "--skip", *skip])

    out = capsys.readouterr().out
    assert code == 1
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:] if line.strip() and "checks:" not in line}
    assert rows == {"disk": "ok", "sqlite": "ok", "sqlite-vec": "ok", "pdf": "ok", "audio-decode": "ok", "ocr": "ok",
                    "whisper": "FAIL", "qt-platform": "ok"}
    whisper_row = next(line for line in out.splitlines() if line.startswith("whisper"))
    assert str(missing) in whisper_row and "missing" in whisper_row
    assert "1 failed (whisper)" in out


def test_an_unknown_check_name_is_refused(capsys):
    assert main(["self-test", "--skip", "flux-capacitor"]) == 1
    assert "no check named flux-capacitor" in capsys.readouterr().err


def test_a_check_that_raises_anything_is_a_failure_and_the_next_check_still_runs():
    def crash():
        raise MemoryError("the native library could not allocate")

    def warn():
        raise CheckWarning("no microphone found")

    results = self_test.run_checks([Check("a", crash), Check("b", warn), Check("c", lambda: "fine")])
    assert [(r.name, r.status) for r in results] == [("a", "fail"), ("b", "warn"), ("c", "ok")]
    assert results[0].detail == "MemoryError: the native library could not allocate"


def test_cancel_stops_before_the_next_check_and_progress_is_reported():
    cancel = threading.Event()
    seen = []

    def first():
        cancel.set()  # the student pressed Cancel while this check ran
        return "done"

    results = self_test.run_checks([Check("first", first), Check("second", lambda: "never")],
                                   progress=lambda done, total, name: seen.append((done, total, name)),
                                   cancel=cancel)
    assert [r.name for r in results] == ["first"]
    assert seen == [(0, 2, "first"), (1, 2, "")]
