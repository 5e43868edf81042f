"""Practice tests from the material: multiple choice, true/false and short answer, with wrong choices of a kind."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.study.items import item_writer
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.study.items.distractors import Pool as Distractors
from lmgpa_desktop.core.study.items.generated_items import TF_PREFIX, Item, Stats, check, choose, dedupe
from lmgpa_desktop.core.study.items.material import STOP_TERMS, Material, Plan, Request, plans
from lmgpa_desktop.core.study.items.model_items import LLM_SHARE, llm_items, writer_for
from lmgpa_desktop.core.study.items.source_locations import reference
from lmgpa_desktop.storage.practice_repo import QuestionDraft

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext


def _rng(*parts: str) -> random.Random:
    return random.Random("|".join(parts))  # the same material gives the same order of choices


def _explain(item: Item, verdict: str = "") -> str:
    return f"{verdict}{reference(item)} says: “{item.quote.strip()}”"


def definition_questions(m: Material) -> list[Item]:
    """Multiple choice ("What is X?" among other definitions) and true/false (X with another term's definition)."""
    out = []
    defs = [(d, i) for d, i in m.definitions if d.term.lower() not in STOP_TERMS]
    for n, (d, i) in enumerate(defs):
        others = [o for o, _ in defs if o.term.lower() != d.term.lower()]
        correct = d.definition.rstrip(" .")
        rng = _rng(d.term, d.sentence)
        if len(others) >= 3:
            wrong = [o.definition.rstrip(" .") for o in rng.sample(others, 3)]
            choices = wrong + [correct]
            rng.shuffle(choices)
            item = Item("mcq", ex.question_for(d.term, d.definition, d.style, d.sentence), correct, d.sentence, m.passages[i],
                        "definition", 3.0 + d.score, choices=choices)
            item.explanation = _explain(item)
            out.append(item)
        if others:
            other = others[n % len(others)] if n % 2 else None
            claim = other.definition if other else d.definition
            statement = ex.statement_for(d, claim)
            item = Item("tf", f"{TF_PREFIX}{statement}", "False" if other else "True", d.sentence,
                        m.passages[i], "swap" if other else "definition", 2.0 + d.score, choices=["True", "False"])
            item.explanation = _explain(item, "False. " if other else "True. ")
            out.append(item)
    return out


def multiple_choice(engine, m: Material, pool: Distractors, q: Item,
                    cancel: threading.Event | None, stats: Stats) -> Item | None:
    """A multiple-choice form of a question, kept only if the model, reading the passage, picks its key."""
    wrong = pool.pick(q.back.rstrip("."), q.quote)
    if len(wrong) < 2:
        stats.dropped["no distractors"] = stats.dropped.get("no distractors", 0) + 1
        return None
    key = q.back.rstrip(".")
    choices = wrong + [key]
    _rng(q.front).shuffle(choices)
    if engine is not None:
        picked = item_writer.pick_choice(engine, m.context(q.quote), q.front, choices, cancel)
        if picked != key:
            stats.dropped["key not confirmed"] = stats.dropped.get("key not confirmed", 0) + 1
            return None
    item = Item("mcq", q.front, key, q.quote, q.passage, q.origin, q.score + 0.5, choices=choices)
    item.explanation = _explain(item)
    return item


def sentence_questions(engine, m: Material, planned: list[Plan], llm: list[Item], pool: Distractors,
                       cancel: threading.Event | None, stats: Stats) -> list[Item]:
    """Multiple choice and short answer from model-written questions; true/false and fill-in from key sentences."""
    out = []
    for n, q in enumerate(llm):
        mcq = multiple_choice(engine, m, pool, q, cancel, stats) if n % 3 != 2 else None
        if mcq is not None:
            out.append(mcq)
            continue
        short = replace(q, kind="short")
        short.explanation = _explain(short)
        out.append(short)
    for n, p in enumerate(planned):
        if p.target.kind == "cause":
            continue
        body = p.sentence
        c = ex.cloze(body, p.target.text)
        if c is None:
            continue
        weight = min(p.score, 10.0) / 10
        i = p.passage
        if n % 4 == 3:  # typed: the student recalls the part with no choices to lean on
            item = Item("short", f"Fill in the blank: {c.blanked}", c.answer, body, m.passages[i], "cloze",
                        1.5 + weight)
            item.explanation = _explain(item)
        elif n % 4 == 0:
            blank = f"Fill in the blank: {c.blanked}"
            wrong = pool.pick(c.answer, body)
            if len(wrong) < 2:
                continue
            choices = wrong + [c.answer]
            _rng(blank).shuffle(choices)
            item = Item("mcq", blank, c.answer, body, m.passages[i], "cloze", 1.6 + weight, choices=choices)
            item.explanation = _explain(item)
        elif n % 4 == 1:
            wrong = pool.pick(c.answer, body, 1)
            if not wrong:
                continue
            swapped = re.sub(rf"(?<![\w-]){re.escape(c.answer)}(?![\w-])", wrong[0], body, count=1)
            item = Item("tf", f"{TF_PREFIX}{swapped}", "False", body, m.passages[i], "swap", 1.2 + weight,
                        choices=["True", "False"])
            item.explanation = _explain(item, f"False: it is {c.answer}, not {wrong[0]}. ")
        else:
            item = Item("tf", f"{TF_PREFIX}{body}", "True", body, m.passages[i], "sentence", 1.2 + weight,
                        choices=["True", "False"])
            item.explanation = _explain(item, "True. ")
        out.append(item)
    return out


def quiz_items(ctx: AppContext, m: Material, request: Request, stats: Stats,
               cancel: threading.Event | None) -> Iterator[Progress | list[Item]]:
    """A mix of question kinds about half multiple choice, a quarter each true/false and short answer."""
    used = {ex.normalize(d.sentence) for d, _ in m.definitions}
    planned = plans(m, used)
    engine = writer_for(ctx, request, stats)
    llm: list[Item] = []
    if engine is not None:
        budget = max(1, round(request.count * LLM_SHARE))
        for out in llm_items(engine, m, planned, budget, stats, cancel):
            if isinstance(out, Item):
                llm.append(out)
            else:
                yield out
    yield Progress(0, None, "choosing wrong answers")
    pool = Distractors([s for s, _ in m.sentences], m.terms, [d.term for d, _ in m.definitions],
                       ctx.models.embedder() if request.use_llm else None)
    items = definition_questions(m) + sentence_questions(engine, m, planned, llm, pool, cancel, stats)
    stats.candidates = len(items)
    good = [i for i in items if check(i)]
    stats.unsupported = len(items) - len(good)
    unique, stats.duplicates = dedupe(good)
    shares = {"mcq": 0.5, "tf": 0.25, "short": 0.25}
    chosen: list[Item] = []
    for kind, share in shares.items():
        chosen += choose([i for i in unique if i.kind == kind], max(1, round(request.count * share)))
    if len(chosen) < request.count:  # one kind ran short: fill from the others
        rest = [i for i in unique if i not in chosen]
        chosen += choose(rest, request.count - len(chosen))
    chosen = chosen[:request.count]
    _rng(*(i.front for i in chosen)).shuffle(chosen)
    stats.kept = len(chosen)
    stats.llm_kept = sum(i.origin == "llm" for i in chosen)
    stats.by_origin = {o: sum(i.origin == o for i in chosen) for o in sorted({i.origin for i in chosen})}
    yield chosen


def question_draft(item: Item) -> QuestionDraft:
    """The stored form of a chosen question."""
    p = item.passage
    return QuestionDraft(item.kind, item.front, item.back, item.choices, item.explanation, p.source_id, p.page_no,
                         item.start_s, item.end_s, item.quote)
