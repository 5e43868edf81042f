"""`lmgpa notes|flashcards|quiz` (generate), `lmgpa pending|accept|reject` (review), `lmgpa test|tests|mark` (practice)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.cli.common import open_ctx, run_queued_with_bar

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

KINDS = ("card", "question", "test", "note")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the study commands."""
    for what, help_text in (("notes", "structured notes with source links"),
                            ("flashcards", "flashcards (into a deck named after the sources)"),
                            ("quiz", "a practice test")):
        p = sub.add_parser(what, help=f"generate {help_text} from sources, pending review unless --accept")
        p.add_argument("sources", nargs="+", type=int, metavar="SOURCE", help="source id (see `lmgpa sources`)")
        if what != "notes":
            p.add_argument("--count", type=int, help="how many items (default: 10 cards, 8 questions)")
        p.add_argument("--accept", action="store_true", help="accept what was generated without reviewing it")
        p.add_argument("--no-llm", action="store_true",
                       help="only what the passages give (definitions, key sentences), without the language model")
        p.add_argument("--json", action="store_true")
        p.set_defaults(handler=cmd_generate, what=what)

    p = sub.add_parser("pending", help="generated notes, cards and questions waiting for review")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_pending)
    for action, help_text in (("accept", "accept generated items (cards join their deck, tests become ready)"),
                              ("reject", "reject (delete) generated items")):
        p = sub.add_parser(action, help=help_text)
        p.add_argument("kind", choices=KINDS, help="what the ids are (test: every pending question of the test)")
        p.add_argument("ids", nargs="+", type=int, metavar="ID")
        p.set_defaults(handler=cmd_review, action=action)

    p = sub.add_parser("test", help="take a practice test in the terminal (answers typed, one per line)")
    p.add_argument("test_id", type=int, metavar="TEST_ID")
    p.add_argument("--answers-file", type=Path,
                   help='JSON answers instead of typing: a list in question order or {"QUESTION_ID": "answer"}')
    p.add_argument("--no-llm", action="store_true",
                   help="grade by matching and meaning only (no language model: unsure answers count as wrong)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_test)

    p = sub.add_parser("mark", help="overrule the grade of one answer of a test (its id is in `lmgpa test --json`)")
    p.add_argument("answer_id", type=int, metavar="ANSWER_ID")
    p.add_argument("grade", choices=("correct", "wrong"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_mark)

    p = sub.add_parser("tests", help="practice tests and their attempts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_tests)


# -- plain forms --------------------------------------------------------------------------------------------------
def _source(ctx: AppContext, source_id, page, start_s, end_s, quote) -> dict:
    from lmgpa_desktop.core.study.items.source_locations import describe_location

    return {"source_id": source_id, "page": page, "start_s": start_s, "end_s": end_s,
            "location": describe_location(ctx, source_id, page, start_s, end_s), "quote": quote}


def card_dict(ctx: AppContext, c) -> dict:
    """A card with its source link."""
    return {"id": c.id, "kind": c.kind, "front": c.front, "back": c.back, "deck_id": c.deck_id, "deck": c.deck_name,
            "status": c.status, "source": _source(ctx, c.source_id, c.source_page, c.source_start_s, c.source_end_s,
                                                  c.source_quote)}


def question_dict(ctx: AppContext, q) -> dict:
    """A question with its answer key and source link."""
    return {"id": q.id, "test_id": q.test_id, "kind": q.kind, "prompt": q.prompt, "choices": q.choices,
            "answer": q.answer, "explanation": q.explanation, "status": q.status,
            "source": _source(ctx, q.source_id, q.source_page, q.source_start_s, q.source_end_s, q.source_quote)}


def test_dict(t) -> dict:
    """A practice test's summary."""
    return {"id": t.id, "title": t.title, "status": t.status, "questions": t.active, "pending": t.pending,
            "time_limit_s": t.time_limit_s, "source_ids": t.source_ids, "created": t.created_at.isoformat()}


def note_dict(ctx: AppContext, n) -> dict:
    """A note with the source locations it cites."""
    refs = [_source(ctx, r.get("source_id"), r.get("page_no"), r.get("start_s"), r.get("end_s"), r.get("quote"))
            for r in n.source_refs]
    return {"id": n.id, "title": n.title, "status": n.status, "body_md": n.body_md, "references": refs}


def _where(src: dict) -> str:
    """`source 3, “Title”, page 2: “quote”` for terminal output."""
    line = f"source {src['source_id']}, {src['location']}"
    return line + (f": “{src['quote']}”" if src.get("quote") else "")


def _print_card(c: dict) -> None:
    print(f"[card {c['id']}] ({c['kind']}) {c['front']}")
    if c["back"]:
        print(f"    answer: {c['back']}")
    print(f"    {_where(c['source'])}")


def _print_question(q: dict) -> None:
    print(f"[question {q['id']}] ({q['kind']}) {q['prompt']}")
    if q["kind"] == "mcq":
        for letter, choice in zip("abcdefgh", q["choices"] or []):
            print(f"    {letter}) {choice}")
    print(f"    answer: {q['answer']}")
    print(f"    {_where(q['source'])}")


def _print_note(n: dict) -> None:
    print(f"[note {n['id']}] {n['title']} ({n['status']})\n")
    print(n["body_md"])
    print("sources:")
    for r in n["references"]:
        print(f"    {_where(r)}")


# -- generate -----------------------------------------------------------------------------------------------------
def cmd_generate(args) -> int:
    """Generate notes, flashcards or a quiz from sources with a progress bar; print each item with its source."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.study.items import drafts
    from lmgpa_desktop.core.study.items import generate
    from lmgpa_desktop.core.study.items import material
    from lmgpa_desktop.storage import sources_repo, study_repo
    from lmgpa_desktop.storage import practice_repo

    ctx = open_ctx(args)
    for source_id in args.sources:
        if sources_repo.get(ctx.db, source_id) is None:
            raise ValueError(f"there is no source {source_id} (see `lmgpa sources`)")
    count = getattr(args, "count", None)
    if count is not None and not 1 <= count <= material.MAX_COUNT:
        raise ValueError(f"--count must be between 1 and {material.MAX_COUNT}")
    job_id = generate.queue(ctx, args.what, args.sources, count=count, use_llm=not args.no_llm)
    job = run_queued_with_bar(ctx, job_id, ctx.jobs.get(job_id).title)
    r = job.result
    out: dict = {"what": args.what, "job_id": job.id, "accepted": args.accept, "stats": r.get("stats", {})}
    if args.what == "notes":
        if args.accept:
            drafts.accept_note(ctx, r["note_id"])
        out["note"] = note_dict(ctx, study_repo.get_note(ctx.db, r["note_id"]))
    elif args.what == "flashcards":
        if args.accept:
            drafts.accept_cards(ctx, r["card_ids"])
        out["deck_id"] = r["deck_id"]
        out["cards"] = [card_dict(ctx, c) for c in study_repo.cards(ctx.db, None, ids=r["card_ids"])]
    else:
        if args.accept and r["question_ids"]:
            drafts.accept_test(ctx, r["test_id"])
        test = practice_repo.get_test(ctx.db, r["test_id"])
        out["test"] = test_dict(test) if test else None
        out["questions"] = [question_dict(ctx, q) for q in practice_repo.questions(ctx.db, ids=r["question_ids"])]
    if args.json:
        print_json(out)
        return 0
    _print_generated(out)
    return 0


def _print_generated(out: dict) -> None:
    state = "accepted" if out["accepted"] else "pending review (`lmgpa accept` / `lmgpa reject`)"
    if out["what"] == "notes":
        _print_note(out["note"])
        return
    items = out.get("cards") if out["what"] == "flashcards" else out.get("questions")
    for item in items:
        (_print_card if out["what"] == "flashcards" else _print_question)(item)
    if out["what"] == "quiz" and out["test"]:
        print(f"{len(items)} questions in test {out['test']['id']} ({out['test']['status']}), {state}")
    else:
        print(f"{len(items)} cards in deck {out['deck_id']}, {state}")


# -- review -------------------------------------------------------------------------------------------------------
def cmd_pending(args) -> int:
    """Everything generated and waiting for review."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.study.items import drafts

    ctx = open_ctx(args)
    p = drafts.pending(ctx)
    data = {"cards": [card_dict(ctx, c) for c in p.cards],
            "tests": [{**test_dict(t), "questions": [question_dict(ctx, q) for q in qs]} for t, qs in p.tests],
            "notes": [note_dict(ctx, n) for n in p.notes]}
    if args.json:
        print_json(data)
        return 0
    if p.empty:
        print("nothing waits for review")
    for c in data["cards"]:
        _print_card(c)
    for t in data["tests"]:
        print(f"test {t['id']}: {t['title']} ({t['pending']} questions to review)")
        for q in t["questions"]:
            _print_question(q)
    for n in data["notes"]:
        print(f"[note {n['id']}] {n['title']} ({len(n['references'])} source links)")
    return 0


def cmd_review(args) -> int:
    """Accept or reject generated cards, questions, whole tests or notes by id."""
    from lmgpa_desktop.core.study.items import drafts
    from lmgpa_desktop.storage import practice_repo, study_repo

    ctx = open_ctx(args)
    accept = args.action == "accept"
    if args.kind == "card":
        n = (drafts.accept_cards if accept else drafts.reject_cards)(ctx, args.ids)
    elif args.kind == "question":
        n = (drafts.accept_questions if accept else drafts.reject_questions)(ctx, args.ids)
    elif args.kind == "test":
        n = 0
        for test_id in args.ids:
            ids = [q.id for q in practice_repo.questions(ctx.db, test_id, status="pending")]
            n += (drafts.accept_questions if accept else drafts.reject_questions)(ctx, ids)
    else:
        n = 0
        for note_id in args.ids:
            note = study_repo.get_note(ctx.db, note_id)
            if note is None or note.status != "pending":
                continue
            (drafts.accept_note if accept else drafts.reject_note)(ctx, note_id)
            n += 1
    print(f"{args.action}ed {n} {args.kind}{'s' if n != 1 else ''}" if accept else
          f"rejected {n} {args.kind}{'s' if n != 1 else ''}")
    return 0 if n else 1


# -- practice -----------------------------------------------------------------------------------------------------
def _answers_from_file(path: Path, questions: list) -> dict[int, str]:
    """{question id: answer} from a JSON list (question order) or object (question id -> answer)."""
    try:
        data = json.loads(path.expanduser().read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from exc
    if isinstance(data, list):
        return {q.id: str(a) for q, a in zip(questions, data) if a is not None}
    if isinstance(data, dict):
        known = {q.id for q in questions}
        out = {int(k): str(v) for k, v in data.items() if str(k).isdigit() and v is not None}
        unknown = sorted(set(out) - known)
        if unknown:
            raise ValueError(f"questions {unknown} are not part of this test")
        return out
    raise ValueError(f"{path} must hold a JSON list or object of answers")


def _ask(questions: list, attempt, test, out) -> dict[int, str]:
    """Ask each question on the terminal; stops at end of input or when the time is up."""
    from datetime import UTC, datetime

    from lmgpa_desktop.core.study import practice

    given: dict[int, str] = {}
    for n, q in enumerate(questions, 1):
        left = practice.time_left(test, attempt, datetime.now(UTC))
        if left is not None and left <= 0:
            print("time is up", file=out, flush=True)
            break
        print(f"\n{n}. {q.prompt}" + (f"   ({int(left)} s left)" if left is not None else ""), file=out)
        if q.kind == "mcq":
            for letter, choice in zip("abcdefgh", q.choices or []):
                print(f"   {letter}) {choice}", file=out)
        elif q.kind == "tf":
            print("   (true or false)", file=out)
        print("> ", end="", file=out, flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        given[q.id] = line.strip()
    return given


def cmd_test(args) -> int:
    """Take a test: answers from the terminal or a file, graded (matching, then the model); score and mistakes."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.study import practice

    ctx = open_ctx(args)
    test = practice.get_test(ctx, args.test_id)
    questions = practice.questions(ctx, test.id)
    if not questions:
        raise ValueError(f"test {test.id} has no accepted questions yet: `lmgpa accept test {test.id}` first")
    preset = _answers_from_file(args.answers_file, questions) if args.answers_file else None
    attempt = practice.start(ctx, test.id)
    given = preset if preset is not None else _ask(questions, attempt, test, sys.stderr if args.json else sys.stdout)
    for q in questions:
        if q.id in given:
            practice.record(ctx, attempt.id, q.id, given[q.id])
    result = practice.finish(ctx, attempt.id, use_llm=not args.no_llm)
    items = [{"question_id": i.question.id, "answer_id": i.answer.id if i.answer else None,
              "kind": i.question.kind, "prompt": i.question.prompt,
              "response": i.answer.response if i.answer else None, "expected": i.question.answer,
              "correct": i.correct, "graded_by": i.answer.graded_by if i.answer else None,
              "reason": i.answer.reason if i.answer else "not answered",
              "explanation": i.question.explanation,
              "source": _source(ctx, i.question.source_id, i.question.source_page, i.question.source_start_s,
                                i.question.source_end_s, i.question.source_quote)} for i in result.items]
    data = {"attempt_id": result.attempt.id, "test_id": test.id, "title": test.title, "score": result.score,
            "max_score": result.max_score, "percent": round(result.percent, 1), "elapsed_s": result.elapsed_s,
            "items": items, "wrong": [i["question_id"] for i in items if not i["correct"]]}
    if args.json:
        print_json(data)
        return 0
    print(f"\nscore: {result.score:g} / {result.max_score:g} ({result.percent:.0f}%)")
    for i in items:
        if i["correct"]:
            if i["graded_by"] in ("meaning", "model", "student"):  # accepted in other words: say why
                print(f"\n✓ {i['prompt']}\n    your answer: {i['response']}\n    expected: {i['expected']}"
                      f"\n    why: {i['reason']}\n    (disagree? lmgpa mark {i['answer_id']} wrong)")
            continue
        print(f"\n✗ {i['prompt']}\n    your answer: {i['response'] or '(none)'}\n    expected: {i['expected']}"
              f"\n    why: {i['reason']}\n    {_where(i['source'])}"
              + (f"\n    (disagree? lmgpa mark {i['answer_id']} correct)" if i["answer_id"] and i["response"]
                 and i["kind"] not in ("mcq", "tf") else ""))
    return 0


def cmd_mark(args) -> int:
    """Overrule one answer's grade; prints the new reason and the attempt's score."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.study import practice

    ctx = open_ctx(args)
    saved = practice.overrule(ctx, args.answer_id, args.grade == "correct")
    result = practice.result(ctx, saved.attempt_id)
    data = {"answer_id": saved.id, "attempt_id": saved.attempt_id, "correct": saved.correct,
            "graded_by": saved.graded_by, "reason": saved.reason, "score": result.score,
            "max_score": result.max_score, "percent": round(result.percent, 1)}
    if args.json:
        print_json(data)
        return 0
    print(f"{saved.reason}\nscore: {result.score:g} / {result.max_score:g} ({result.percent:.0f}%)")
    return 0


def cmd_tests(args) -> int:
    """Practice tests (any status) with their attempts."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.study import practice

    ctx = open_ctx(args)
    rows = []
    for t in practice.tests(ctx, None):
        tries = [{"id": a.id, "started": a.started_at.isoformat(),
                  "finished": a.finished_at.isoformat() if a.finished_at else None,
                  "score": a.score, "max_score": a.max_score} for a in practice.attempts(ctx, t.id)]
        rows.append({**test_dict(t), "attempts": tries})
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no practice tests yet: `lmgpa quiz SOURCE` makes one")
    for t in rows:
        best = max((a["score"] / a["max_score"] for a in t["attempts"] if a["max_score"]), default=None)
        print(f"{t['id']:>5}  {t['status']:<6} {t['questions']:>3} questions"
              + (f" (+{t['pending']} to review)" if t["pending"] else "")
              + f"  {len(t['attempts'])} attempts" + (f", best {best:.0%}" if best is not None else "")
              + f"  {t['title']}")
    return 0
