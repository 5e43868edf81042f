"""Grammar-constrained generation speed: our lazy grammar (engines.llm) versus bare llama-cpp-python with and without
its grammar, with the same GGUF, n_ctx, threads, prompts and greedy sampling, in one run, alternated.

Three tasks on three passages of the shared reading of William Morris's "Printing": flashcards as a JSON array and
a quiz question (through the chat template, as the study-item code asks an instruct model), and the base-model
question step (plain few-shot prompt, a grammar allowing only the sentence's words, stop at a newline). Without a
chat template the first two go through a plain prompt. Reported: tokens per second after the first token (decode
speed) per side, medians over the runs, whether our constrained text equals the library's full-mask text, and the
ratio ours constrained / bare unconstrained (goal >= 0.7).
Usage: python benchmarks/constrained_generation.py [--runs N] [--threads T] [--model GGUF]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
READING = SHARED / "audio" / "LJ001-0001_0032.reference.txt"
N_CTX = 4096
SIDES = ("bare free", "ours free", "bare grammar", "ours grammar")

CARDS_SYSTEM = ("You write flashcards for students. Reply with a JSON array of two objects, each with a \"term\" "
                "taken from the passage and its \"definition\" in one short sentence, nothing else.")
CARDS_GRAMMAR = r'''root ::= "[" ws card "," ws card ws "]"
card ::= "{" ws "\"term\":" ws str "," ws "\"definition\":" ws str ws "}"
str ::= "\"" [^"\\\n]{1,120} "\""
ws ::= [ \n]{0,3}
'''
QUESTION_SYSTEM = "Write one quiz question about the passage. Reply with the question only."
QUESTION_GRAMMAR = 'root ::= [A-Z] [^\\n?]{6,200} "?"\n'  # the shape the study-item code asks for
WORD_SHOTS = """Turn each sentence into a question.
Sentence: Water boils at 100 degrees Celsius at sea level.
Question: At what temperature does water boil at sea level?
Sentence: Gutenberg developed printing with movable metal type around 1440.
Question: Who developed printing with movable metal type?
"""
FUNCTION_WORDS = ("what", "which", "who", "when", "where", "why", "how", "is", "are", "was", "were", "did", "does",
                  "the", "a", "an", "of", "in", "on", "by", "for", "to", "with", "from", "that", "it")


def passages() -> list[str]:
    """Three ~110-word passages of the reading."""
    words = READING.read_text(encoding="utf-8").split()
    return [" ".join(words[i:i + 110]) for i in range(0, 330, 110)]


def words_grammar(sentence: str) -> str:
    """A question made only of the sentence's words and a few function words (the base-model question step)."""
    found = {w for w in re.findall(r"[A-Za-z]+", sentence)} | {w.lower() for w in re.findall(r"[A-Za-z]+", sentence)}
    vocab = sorted(found | set(FUNCTION_WORDS))
    starts = ["What", "Which", "Who", "When", "How", "Why"]
    alts = " | ".join(f'"{w}"' for w in vocab)
    return f'root ::= " " wh (" " word)+ "?"\nwh ::= {" | ".join(f"{chr(34)}{w}{chr(34)}" for w in starts)}\n' \
           f"word ::= {alts}\n"


