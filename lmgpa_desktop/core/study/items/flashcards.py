"""Flashcards from the material: definitions, model-written questions and clozes, checked and chosen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.study.items.generated_items import Item, Stats, check, choose, dedupe
from lmgpa_desktop.core.study.items.material import HEARD_ANSWER, STOP_TERMS, Material, Plan, Request, plans
from lmgpa_desktop.core.study.items.model_items import LLM_SHARE, llm_items, writer_for
from lmgpa_desktop.storage.study_repo import CardDraft

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

FLASHCARD_SHARES = {"definition": 0.3, "llm": 0.5, "cloze": 0.2}


def definition_cards(m: Material) -> list[Item]:
    """"What is a variable?" -> "A name that refers to a value." from each definition."""
    out = []
    for d, i in m.definitions:
        if d.term.lower() in STOP_TERMS or m.heard(d.sentence, m.passages[i]) < HEARD_ANSWER:
            continue
        back = d.definition.rstrip(" .") + "."
        out.append(Item("basic", ex.question_for(d.term, d.definition, d.style, d.sentence), back, d.sentence, m.passages[i],
                        "definition", 3.0 + d.score))
    return out


def cloze_cards(m: Material, planned: list[Plan]) -> list[Item]:
    """One meaningful part (a term, a name, a figure) hidden in each key sentence."""
    out = []
    for p in planned:
        if p.target.kind == "cause":
            continue  # a hidden half-sentence is a guessing game, not recall
        c = ex.cloze(p.sentence, p.target.text)
        if c is not None:
            out.append(Item("cloze", c.text, "", p.sentence, m.passages[p.passage], "cloze",
                            1.0 + min(p.score, 10.0) / 10))
    return out


def flashcard_items(ctx: AppContext, m: Material, request: Request, stats: Stats, cancel: threading.Event | None,
                    existing: list[str]) -> Iterator[Progress | list[Item]]:
    """Definitions, model-written questions and clozes, checked, deduplicated and chosen; the list comes last."""
    defs = definition_cards(m)
    used = {ex.normalize(i.quote) for i in defs}
    planned = plans(m, used)
    pool = defs + cloze_cards(m, planned)
    engine = writer_for(ctx, request, stats)
    if engine is not None:
        budget = max(1, round(request.count * LLM_SHARE))
        for out in llm_items(engine, m, planned, budget, stats, cancel):
            if isinstance(out, Item):
                pool.append(out)
            else:
                yield out
    yield _finish(pool, request.count, stats, existing)


def _finish(pool: list[Item], count: int, stats: Stats, existing: list[str] = ()) -> list[Item]:
    stats.candidates = len(pool)
    good = [i for i in pool if check(i)]
    stats.unsupported = len(pool) - len(good)
    unique, stats.duplicates = dedupe(good, existing)
    chosen = choose(unique, count, FLASHCARD_SHARES)
    stats.kept = len(chosen)
    stats.llm_kept = sum(i.origin == "llm" for i in chosen)
    stats.by_origin = {o: sum(i.origin == o for i in chosen) for o in sorted({i.origin for i in chosen})}
    return chosen


def card_draft(item: Item) -> CardDraft:
    """The stored form of a chosen card."""
    p = item.passage
    return CardDraft(item.kind, item.front, item.back, p.source_id, p.page_no, item.start_s, item.end_s, item.quote,
                     tags=f"generated {item.origin}")
