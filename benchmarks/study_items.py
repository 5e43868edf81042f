"""Study-item quality: flashcards and practice questions generated from a real lecture, a real PDF and a slide
deck, each item checked automatically, with the share passing each check and the time per item.

Material (third-party, from ../shared/data): the "Printing" lecture (LJSpeech, 231 s, transcribed by our Whisper
first), chapters 1-2 of Think Python (PDF), and the IBM article of docling's test set laid out as a slide deck (one
slide per section, one bullet per sentence, made here with python-pptx: the words are the article's, only the
layout is ours, because ../shared/data holds no .pptx).

Checks per item (the same ones a reader applies first):
  grounded    its quote is in its (cleaned) passage and the passage holds its answer's words and figures
  clean       its quote is prose: no figure label, caption, heading fragment or running header
  well-formed a question ends with "?", reads as one and does not give its answer away; a cloze hides one
              meaningful part (not the topic word) and leaves enough to recall it from
  key         the model, reading the passage, answers the question with its key (a fresh check, not the one
              generation already made; true/false and definition items are checked by their construction)
  choices     multiple choice: 3-4 distinct choices, the wrong ones of the answer's kind and not in the quote
It is not a timed test: it prints, and writes every item to a Markdown file for a human to read and judge.
Usage: python benchmarks/study_items.py [--cards N] [--questions N] [--model GGUF] [--out FILE] [--only NAMES]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
LECTURE = SHARED / "audio" / "LJ001-0001_0032_concat_16k.flac"
PDF = SHARED / "documents" / "pdf" / "thinkpython2_ch01-02.pdf"
ARTICLE = SHARED / "documents" / "markdown" / "wiki.md"


def make_slides(article: Path, out: Path) -> Path:
    """The article as a slide deck: a title slide per "#" section, sentences as bullets (five per slide)."""
    from pptx import Presentation

    text = re.sub(r"\[\d+\]", "", article.read_text(encoding="utf-8"))
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            sections.append((line.lstrip("# ").strip(), []))
        elif line and sections:
            sections[-1][1].extend(s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line) if s)
    deck = Presentation()
    for title, sentences in sections:
        for start in range(0, max(1, len(sentences)), 5):
            slide = deck.slides.add_slide(deck.slide_layouts[1])
            slide.shapes.title.text = title
            body = slide.placeholders[1].text_frame
            for n, sentence in enumerate(sentences[start:start + 5]):
                para = body.paragraphs[0] if n == 0 else body.add_paragraph()
                para.text = sentence
    deck.save(out)
    return out


def load(ctx, which: list[str], tmp: Path) -> dict[str, int]:
    """Import (and transcribe) the materials; returns name -> source id."""
    from lmgpa_desktop.core.library import library
    from lmgpa_desktop.core.capture.media_import import import_media

    out = {}
    if "pdf" in which:
        job = ctx.jobs.run_now(library.queue_import(ctx, PDF))
        out["pdf"] = job.result["source_id"]
    if "slides" in which:
        job = ctx.jobs.run_now(library.queue_import(ctx, make_slides(ARTICLE, tmp / "IBM.pptx")))
        out["slides"] = job.result["source_id"]
    if "lecture" in which:
        lecture = import_media(ctx, LECTURE).source
        ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": lecture.id}))
        out["lecture"] = lecture.id
    while queued := [j for j in ctx.jobs.recent(100) if j.state == "queued"]:
        ctx.jobs.run_now(min(j.id for j in queued))
    return out


def checks(ctx, item: dict, passages: list[str], topic: set[str]) -> dict[str, bool | None]:
    """The automatic checks of one stored item (None: the check does not apply)."""
    from lmgpa_desktop.core.study.items import text_items as ex
    from lmgpa_desktop.core.study.items import generated_items
    from lmgpa_desktop.core.words import content_words
    from lmgpa_desktop.core.study.items import item_writer
    from lmgpa_desktop.core.study.items import study_text as st

    quote, answer, prompt, kind = item["quote"] or "", item["answer"], item["prompt"], item["kind"]
    cleaned = [ex.normalize(st.clean_passage(p)) for p in passages]
    grounded = bool(quote) and any(ex.normalize(quote) in p for p in cleaned)
    if kind == "tf":
        grounded = grounded and (answer != "True" or generated_items.supported(prompt, quote))
    else:
        grounded = grounded and (generated_items.supported(answer, quote) or any(
            generated_items.supported(answer, p) for p in passages))
    out = {"grounded": grounded, "clean": st.prose_sentence(quote) is not None}
    if kind == "cloze":
        hidden = re.findall(r"\{\{c\d+::(.*?)\}\}", prompt)
        blanked = ex.cloze_blank(prompt)
        out["well-formed"] = (len(hidden) == 1 and hidden[0].lower() not in topic
                              and len(content_words(blanked)) >= 4)
    elif kind == "tf":
        out["well-formed"] = prompt.startswith(generated_items.TF_PREFIX) and prompt.endswith(".")
    else:
        q = prompt.removeprefix("Fill in the blank: ")
        out["well-formed"] = (item_writer.well_formed(q, answer) == "" if q == prompt else "_____" in q)
    out["key"] = None
    engine = ctx.models.llm()
    context = quote
    if kind == "basic" and item["origin"] == "llm" or kind == "short":
        out["key"] = item_writer.same_answer(item_writer.answer_back(engine, context, prompt), answer)
    elif kind == "mcq" and not prompt.startswith("What is") and not prompt.startswith("Fill in"):
        out["key"] = item_writer.pick_choice(engine, context, prompt, item["choices"]) == answer
    if kind == "mcq":
        choices = item["choices"] or []
        kinds = {st.answer_kind(c) for c in choices if c != answer}
        wrong_in_quote = any(f" {ex.normalize(c)} " in f" {ex.normalize(quote)} " for c in choices if c != answer)
        same_kind = kinds <= {st.answer_kind(answer)} or prompt.startswith("What is")
        out["choices"] = (3 <= len(set(choices)) == len(choices) and answer in choices and not wrong_in_quote
                          and same_kind)
    else:
        out["choices"] = None
    return out


def generated(ctx, what: str, source_id: int, count: int) -> tuple[list[dict], dict, float]:
    """Run one generation job; returns its items (plain dicts), its stats and its wall time."""
    from lmgpa_desktop.core.study.items import text_items as ex
    from lmgpa_desktop.core.study.items import generate
    from lmgpa_desktop.storage import study_repo
    from lmgpa_desktop.storage import practice_repo

    start = time.perf_counter()
    job = ctx.jobs.run_now(generate.queue(ctx, what, [source_id], count=count))
    wall = time.perf_counter() - start
    if job.state != "done":
        return [], {"error": job.error}, wall
    r = job.result
    items = []
    if what == "flashcards":
        for c in study_repo.cards(ctx.db, "pending", ids=r["card_ids"]):
            answer = ex.cloze_answer(c.front) if c.kind == "cloze" else c.back
            origin = next((t for t in (c.tags or "").split() if t != "generated"), "")
            items.append({"kind": c.kind, "prompt": c.front, "answer": answer, "back": c.back, "quote": c.source_quote,
                          "choices": None, "origin": origin, "page": c.source_page, "start_s": c.source_start_s})
    else:
        for q in practice_repo.questions(ctx.db, r["test_id"]):
            items.append({"kind": q.kind, "prompt": q.prompt, "answer": q.answer, "back": q.answer, "quote": q.source_quote,
                          "choices": q.choices, "origin": "", "page": q.source_page, "start_s": q.source_start_s})
    return items, r["stats"], wall


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cards", type=int, default=10)
    p.add_argument("--questions", type=int, default=6)
    p.add_argument("--model", type=Path, help="a GGUF for the language-model slot (default: the bundled one)")
    p.add_argument("--only", default="lecture,pdf,slides", help="comma-separated: lecture, pdf, slides")
    p.add_argument("--out", type=Path, default=Path("study_items.md"), help="where to write the items")
    p.add_argument("--home", type=Path, help="a profile folder to keep between runs (imports happen once)")
    args = p.parse_args()
    which = [w.strip() for w in args.only.split(",") if w.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="lmgpa-items-"))
    home = args.home or tmp / "home"
    os.environ["LMGPA_HOME"] = str(home)
    from lmgpa_desktop.core.study.items import text_items as ex
    from lmgpa_desktop.core.study.items import drafts
    from lmgpa_desktop.core.study.items import material
    from lmgpa_desktop.core.study.items import study_text as st
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.storage import study_repo

    ctx = open_app(home)
    if args.model:
        ctx.settings.set("models.llm", str(args.model))
    model = ctx.models.info("llm")
    print(f"model: {model.name} ({model.path})")
    t0 = time.perf_counter()
    known = home / "benchmark-sources.json"
    sources = json.loads(known.read_text()) if known.is_file() else {}
    missing = [w for w in which if w not in sources]
    if missing:
        sources.update(load(ctx, missing, tmp))
        known.write_text(json.dumps(sources))
    sources = {w: sources[w] for w in which}
    waiting = drafts.pending(ctx)  # a kept profile: earlier runs' items would count as duplicates of new ones
    drafts.reject_cards(ctx, [c.id for c in waiting.cards])
    for _test, questions in waiting.tests:
        drafts.reject_questions(ctx, [q.id for q in questions])
    print(f"imported and indexed {', '.join(sources)} in {time.perf_counter() - t0:.0f} s\n")

    lines = [f"# Generated study items ({model.name})", ""]
    rows = []
    header = f"{'material':<9} {'what':<10} {'items':>5} {'s/item':>7} {'grounded':>9} {'clean':>6} " \
             f"{'formed':>7} {'key':>6} {'choices':>8} {'all':>6}"
    print(header)
    for name, source_id in sources.items():
        passages = [r.text for r in study_repo.source_chunks(ctx.db, [source_id])]
        m = material.analyse(material.load_passages(ctx, material.Request("flashcards", [source_id], 10)))
        topic = m.topic
        for what, count in (("flashcards", args.cards), ("quiz", args.questions)):
            items, stats, wall = generated(ctx, what, source_id, count)
            results = [checks(ctx, it, passages, topic) for it in items]
            share = {}
            for key in ("grounded", "clean", "well-formed", "key", "choices"):
                applied = [r[key] for r in results if r[key] is not None]
                share[key] = (sum(applied) / len(applied), len(applied)) if applied else None
            all_pass = sum(all(v is not False for v in r.values()) for r in results)
            per_item = wall / max(1, len(items))
            fmt = lambda s: "-" if s is None else f"{100 * s[0]:.0f}%"  # noqa: E731
            print(f"{name:<9} {what:<10} {len(items):>5} {per_item:>7.1f} {fmt(share['grounded']):>9} "
                  f"{fmt(share['clean']):>6} {fmt(share['well-formed']):>7} {fmt(share['key']):>6} "
                  f"{fmt(share['choices']):>8} {100 * all_pass / max(1, len(items)):>5.0f}%")
            rows.append((name, what, len(items), wall, all_pass))
            lines += [f"## {name}: {what} ({len(items)} in {wall:.1f} s)", "",
                      f"stats: {stats}", ""]
            for n, (it, r) in enumerate(zip(items, results), 1):
                failed = [k for k, v in r.items() if v is False]
                where = f"page {it['page']}" if it["page"] else (f"{it['start_s']:.0f} s" if it["start_s"] is not None
                                                                else "")
                lines.append(f"{n}. [{it['kind']}{'/' + it['origin'] if it['origin'] else ''}] "
                             f"**{it['prompt']}** → {it['back'] if it['kind'] != 'mcq' else it['answer']}")
                if it["choices"] and it["kind"] == "mcq":
                    lines.append(f"   - choices: {' | '.join(it['choices'])}")
                lines.append(f"   - source ({where}): “{it['quote']}”")
                if failed:
                    lines.append(f"   - FAILED: {', '.join(failed)}")
            lines.append("")
    total_items = sum(r[2] for r in rows)
    total_pass = sum(r[4] for r in rows)
    print(f"\nall checks passed: {total_pass}/{total_items} = {100 * total_pass / max(1, total_items):.0f}%; "
          f"median s/item {statistics.median([r[3] / max(1, r[2]) for r in rows]):.1f}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"items written to {args.out}")
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
