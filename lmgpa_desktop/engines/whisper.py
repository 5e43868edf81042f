"""Speech-to-text with faster-whisper (CTranslate2, int8 on CPU); the only module importing it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lmgpa_desktop.engines.errors import ModelError

SAMPLE_RATE = 16_000
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a model is always a local folder: never reach a hub


@dataclass(frozen=True)
class Word:
    """A word with its time span."""

    start: float
    end: float
    word: str
    probability: float


@dataclass(frozen=True)
class Segment:
    """A transcribed segment with words."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


@dataclass(frozen=True)
class AudioInfo:
    """What the model found out about the audio."""

    language: str
    language_probability: float
    duration: float
    duration_after_vad: float | None


def check_model_dir(path: Path) -> None:
    """Raise ModelError unless path looks like a CTranslate2 Whisper model folder."""
    if not path.is_dir():
        raise ModelError(f"Whisper model folder not found: {path}")
    missing = [name for name in ("model.bin", "config.json") if not (path / name).is_file()]
    if missing:
        raise ModelError(f"Whisper model folder {path} lacks {', '.join(missing)}")


class WhisperEngine:
    """A faster-whisper model loaded on first use."""

    def __init__(self, model_dir: Path, threads: int = 0, compute_type: str = "int8"):
        self.model_dir, self.threads, self.compute_type = Path(model_dir), threads, compute_type
        self._model = None
        self._batched = None
        self._lock = threading.Lock()

    @property
    def model(self):
        """The loaded WhisperModel (loads it now if needed)."""
        with self._lock:
            if self._model is None:
                check_model_dir(self.model_dir)
                from faster_whisper import WhisperModel

                try:
                    self._model = WhisperModel(
                        str(self.model_dir), device="cpu", compute_type=self.compute_type,
                        cpu_threads=self.threads, local_files_only=True,
                    )
                except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError on bad files
                    raise ModelError(f"Whisper model in {self.model_dir} could not be loaded: {exc}") from exc
            return self._model

    @property
    def batched(self):
        """faster-whisper's BatchedInferencePipeline over the same loaded model."""
        model = self.model
        with self._lock:
            if self._batched is None:
                from faster_whisper import BatchedInferencePipeline

                self._batched = BatchedInferencePipeline(model)
            return self._batched

    def transcribe(
        self,
        audio: np.ndarray | str | Path,
        language: str | None = None,
        vad: bool = True,
        word_timestamps: bool = True,
        beam_size: int = 5,
        initial_prompt: str | None = None,
        batch_size: int = 0,
    ) -> tuple[Iterator[Segment], AudioInfo]:
        """Lazily transcribe 16 kHz mono float32 audio (or a file); segments stream as decoded.

        batch_size > 0 uses faster-whisper's batched pipeline (speech chunks decoded in parallel; needs VAD).
        """
        source = str(audio) if isinstance(audio, Path) else audio
        settings = dict(language=language, vad_filter=vad, word_timestamps=word_timestamps, beam_size=beam_size,
                        initial_prompt=initial_prompt, condition_on_previous_text=False)
        if batch_size > 0 and vad:
            segments, info = self.batched.transcribe(source, batch_size=batch_size, **settings)
        else:
            segments, info = self.model.transcribe(source, **settings)
        about = AudioInfo(info.language, info.language_probability, info.duration,
                          getattr(info, "duration_after_vad", None))
        return (_segment(s) for s in segments), about


def _segment(s) -> Segment:
    """Plain data from a faster-whisper segment."""
    words = [Word(w.start, w.end, w.word, w.probability) for w in (s.words or [])]
    return Segment(s.start, s.end, s.text.strip(), words, s.avg_logprob, s.no_speech_prob)


def decode_audio(path: Path) -> np.ndarray:
    """Decode any audio/video file to 16 kHz mono float32 (PyAV, bundled with faster-whisper)."""
    from faster_whisper.audio import decode_audio as _decode

    try:
        return _decode(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:
        raise ValueError(f"could not decode audio from {path}: {exc}") from exc


def probe(model_dir: Path, audio: np.ndarray | None = None, threads: int = 0) -> str:
    """Load the model and transcribe (by default one second of silence); returns a description."""
    engine = WhisperEngine(model_dir, threads)
    clip = audio if audio is not None else np.zeros(SAMPLE_RATE, dtype=np.float32)
    segments, info = engine.transcribe(clip, language="en", vad=False, word_timestamps=False, beam_size=1)
    text = " ".join(s.text for s in segments)
    return f"loaded; {info.duration:.1f}s decoded" + (f": {text[:60]!r}" if text else "")