def timed(pieces) -> dict:
    """Time to the first piece, then pieces per second after it (one piece is one token on every side)."""
    start = time.perf_counter()
    first = last = None
    text = []
    for piece in pieces:
        if not piece:
            continue
        last = time.perf_counter()
        first = first or last
        text.append(piece)
    count = len(text)
    return {"ttft": (first or time.perf_counter()) - start, "decode_s": (last - first) if count > 1 else 0.0,
            "tokens": count, "text": "".join(text)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--model", type=Path, help="a GGUF (default: the registry's default model)")
    args = p.parse_args()

    from llama_cpp import Llama, LlamaGrammar

    from lmgpa_desktop.core.models.registry import DEFAULTS
    from lmgpa_desktop.engines.llm import LlamaEngine

    model = args.model or DEFAULTS["llm"]()
    ours = LlamaEngine(model, n_ctx=N_CTX, threads=args.threads)
    bare = Llama(model_path=str(model), n_ctx=N_CTX, n_threads=args.threads, verbose=False)
    chat = bool(ours.chat_template)  # also loads our model before anything is timed
    texts = passages()
    # (name, chat messages or plain prompt, grammar, max_tokens, stop) per task and passage
    tasks = []
    for k, passage in enumerate(texts):
        for name, system, grammar, tokens in (("cards", CARDS_SYSTEM, CARDS_GRAMMAR, 128),
                                              ("question", QUESTION_SYSTEM, QUESTION_GRAMMAR, 48)):
            body = [{"role": "system", "content": system}, {"role": "user", "content": f"Passage: {passage}"}] \
                if chat else f"{system}\n\nPassage: {passage}\n\n"
            tasks.append((f"{name}{k}", body, grammar, tokens, []))
        sentence = re.split(r"(?<=[.;])\s", passage)[0]
        tasks.append((f"words{k}", f"{WORD_SHOTS}Sentence: {sentence}\nQuestion:", words_grammar(sentence), 28,
                      ["\n"]))

    def run(side: str, i: int, body, grammar: str, tokens: int, stop: list[str]) -> dict:
        constrained = side.endswith("grammar")
        if isinstance(body, list):
            body = [{**body[0], "content": f"Note {i}. {body[0]['content']}"}, *body[1:]]
        else:
            body = f"Note {i}.\n{body}"
        settings = {"max_tokens": tokens, "temperature": 0.0, "repeat_penalty": 1.1, "stop": stop}
        if side.startswith("ours"):
            call = ours.chat if isinstance(body, list) else ours.complete
            return timed(call(body, grammar=grammar if constrained else None, **settings))
        extra = {"grammar": LlamaGrammar.from_string(grammar, verbose=False)} if constrained else {}
        if isinstance(body, list):
            stream = bare.create_chat_completion(body, stream=True, **settings, **extra)
            return timed(part["choices"][0]["delta"].get("content") or "" for part in stream)
        stream = bare.create_completion(body, stream=True, **settings, **extra)
        return timed(part["choices"][0]["text"] for part in stream)

    for side in SIDES:  # warm-up: first-call allocations on every side
        run(side, -1, *tasks[0][1:])
    # Every run starts with a different first line, so no side reuses another's prompt cache; the order of the
    # sides rotates so that a noisy neighbour on the machine does not always hit the same side.
    results: dict[str, dict[str, list[dict]]] = {side: {} for side in SIDES}
    i = 0
    for r in range(args.runs):
        for t, (name, *job) in enumerate(tasks):
            i += 1
            shift = (r + t) % len(SIDES)
            for side in SIDES[shift:] + SIDES[:shift]:
                results[side].setdefault(name, []).append(run(side, i, *job))
        print(f"run {r + 1}/{args.runs} done", file=sys.stderr, flush=True)  # the full-mask side is slow

    same = [a["text"] == b["text"] for name in results["ours grammar"]
            for a, b in zip(results["ours grammar"][name], results["bare grammar"][name])]
    print(f"model: {model.name}  threads {args.threads}  n_ctx {N_CTX}  {len(tasks)} tasks "
          f"({'chat template' if chat else 'plain prompts'}) x {args.runs} runs (sides rotated)  "
          f"ours constrained text == bare full-mask text: {sum(same)}/{len(same)}")
    for name in ("cards0", "question0", "words0"):
        print(f"example {name}: {results['ours grammar'][name][0]['text'][:110]!r}")

    def tps(runs: list[dict]) -> float:
        """Decode tokens per second pooled over the given generations."""
        decode = sum(r["decode_s"] for r in runs)
        return sum(r["tokens"] - 1 for r in runs if r["decode_s"] > 0) / decode if decode else 0.0

    kinds = sorted({re.sub(r"\d+$", "", name) for name in results["ours grammar"]})
    med: dict[str, float] = {}
    header = "".join(f"{k:>14s}" for k in kinds)
    print(f"{'tokens/s (median over runs)':30s}{header}{'all tasks':>14s}   range (all)   tokens/gen")
    for side in SIDES:
        by_run = [[g[r] for g in results[side].values()] for r in range(args.runs)]
        per_kind = [statistics.median(tps([g[r] for n, g in results[side].items() if n.startswith(k)])
                                      for r in range(args.runs)) for k in kinds]
        pooled = [tps(gens) for gens in by_run]
        med[side] = statistics.median(pooled)
        mean_tokens = statistics.mean(g["tokens"] for gens in by_run for g in gens)
        print(f"{side:30s}{''.join(f'{v:14.1f}' for v in per_kind)}{med[side]:14.1f}   "
              f"{min(pooled):5.1f}-{max(pooled):5.1f}   {mean_tokens:6.1f}")
    print(f"ratio ours constrained / bare unconstrained: {med['ours grammar'] / med['bare free']:.2f}x (goal >= 0.7x)")
    print(f"ratio ours constrained / bare constrained (full mask): {med['ours grammar'] / med['bare grammar']:.1f}x; "
          f"ours / bare unconstrained: {med['ours free'] / med['bare free']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
