"""Grounded chat quality through the chat's own path (retrieval, relevance gate, prompt, sentence-by-sentence check):
answers grounded and citing the right passage, refusals where the library has no answer, time to first token.

The material and questions are the tests' own: the shared LJSpeech reading of William Morris's "Printing"
(transcribed by our Whisper) and Think Python chapters 1-2 (tests/test_chat.py), plus the 15 recall questions of
tests/test_library_search.py. Unanswerable questions are off-topic (the relevance gate should refuse before any
generation) or on-topic but not answered by the material (the model itself must say so). Reported per answer and in
total: the model's own answer fully supported (no sentence held back by the check), the shown answer holding the
expected words, a citation whose passage holds them, refusals, time to the first model token, to the first shown
sentence, and in all. --out writes every answer (JSON lines) for reading.
Usage: python benchmarks/chat_quality.py [--model GGUF] [--home PROFILE] [--threads T] [--shots N]
       [--repeat-penalty P] [--only lecture|book|search|absent] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the question sets and the profile builder are the tests' own


def question_sets() -> dict[str, list[tuple[str, str | None]]]:
    """(question, words the answer and its passage should hold; None: the library does not answer it) by set."""
    import test_chat
    import test_library_search

    return {
        "lecture": list(test_chat.ANSWERED),
        "book": list(test_chat.BOOK_ANSWERED),
        "search": list(test_library_search.QUESTIONS),
        "absent": [(q, None) for q in test_chat.ABSENT + test_chat.NOT_ANSWERED],
    }


def profile(home: Path | None):
    """The tests' lecture-and-book profile, built once in home (kept for the next run) or a temporary folder."""
    from test_chat import SHARED, make_lecture_profile

    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.storage import sources_repo

    home = home or Path(tempfile.mkdtemp(prefix="chat-quality-")) / "home"
    if home.is_dir():
        ctx = open_app(home)
        if len(sources_repo.listing(ctx.db)) >= 2:
            return ctx
        ctx.close()
    print(f"building the profile in {home} (transcription and indexing, a few minutes)…", flush=True)
    return make_lecture_profile(home, SHARED)[0]


