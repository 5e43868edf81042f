"""Text-to-speech with piper-tts (ONNX voices); the only module importing piper."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lmgpa_desktop.engines.errors import ModelError


def config_for(model_path: Path) -> Path:
    """Piper keeps a voice's config beside it as <voice>.onnx.json."""
    return model_path.with_name(model_path.name + ".json")


def _load_voice(model_path: Path, config: Path, threads: int):
    """A PiperVoice whose ONNX session uses threads CPU threads (0: onnxruntime's choice)."""
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    # PiperVoice.load takes no session options, so the cpu.threads setting would be ignored through it.
    options = onnxruntime.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8"))))


class PiperEngine:
    """A Piper voice loaded on first use; speaks sentence by sentence."""

    def __init__(self, model_path: Path, threads: int = 0):
        self.model_path = Path(model_path)
        self.threads = threads
        self._voice = None
        self._lock = threading.Lock()

    @property
    def voice(self):
        """The loaded PiperVoice."""
        with self._lock:
            if self._voice is None:
                config = config_for(self.model_path)
                for needed in (self.model_path, config):
                    if not needed.is_file():
                        raise ModelError(f"Piper voice file not found: {needed}")
                try:
                    self._voice = _load_voice(self.model_path, config, self.threads)
                except Exception as exc:
                    raise ModelError(f"Piper voice {self.model_path} could not be loaded: {exc}") from exc
            return self._voice

    @property
    def sample_rate(self) -> int:
        """Output sample rate of the voice."""
        return int(self.voice.config.sample_rate)

    def synthesize(self, text: str, speed: float = 1.0) -> Iterator[np.ndarray]:
        """int16 mono audio, one array per sentence, as soon as each is ready."""
        from piper import SynthesisConfig

        # Scale the voice's own pace rather than replacing it.
        base = float(getattr(self.voice.config, "length_scale", None) or 1.0)
        config = SynthesisConfig(length_scale=base / max(0.25, speed))
        for chunk in self.voice.synthesize(text, syn_config=config):
            yield chunk.audio_int16_array


def probe(model_path: Path) -> str:
    """Load the voice and speak one word; returns a description."""
    engine = PiperEngine(model_path)
    audio = np.concatenate(list(engine.synthesize("Hello.")))
    return f"loaded; 'Hello.' -> {len(audio) / engine.sample_rate:.2f}s at {engine.sample_rate} Hz"
