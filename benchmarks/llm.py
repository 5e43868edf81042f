"""Our generation path (LlamaEngine, as the chat calls it) versus bare llama_cpp.Llama with the same GGUF, n_ctx,
threads, prompt and sampling: time to first token and tokens per second, runs alternated, medians and ratios.

The prompt is a real chat prompt: three passages of the shared reading of William Morris's "Printing" and a
question, in the plain format the chat uses for base models. Every run starts with a different first line so
neither side gets llama.cpp's prompt-prefix cache. With --home, also the chat's own time to first token
(retrieval, relevance check and prompt budgeting included) on that profile.
Usage: python benchmarks/llm.py [--runs N] [--tokens N] [--threads T] [--model GGUF] [--home PROFILE]
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
READING = SHARED / "audio" / "LJ001-0001_0032.reference.txt"
QUESTION = "When was the Gutenberg Bible printed?"
N_CTX = 4096


def chat_prompt() -> str:
    """Three ~140-word passages of the reading and a question, in the chat's base-model format."""
    from lmgpa_desktop.core.study.chat.prompt import base_prompt

    words = READING.read_text(encoding="utf-8").split()
    passages = [" ".join(words[i:i + 140]) for i in range(0, 420, 140)]
    return base_prompt(passages, QUESTION, [])


def timed(pieces) -> dict:
    """Time to the first piece, then pieces per second after it (one piece is one token on both sides)."""
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
    return {"ttft": first - start, "tps": (count - 1) / (last - first) if count > 1 else 0.0, "tokens": count,
            "text": "".join(text)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--tokens", type=int, default=96)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--model", type=Path, help="a GGUF (default: the registry's default model)")
    p.add_argument("--home", type=Path, help="a profile with indexed material: also time the whole chat path")
    args = p.parse_args()

    from llama_cpp import Llama

    from lmgpa_desktop.core.study.chat.prompt import BASE_STOPS
    from lmgpa_desktop.core.models.registry import DEFAULTS
    from lmgpa_desktop.engines.llm import LlamaEngine

    model = args.model or DEFAULTS["llm"]()
    ours = LlamaEngine(model, n_ctx=N_CTX, threads=args.threads)
    bare = Llama(model_path=str(model), n_ctx=N_CTX, n_threads=args.threads, verbose=False)
    ours.count_tokens("load")  # load both models before timing anything
    prompt = chat_prompt()
    # Same sampling as the chat, without its stop strings so both sides write exactly --tokens tokens.
    settings = {"max_tokens": args.tokens, "temperature": 0.0, "repeat_penalty": 1.1}

    def run_ours(i: int) -> dict:
        return timed(ours.complete(f"Note {i}.\n{prompt}", **settings))

    def run_bare(i: int) -> dict:
        stream = bare.create_completion(f"Note {i}.\n{prompt}", stream=True, stop=[], **settings)
        return timed(part["choices"][0]["text"] for part in stream)

    results: dict[str, list[dict]] = {"ours": [], "bare": []}
    run_ours(-1)  # warm-up: first-call allocations on both sides
    run_bare(-1)
    for i in range(args.runs):
        for name, fn in (("ours", run_ours), ("bare", run_bare)) if i % 2 == 0 else (("bare", run_bare),
                                                                                     ("ours", run_ours)):
            results[name].append(fn(i))
    same = all(a["text"] == b["text"] for a, b in zip(results["ours"], results["bare"]))
    tokens = ours.count_tokens(prompt) + 1
    print(f"model: {model.name}  threads {args.threads}  n_ctx {N_CTX}  prompt {tokens} tokens  "
          f"answer {args.tokens} tokens  runs {args.runs} (alternated)  same text both sides: {same}")
    med = {name: {key: statistics.median(r[key] for r in runs) for key in ("ttft", "tps")}
           for name, runs in results.items()}
    for name, runs in results.items():
        ttfts, tpss = [r["ttft"] * 1000 for r in runs], [r["tps"] for r in runs]
        print(f"{name:5s} time to first token {med[name]['ttft'] * 1000:7.0f} ms ({min(ttfts):.0f}-{max(ttfts):.0f})"
              f"   {med[name]['tps']:6.1f} tokens/s ({min(tpss):.1f}-{max(tpss):.1f})   median (range)")
    print(f"ratio ours/bare: tokens/s {med['ours']['tps'] / med['bare']['tps']:.2f}x (goal >= 0.9x), "
          f"time to first token {med['ours']['ttft'] / med['bare']['ttft']:.2f}x (lower is better)")

    if args.home:
        from lmgpa_desktop.core.study.chat import ask as chat
        from lmgpa_desktop.core.profile import open_app

        ctx = open_app(args.home)
        ctx.settings.set("cpu.threads", args.threads)
        ctx.models.llm().count_tokens("load")
        ctx.models.embedder().embed(["warm up"])
        firsts = []
        for _ in range(args.runs):
            start = time.perf_counter()
            events = chat.answer(ctx, QUESTION)
            first = next(e for e in events if e.kind == "token")
            firsts.append(time.perf_counter() - start)
            for _rest in events:
                pass
            list(ctx.models.llm().complete("Reset.", max_tokens=1))  # a cold cache for the next run, as above
        print(f"chat (search, relevance check, budget, generation) time to first token "
              f"{statistics.median(firsts) * 1000:.0f} ms; stops at {BASE_STOPS!r}; answer: {first.text!r}…")
        ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
