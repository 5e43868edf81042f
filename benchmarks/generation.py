"""Study-tool generation speed: our path (core.generate through engines.llm.LlamaEngine) versus bare
llama_cpp.Llama with the same GGUF, n_ctx, threads, prompts, grammars and sampling, in one run, alternated.

The prompts and grammars are the ones generate.llm_question writes for the first key sentences of the shared
Think Python chapters (question step: few-shot prompt plus a grammar allowing only the sentence's words).
Reported: tokens per second after the first token (decode speed, what the goal is about) and wall time per
question including grammar parsing and the prompt, medians over the runs, and the ratio ours/bare.
Usage: python benchmarks/generation.py [--runs N] [--questions N] [--threads T] [--model GGUF]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
PDF = SHARED / "documents" / "pdf" / "thinkpython2_ch01-02.pdf"
N_CTX = 4096


def question_jobs(n: int) -> list[tuple[str, str]]:
    """(prompt, grammar) of the first n questions generate would ask the model for, from the PDF's text."""
    from lmgpa_desktop.core import extractive as ex
    from lmgpa_desktop.core import generate
    from lmgpa_desktop.core.search import Hit
    from lmgpa_desktop.engines.pdf import PdfDocument

    with PdfDocument(PDF) as doc:
        pages = [doc.text(i) for i in range(len(doc))]
    passages = [Hit(i, 1, PDF.stem, "pdf", t, "", i + 1, None, None, None, 0.0) for i, t in enumerate(pages) if t]
    m = generate.analyse(passages)
    jobs = []
    for sentence, _score, _i in m.key:
        if ex.definition(sentence):
            continue  # generate writes no model question for a definition (llm_items)
        answer = generate._target(sentence, m)
        if not answer:
            continue
        body = ex.strip_heading(sentence)
        jobs.append((f"{generate.QUESTION_SHOTS}Sentence: {body}\nAnswer: {answer}\nQuestion:",
                     generate.question_grammar(body, answer)))
        if len(jobs) == n:
            break
    return jobs


def timed(pieces) -> dict:
    """Wall time, time to first piece, pieces per second after it (one piece is one token on both sides)."""
    start = time.perf_counter()
    first = last = None
    count = 0
    text = []
    for piece in pieces:
        if not piece:
            continue
        now = time.perf_counter()
        first = first or now
        last = now
        count += 1
        text.append(piece)
    end = time.perf_counter()
    return {"wall": end - start, "decode_s": (last - first) if count > 1 else 0.0, "tokens": count,
            "text": "".join(text)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--questions", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--model", type=Path, help="a GGUF (default: the registry's default model)")
    args = p.parse_args()

    from llama_cpp import Llama, LlamaGrammar

    from lmgpa_desktop.core import generate
    from lmgpa_desktop.core.model_registry import DEFAULTS
    from lmgpa_desktop.engines.llm import LlamaEngine

    model = args.model or DEFAULTS["llm"]()
    ours = LlamaEngine(model, n_ctx=N_CTX, threads=args.threads)
    bare = Llama(model_path=str(model), n_ctx=N_CTX, n_threads=args.threads, verbose=False)
    ours.count_tokens("load")  # load both models before timing anything
    jobs = question_jobs(args.questions)
    # generate._generate's settings: greedy, the engine's default repeat penalty, stop at a newline.
    tokens = generate.QUESTION_TOKENS

    def run_ours(i: int, prompt: str, grammar: str) -> dict:
        return timed(ours.complete(f"Note {i}.\n{prompt}", max_tokens=tokens, temperature=0.0, grammar=grammar,
                                   stop=["\n"]))

    def run_bare(i: int, prompt: str, grammar: str) -> dict:
        stream = bare.create_completion(f"Note {i}.\n{prompt}", max_tokens=tokens, temperature=0.0,
                                        repeat_penalty=1.1, stop=["\n"], stream=True,
                                        grammar=LlamaGrammar.from_string(grammar, verbose=False))
        return timed(part["choices"][0]["text"] for part in stream)

    run_ours(-1, *jobs[0])  # warm-up: first-call allocations on both sides
    run_bare(-1, *jobs[0])
    # Every run starts with a different first line, so neither side reuses the other's prompt cache.
    results: dict[str, list[dict]] = {"ours": [], "bare": []}
    for r in range(args.runs):
        for q, job in enumerate(jobs):
            i = r * len(jobs) + q
            order = (("ours", run_ours), ("bare", run_bare)) if i % 2 == 0 else (("bare", run_bare),
                                                                                 ("ours", run_ours))
            for name, fn in order:
                results[name].append(fn(i, *job))
    same = all(a["text"] == b["text"] for a, b in zip(results["ours"], results["bare"]))
    print(f"model: {model.name}  threads {args.threads}  n_ctx {N_CTX}  {len(jobs)} question prompts x "
          f"{args.runs} runs (alternated)  same text both sides: {same}")
    for prompt, _grammar in jobs[:1]:
        print(f"example: {prompt.rsplit('Sentence:', 1)[1].strip()!r} -> {results['ours'][0]['text']!r}")
    med = {}
    for name, runs in results.items():
        tps = [(r["tokens"] - 1) / r["decode_s"] for r in runs if r["decode_s"] > 0]
        walls = [r["wall"] for r in runs]
        med[name] = {"tps": statistics.median(tps), "wall": statistics.median(walls)}
        print(f"{name:5s} {med[name]['tps']:6.1f} tokens/s ({min(tps):.1f}-{max(tps):.1f})   "
              f"{med[name]['wall'] * 1000:7.0f} ms per question ({min(walls) * 1000:.0f}-{max(walls) * 1000:.0f})"
              f"   {statistics.mean(r['tokens'] for r in runs):.1f} tokens   median (range)")
    print(f"ratio ours/bare: tokens/s {med['ours']['tps'] / med['bare']['tps']:.2f}x (goal >= 0.9x), "
          f"time per question {med['ours']['wall'] / med['bare']['wall']:.2f}x (lower is better)")
    # For scale: the same prompts on our path without a grammar (llama.cpp checks a grammar against the whole
    # 262k-token vocabulary at every step, which is where the time above goes).
    free = [timed(ours.complete(f"Free {i}.\n{prompt}", max_tokens=tokens, temperature=0.0, stop=["\n"]))
            for i, (prompt, _grammar) in enumerate(jobs)]
    free_tps = statistics.median((r["tokens"] - 1) / r["decode_s"] for r in free if r["decode_s"] > 0)
    print(f"ours without the grammar: {free_tps:.1f} tokens/s ({free_tps / med['ours']['tps']:.1f}x the "
          f"constrained speed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
