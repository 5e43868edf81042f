"""`lmgpa demo`: the sample lecture to a transcript, notes, a reviewed deck, a graded test and exports, headless."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
import soundfile

from support import lmgpa_cmd


@pytest.mark.slow
def test_demo_takes_the_sample_lecture_through_every_study_step(home):
    out = subprocess.run(lmgpa_cmd("demo"), capture_output=True, text=True, timeout=1500)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    wer = float(re.search(r"word error rate against the script: ([0-9.]+)", text).group(1))
    assert wer < 0.15
    assert re.search(r"Notes written from the lecture \(accepted\): \d+ lines", text)
    assert "lmgpa://source/" in text  # note points link back to their second of audio
    reviewed = int(re.search(r"reviewed (\d+); left today", text).group(1))
    assert reviewed >= 3
    score, total = map(float, re.search(r"scored ([0-9.]+)/([0-9.]+)", text).groups())
    # The demo answers every question from the key except the last one, which it gets wrong on purpose.
    assert total >= 3 and score == total - 1
    exports = home / "exports"
    with zipfile.ZipFile(exports / "demo-deck.apkg") as apkg:
        assert {"collection.anki2", "media"} <= set(apkg.namelist())
    with zipfile.ZipFile(exports / "demo-notes.pptx") as pptx:
        assert sum(n.startswith("ppt/slides/slide") for n in pptx.namelist()) >= 2
    assert soundfile.info(str(exports / "demo-notes.wav")).duration > 2
