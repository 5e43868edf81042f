"""Sentence embeddings (all-MiniLM-L6-v2, 384-d); the only module running onnxruntime and tokenizers for them."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from lmgpa_desktop.engines.errors import ModelError

DIM = 384
# sentence-transformers' max_seq_length for this model; the shipped tokenizer.json says
# 128, which silently changes the vectors of longer texts.
MAX_TOKENS = 256
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_OUTPUT = "sentence_embedding"
# Batching limits measured on 2 cores (models/embedding/README.md): beyond ~512 padded
# tokens per call, or ~25% padding, throughput drops.
_BATCH_TOKENS = 512
_LENGTH_SLACK = 1.25


class Embedder:
    """Embeds texts into L2-normalised 384-dim vectors; loads the model on first use."""

    def __init__(self, model_dir: Path, onnx_path: Path, threads: int = 0) -> None:
        """Remember where the model lives; nothing is read until the first embed()."""
        self.model_dir = Path(model_dir)
        self.onnx_path = Path(onnx_path)
        self.threads = threads
        self.built_onnx = False  # True once this instance has had to build the ONNX file
        self._tokenizer: Tokenizer | None = None
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], batch_size: int = 16) -> np.ndarray:
        """Return an (n, 384) float32 array of unit vectors, in the order of texts."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        tokenizer, session = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        for rows in _batches(lengths, batch_size):
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                enc = encodings[i]
                n = len(enc.ids)
                ids[r, :n] = enc.ids
                types[r, :n] = enc.type_ids
                mask[r, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            # The graph already mean-pools over the mask and L2-normalises.
            out[rows] = session.run([_OUTPUT], feed)[0]
        return out

    def _load(self) -> tuple[Tokenizer, ort.InferenceSession]:
        """Load tokenizer and session once (thread-safe), building the ONNX file if absent."""
        with self._lock:
            if self._tokenizer is None or self._session is None:
                if not self.model_dir.is_dir():
                    raise ModelError(f"Embedding model folder is missing: {self.model_dir}")
                tokenizer = _load_tokenizer(self.model_dir / "tokenizer.json")
                if not self.onnx_path.is_file():
                    self._build()
                self._session = _open_session(self.onnx_path, self.threads)
                self._tokenizer = tokenizer
            return self._tokenizer, self._session

    def _build(self) -> None:
        """Derive the ONNX file from the local weights (no download)."""
        # Imported here: onnx and safetensors are only needed the first time.
        from lmgpa_desktop.engines.embed_export import build_onnx

        try:
            build_onnx(self.model_dir, self.onnx_path)
        except OSError as exc:
            raise ModelError(f"Cannot write the embedding model file {self.onnx_path}: {exc}") from exc
        self.built_onnx = True


def _batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Group row indices of similar token length, within batch_size and a padded-token budget."""
    # onnxruntime's cost follows the padded size, and big batches of long texts run slower
    # per token, so batches stay short and even; short texts still share a call.
    order = np.argsort(lengths, kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    for pos in range(1, len(order) + 1):
        if pos < len(order):
            count = pos - start + 1
            longest = int(lengths[order[pos]])  # ascending order: the newcomer is the longest
            shortest = int(lengths[order[start]])
            if count <= batch_size and count * longest <= _BATCH_TOKENS and longest <= _LENGTH_SLACK * shortest + 8:
                continue
        batches.append(order[start:pos])
        start = pos
    return batches


def _load_tokenizer(path: Path) -> Tokenizer:
    """Tokenizer with sentence-transformers' truncation and no fixed-length padding."""
    if not path.is_file():
        raise ModelError(f"Embedding tokenizer is missing: {path}")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
        raise ModelError(f"Embedding tokenizer is corrupt: {path} ({exc})") from exc
    tokenizer.enable_truncation(MAX_TOKENS)
    # Padding happens per length-sorted batch in embed(); the file's fixed 128 would
    # waste time on short texts.
    tokenizer.no_padding()
    return tokenizer


def _open_session(path: Path, threads: int) -> ort.InferenceSession:
    """Open the ONNX file and check it is the sentence-embedding graph."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(0, threads)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # onnxruntime warnings would only be noise in the app log
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises several unrelated types for bad files
        raise ModelError(f"Embedding model file is corrupt or unreadable: {path} (delete it to rebuild it; {exc})") from exc
    inputs = {i.name for i in session.get_inputs()}
    outputs = {o.name: o.shape for o in session.get_outputs()}
    if inputs != set(_INPUTS) or outputs.get(_OUTPUT, [None])[-1] != DIM:
        raise ModelError(f"Not a {DIM}-dim sentence-embedding graph: {path} (delete it to rebuild it)")
    return session


def probe(model_dir: Path, onnx_path: Path) -> str:
    """Load the model, embed one word and describe the result in one line."""
    start = time.perf_counter()
    embedder = Embedder(model_dir, onnx_path)
    vector = embedder.embed(["hello"])[0]
    seconds = time.perf_counter() - start
    size_mb = Path(onnx_path).stat().st_size / 1e6
    built = ", built from model.safetensors" if embedder.built_onnx else ""
    return (
        f"all-MiniLM-L6-v2 ONNX {size_mb:.0f} MB, {vector.shape[0]} dims, "
        f"norm {np.linalg.norm(vector):.3f}, ready in {seconds:.2f} s{built}"
    )
