"""Embedding throughput: our Embedder (the path indexing uses) versus a bare onnxruntime session on the
same ONNX file, same tokenizer settings and threads, in one run; prints sentences/s and the ratio.

The bare side tokenizes and runs each batch of 16 in input order (what a straightforward caller does);
ours also groups passages by length to waste less padding.
Usage: python benchmarks/embed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")


def passages() -> list[str]:
    """Real passages as the index makes them (Think Python chapters 1-2, chunked)."""
    from lmgpa_desktop.core.library.chunking import chunk_page

    text = (SHARED / "documents" / "pdf" / "thinkpython2_ch01-02.pdfium-text.txt").read_text(errors="replace")
    pages = re.split(r"=== page \d+ of subset[^\n]*===", text)
    return [d.text for i, page in enumerate(pages) for d in chunk_page(i, page)]


def bare(model_dir: Path, onnx_path: Path, threads: int):
    """A plain onnxruntime session and tokenizer, batches of 16 in order."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.enable_padding()

    def embed(texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), 16):
            enc = tokenizer.encode_batch(texts[i:i + 16])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out.append(session.run(None, feeds)[0])
        return np.concatenate(out)

    return embed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = p.parse_args()
    import tempfile

    from lmgpa_desktop.core.profile import open_app

    with tempfile.TemporaryDirectory() as home:
        ctx = open_app(Path(home))
        ctx.settings.set("cpu.threads", args.threads)
        model_dir, onnx_path = ctx.models.path("embedder"), ctx.models.embedder_onnx_path()
        ours = ctx.models.embedder()
        theirs = bare(model_dir, onnx_path, args.threads)
        texts = passages()
        ours.embed(texts[:4])
        theirs(texts[:4])
        rates = {"ours": [], "bare": []}
        for _ in range(args.runs):  # alternate so machine load affects both alike
            for name, fn in (("bare", theirs), ("ours", ours.embed)):
                t = time.perf_counter()
                vectors = fn(texts)
                rates[name].append(len(texts) / (time.perf_counter() - t))
        same = float(np.min(np.sum(ours.embed(texts) * theirs(texts), axis=1)))
        ctx.close()
    o, b = statistics.median(rates["ours"]), statistics.median(rates["bare"])
    print(f"{len(texts)} passages of the Think Python chapters, {args.threads} threads, all-MiniLM-L6-v2 ONNX fp32")
    print(f"bare onnxruntime session : {b:6.1f} passages/s")
    print(f"ours (Embedder.embed)    : {o:6.1f} passages/s")
    print(f"ratio ours/bare          : {o / b:.2f}x (goal >= 0.9x); min cosine between the two: {same:.6f}")
    del vectors
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