def norm(text: str) -> str:
    """Lower case, one space between words, curly quotes straightened (the PDF has them)."""
    return " ".join(text.lower().replace("’", "'").split())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, help="a GGUF (default: the registry's default model)")
    p.add_argument("--home", type=Path, help="profile folder to build once and reuse")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--shots", type=int, help="worked examples in the chat prompt (default: the chat's own)")
    p.add_argument("--repeat-penalty", type=float, help="repeat penalty for the chat template path")
    p.add_argument("--only", choices=["lecture", "book", "search", "absent"], action="append")
    p.add_argument("--out", type=Path, help="write every answer here as JSON lines")
    args = p.parse_args()

    from lmgpa_desktop.core.study.chat import ask as chat
    from lmgpa_desktop.core.study.chat import check as chat_check
    from lmgpa_desktop.core.study.chat import prompt as chat_prompt
    from lmgpa_desktop.storage import search_repo

    if args.shots is not None:
        chat_prompt.CHAT_SHOTS = chat_prompt.CHAT_SHOTS[:args.shots]
    if args.repeat_penalty is not None:
        chat_prompt.CHAT_REPEAT_PENALTY = args.repeat_penalty
    ctx = profile(args.home)
    ctx.settings.set("cpu.threads", args.threads)
    if args.model:
        ctx.settings.set("models.llm", str(args.model))
    engine = ctx.models.llm()
    engine.count_tokens("load")  # load the model and the embedder before timing anything
    ctx.models.embedder().embed(["warm up"])

    # Watch the model's raw stream and the checker's verdicts without changing either.
    seen: dict = {}
    generate, checker_class = chat._generate, chat_check.Checker

    def watched_generate(*a, **k):
        for piece in generate(*a, **k):
            seen.setdefault("first_model", time.perf_counter())
            seen["raw"] = seen.get("raw", "") + piece
            yield piece

    class WatchedChecker(checker_class):
        def __init__(self, plan):
            super().__init__(plan)
            seen["checker"] = self

    chat._generate, chat_check.Checker = watched_generate, WatchedChecker

    sets = question_sets()
    rows = []
    print(f"model: {Path(engine.model_path).name}  chat template: {bool(engine.chat_template)}  threads {args.threads}"
          f"  shots {len(chat_prompt.CHAT_SHOTS)}  repeat penalty {chat_prompt.CHAT_REPEAT_PENALTY}", flush=True)
    for name, questions in sets.items():
        if args.only and name not in args.only:
            continue
        for question, expected in questions:
            seen.clear()
            start = time.perf_counter()
            first_shown = None
            done = None
            for event in chat.answer(ctx, question):
                if event.kind == "token":
                    first_shown = first_shown or time.perf_counter()
                else:
                    done = event
            total = time.perf_counter() - start
            message = done.message
            checker = seen.get("checker")
            chunks = search_repo.chunks_by_id(ctx.db, [c.chunk_id for c in message.citations])
            row = {
                "set": name, "question": question, "expected": expected, "answer": message.content,
                "raw": seen.get("raw"), "citations": [c.number for c in message.citations],
                "generated": checker is not None,
                "held": list(checker.held) if checker else [],
                "kept": len(checker.kept) if checker else 0,
                "refused": not message.grounded,
                # Nothing the model wrote was supported, so the passages' own sentences were quoted instead.
                "quoted": message.content.startswith(chat_check.QUOTE_INTRO.format(where="your library")),
                "ttft_model": seen["first_model"] - start if "first_model" in seen else None,
                "ttft_shown": first_shown - start if first_shown else None,
                "total": total,
            }
            if expected is not None:
                want = norm(expected)
                row["says_it"] = want in norm(message.content)
                row["cites_it"] = any(want in norm(chunks[c.chunk_id].text) for c in message.citations
                                      if c.chunk_id in chunks)
            # The model's own answer, unedited, was all supported: something kept and nothing held back.
            row["supported"] = row["kept"] > 0 and not row["held"]
            rows.append(row)
            if expected is None:
                mark = "refused" if row["refused"] else "quoted" if row["quoted"] else "answered"
            else:
                mark = "OK " if row["says_it"] and row["cites_it"] else "cites" if row["cites_it"] else "MISS"
            print(f"[{name:7s}] {mark:8s} {total:5.1f}s held {len(row['held'])}  {question}\n"
                  f"          -> {message.content[:220]!r}", flush=True)
    chat._generate, chat_check.Checker = generate, checker_class

    answerable = [r for r in rows if r["expected"] is not None]
    absent = [r for r in rows if r["expected"] is None]
    generated = [r for r in rows if r["generated"]]

    def share(items, key) -> str:
        return f"{sum(bool(r[key]) for r in items)}/{len(items)}" if items else "-"

    print("\n== summary")
    if answerable:
        answered = [r for r in answerable if not r["refused"]]
        print(f"answerable questions: {len(answerable)}; answered (cited) {len(answered)}/{len(answerable)}, "
              f"of which passages quoted instead {sum(r['quoted'] for r in answered)}")
        print(f"  model's answer fully supported (no sentence held back): {share(answerable, 'supported')}")
        print(f"  answers with a sentence held back: {sum(bool(r['held']) for r in answerable)}/{len(answerable)}")
        print(f"  answer holds the expected words:   {share(answerable, 'says_it')}")
        print(f"  cites a passage holding them:      {share(answerable, 'cites_it')}")
    if absent:
        gate = sum(not r["generated"] for r in absent)
        print(f"unanswerable questions: {len(absent)}; refused {share(absent, 'refused')} "
              f"({gate} by the relevance gate, the rest by the model); passages quoted instead "
              f"{share(absent, 'quoted')}; answered with the model's sentences "
              f"{sum(not r['refused'] and not r['quoted'] for r in absent)}/{len(absent)}")
    for key, label in (("ttft_model", "time to first model token"), ("ttft_shown", "time to first shown sentence"),
                       ("total", "total per answer")):
        values = [r[key] for r in generated if r[key] is not None]
        if values:
            print(f"{label:30s} median {statistics.median(values):5.2f} s  "
                  f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} generated answers)")
    if args.out:
        with args.out.open("w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"answers written to {args.out}")
    ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
