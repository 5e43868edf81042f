"""Local text generation with llama-cpp-python (GGUF); the only module importing llama_cpp."""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

from lmgpa_desktop.engines.errors import ModelError

GGUF_MAGIC = b"GGUF"
log = logging.getLogger(__name__)
_log_sink = None  # keeps the ctypes callback alive


def _route_native_logs() -> None:
    """Send llama.cpp's own log lines to our log file instead of the terminal."""
    global _log_sink
    if _log_sink is not None:
        return
    import llama_cpp

    @ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
    def sink(_level, message, _user):
        log.debug("llama.cpp: %s", (message or b"").decode("utf-8", "replace").rstrip())

    _log_sink = sink
    llama_cpp.llama_log_set(sink, ctypes.c_void_p())


def check_gguf(path: Path) -> None:
    """Raise ModelError unless path is a readable GGUF file."""
    if not path.is_file():
        raise ModelError(f"GGUF model file not found: {path}")
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ModelError(f"{path} is not a GGUF model file (bad header)")


class LlamaEngine:
    """A GGUF model loaded on first use."""

    def __init__(self, model_path: Path, n_ctx: int = 4096, threads: int = 0):
        self.model_path, self.n_ctx, self.threads = Path(model_path), n_ctx, threads
        self._llm = None
        self._lock = threading.Lock()

    @property
    def llm(self):
        """The loaded llama_cpp.Llama."""
        with self._lock:
            if self._llm is None:
                check_gguf(self.model_path)
                _route_native_logs()
                from llama_cpp import Llama

                try:
                    self._llm = Llama(
                        model_path=str(self.model_path), n_ctx=self.n_ctx,
                        n_threads=self.threads or None, verbose=False,
                    )
                except Exception as exc:  # llama.cpp raises ValueError for unreadable weights
                    raise ModelError(f"GGUF model {self.model_path} could not be loaded: {exc}") from exc
            return self._llm

    @property
    def chat_template(self) -> str | None:
        """The model's own chat template, if the GGUF carries one."""
        return self.llm.metadata.get("tokenizer.chat_template")

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for text."""
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def complete(self, prompt: str, max_tokens: int = 256, temperature: float = 0.0,
                 stop: list[str] | None = None, grammar: str | None = None,
                 repeat_penalty: float = 1.1) -> Iterator[str]:
        """Stream the continuation of prompt, piece by piece."""
        kwargs = {}
        if grammar:
            from llama_cpp import LlamaGrammar

            kwargs["grammar"] = LlamaGrammar.from_string(grammar, verbose=False)
        stream = self.llm.create_completion(
            prompt, max_tokens=max_tokens, temperature=temperature, stop=stop or [],
            repeat_penalty=repeat_penalty, stream=True, **kwargs,
        )
        for part in stream:
            yield part["choices"][0]["text"]


def probe(model_path: Path, threads: int = 0) -> str:
    """Load the model and generate a few tokens; returns a description."""
    engine = LlamaEngine(model_path, n_ctx=256, threads=threads)
    text = "".join(engine.complete("The capital of France is", max_tokens=6))
    return f"loaded; generated {text.strip()[:40]!r}"
