"""Search latency at 10k and 100k passages: our hybrid search (FTS5 + sqlite-vec + fusion + rows) versus a
numpy brute-force scan of the same vectors, p50/p95, in one run.

Passage texts are real English nobody here wrote: the shared Think Python chapters and reading, and the
docstrings of the Python standard library and the installed packages (~40k distinct passages, cycled to
reach 100k, so word-search posting lists grow only ~2.5x beyond a real library of that size). Vectors are
real all-MiniLM-L6-v2 embeddings of 2,000 of the passages, perturbed and re-normalised for the rest
(embedding 100k passages for real takes ~20 minutes and would not change what is measured here).
Vectors come from an in-memory numpy matrix (core/vector_cache.py) once it is loaded, else from sqlite-vec.
Usage: python benchmarks/search.py [--sizes 10000 100000] [--queries 100]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
QUESTIONS = ["what is a variable", "how do functions return values", "what is an expression",
             "why do programs have bugs", "what is debugging", "who printed the first book",
             "what is a string", "how does the interpreter run code", "what is a syntax error",
             "what are keywords in python", "movable type printing", "what is a statement"]


def passages() -> list[str]:
    """Real, varied English passages (see the module docstring)."""
    import ast
    import sysconfig

    from lmgpa_desktop.core.library.chunking import chunk_page

    text = (SHARED / "documents" / "pdf" / "thinkpython2_ch01-02.pdfium-text.txt").read_text(errors="replace")
    text += "\n\n" + (SHARED / "audio" / "LJ001-0001_0032.reference.txt").read_text()
    out = [d.text for d in chunk_page(1, text)]
    roots = {Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])}
    for root in sorted(roots):
        for path in sorted(root.rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(errors="ignore"))
            except (SyntaxError, ValueError, OSError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    doc = ast.get_docstring(node)
                    if doc and len(doc.split()) >= 15:
                        out.append(" ".join(doc.split()[:180]))
    return out


def build(ctx, n: int, embed_pool: int = 2000) -> np.ndarray:
    """n passages in the profile's index; returns their vectors (for the numpy baseline)."""
    from lmgpa_desktop.storage import search_repo, sources_repo
    from lmgpa_desktop.storage.search_repo import ChunkDraft

    rng = random.Random(7)
    pool = passages()
    print(f"  {len(pool)} distinct real passages")
    base = ctx.models.embedder().embed(rng.sample(pool, embed_pool))
    noise = np.random.default_rng(7)
    vectors = np.empty((n, base.shape[1]), dtype=np.float32)
    per_source = 1000
    for start in range(0, n, per_source):
        count = min(per_source, n - start)
        picks = [rng.randrange(embed_pool) for _ in range(count)]
        vec = base[picks] + noise.normal(0, 0.02, (count, base.shape[1])).astype(np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        src = sources_repo.create(ctx.db, kind="txt", title=f"bench {start}", status="ready")
        texts = [pool[(start + i) % len(pool)] for i in range(count)]
        ids = search_repo.replace_chunks(ctx.db, src.id, [ChunkDraft(t, page_no=1) for t in texts])
        search_repo.store_vectors(ctx.db, ids, vec)
        vectors[start:start + count] = vec
    return vectors


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--queries", type=int, default=100)
    p.add_argument("--keep", type=Path, help="build the profiles under this folder and reuse them on later runs")
    args = p.parse_args()
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.library.search import search

    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            home = args.keep / f"n{n}" if args.keep else Path(tmp)
            reuse = (home / "vectors.npy").is_file()
            ctx = open_app(home)
            t0 = time.perf_counter()
            if reuse:
                vectors = np.load(home / "vectors.npy")
            else:
                vectors = build(ctx, n)
                np.save(home / "vectors.npy", vectors)
            print(f"{n} passages {'reused' if reuse else 'indexed'} in {time.perf_counter() - t0:.0f} s")
            embedder = ctx.models.embedder()
            queries = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.queries)]
            qvecs = embedder.embed(queries)
            search(ctx, queries[0])  # warm up: loads the models and starts loading the in-memory vectors
            from lmgpa_desktop.core.library import vector_cache
            from lmgpa_desktop.storage import search_repo

            cache = vector_cache.for_db(ctx.db)
            t0 = time.perf_counter()
            while cache.gen != search_repo.generation(ctx.db):
                time.sleep(0.05)
            print(f"  vectors loaded into memory in {time.perf_counter() - t0:.1f} s after the first search "
                  f"({'used' if n >= vector_cache.MIN_PASSAGES else 'not used below'} {vector_cache.MIN_PASSAGES} passages)")
            ours, bare, embed_only = [], [], []
            for q, qv in zip(queries, qvecs):
                t = time.perf_counter()
                search(ctx, q, k=10)
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                embedder.embed([q])
                embed_only.append(time.perf_counter() - t)
                t = time.perf_counter()
                scores = vectors @ qv
                top = np.argpartition(-scores, 10)[:10]
                top[np.argsort(-scores[top])]
                bare.append(time.perf_counter() - t)
            (o50, o95), (b50, b95), (e50, _e95) = percentiles(ours), percentiles(bare), percentiles(embed_only)
            print(f"  ours (embed query + FTS5 + vectors + fusion + rows): p50 {o50 * 1000:6.1f} ms  p95 {o95 * 1000:6.1f} ms"
                  f"  (goal p95 < 100 ms at 100k)")
            print(f"  of which embedding the query               : p50 {e50 * 1000:6.1f} ms")
            print(f"  numpy brute-force scan of the same vectors  : p50 {b50 * 1000:6.1f} ms  p95 {b95 * 1000:6.1f} ms")
            print(f"  ratio ours/numpy p95: {o95 / b95:.1f}x (numpy holds all vectors in RAM and does no word search)")
            ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
