"""Local text generation with llama-cpp-python (GGUF); the only module importing llama_cpp (with llm_grammar)."""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

from lmgpa_desktop.engines.errors import ModelError

GGUF_MAGIC = b"GGUF"
LOCK_POLL_S = 0.1
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
    """A GGUF model loaded on first use; one generation at a time, whichever thread asks."""

    def __init__(self, model_path: Path, n_ctx: int = 4096, threads: int = 0):
        self.model_path, self.n_ctx, self.threads = Path(model_path), n_ctx, threads
        self._llm = None
        self._formatter = None
        self._lock = threading.Lock()
        # llama.cpp keeps one KV cache per model: two interleaved generations would corrupt each other.
        self._generating = threading.Lock()

    @property
    def llm(self):
        """The loaded llama_cpp.Llama."""
        with self._lock:
            if self._llm is None:
                check_gguf(self.model_path)
                _route_native_logs()
                # A Llama whose grammar checks only the sampled token (full mask on a miss): ~7x faster.
                from lmgpa_desktop.engines.llm_grammar import GrammarLlama

                try:
                    self._llm = GrammarLlama(
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

    @property
    def context_size(self) -> int:
        """Tokens the loaded context holds (prompt and answer together)."""
        return int(self.llm.n_ctx())

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for text."""
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def count_chat_tokens(self, messages: list[dict]) -> int:
        """Tokens of messages rendered by the model's chat template (raises ModelError if it has none or refuses them)."""
        template = self.chat_template
        if not template:
            raise ModelError(f"{self.model_path.name} has no chat template")
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            model = self.llm._model
            eos, bos = self.llm.token_eos(), self.llm.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=template, eos_token=model.token_get_text(eos) if eos != -1 else "",
                bos_token=model.token_get_text(bos) if bos != -1 else "")
        try:
            prompt = self._formatter(messages=messages).prompt
        except Exception as exc:  # a template rejects what it cannot format (roles, order) by raising
            raise ModelError(f"the chat template of {self.model_path.name} cannot format this conversation: {exc}") \
                from exc
        return self.count_tokens(prompt) + 1  # llama.cpp may add a BOS token the template did not write

    def _acquire(self, cancel: threading.Event | None) -> bool:
        """Wait for the model to be free; False when cancelled before or while waiting."""
        while cancel is None or not cancel.is_set():
            if self._generating.acquire(timeout=LOCK_POLL_S):
                return True
        return False

    def complete(self, prompt: str, max_tokens: int = 256, temperature: float = 0.0,
                 stop: list[str] | None = None, grammar: str | None = None,
                 repeat_penalty: float = 1.1, seed: int | None = None,
                 cancel: threading.Event | None = None) -> Iterator[str]:
        """Stream the continuation of prompt, piece by piece; stops early when cancel is set or the caller closes it."""
        llm = self.llm
        kwargs = _grammar_kwargs(grammar)
        if not self._acquire(cancel):
            return
        try:
            stream = llm.create_completion(
                prompt, max_tokens=max_tokens, temperature=temperature, stop=stop or [],
                repeat_penalty=repeat_penalty, stream=True, seed=seed, **kwargs,
            )
            yield from _pieces(stream, cancel, lambda part: part["choices"][0]["text"])
        finally:
            self._generating.release()

    def chat(self, messages: list[dict], max_tokens: int = 256, temperature: float = 0.0,
             stop: list[str] | None = None, grammar: str | None = None, repeat_penalty: float = 1.1,
             seed: int | None = None, cancel: threading.Event | None = None) -> Iterator[str]:
        """Stream the assistant's reply to messages through the model's chat template (constrained by grammar, GBNF)."""
        if not self.chat_template:
            raise ModelError(f"{self.model_path.name} has no chat template; use complete() with a plain prompt")
        llm = self.llm
        kwargs = _grammar_kwargs(grammar)
        if not self._acquire(cancel):
            return
        try:
            stream = llm.create_chat_completion(
                messages, max_tokens=max_tokens, temperature=temperature, stop=stop or [],
                repeat_penalty=repeat_penalty, stream=True, seed=seed, **kwargs,
            )
            yield from _pieces(stream, cancel, lambda part: part["choices"][0]["delta"].get("content") or "")
        finally:
            self._generating.release()


def _grammar_kwargs(grammar: str | None) -> dict:
    """create_completion's grammar argument for a GBNF text (parsed when generation starts)."""
    if not grammar:
        return {}
    from llama_cpp import LlamaGrammar

    return {"grammar": LlamaGrammar.from_string(grammar, verbose=False)}


def _pieces(stream, cancel: threading.Event | None, text_of) -> Iterator[str]:
    """Text pieces of a llama.cpp stream until it ends or cancel is set."""
    try:
        for part in stream:
            piece = text_of(part)
            if piece:
                yield piece
            if cancel is not None and cancel.is_set():
                return
    finally:
        # Closing the stream here, under the lock, leaves llama.cpp's cache consistent for the next caller:
        # it only holds tokens that were evaluated, and the next prompt reuses the matching prefix.
        stream.close()


def probe(model_path: Path, threads: int = 0) -> str:
    """Load the model and generate a few tokens; returns a description."""
    engine = LlamaEngine(model_path, n_ctx=256, threads=threads)
    text = "".join(engine.complete("The capital of France is", max_tokens=6))
    return f"loaded; generated {text.strip()[:40]!r}"
