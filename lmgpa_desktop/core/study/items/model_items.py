"""The model's part of generation: questions it words for planned sentences, each answered back, and summaries."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.study.items import item_writer
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.study.items.generated_items import Item, Stats, supported
from lmgpa_desktop.core.study.items.material import Material, Plan, Request

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

LLM_SHARE = 0.5  # of the items asked for, this many are model-worded questions (the rest need no model)
LLM_TRIES = 2.5  # planned sentences tried per model question wanted (some fail their checks)


def writer_for(ctx: AppContext, request: Request, stats: Stats):
    """The loaded model when it can write items (an instruct model with a chat template), else None."""
    if not request.use_llm:
        return None
    engine = ctx.models.llm()
    if not item_writer.usable(engine):
        stats.notes.append("the language model in use has no chat template, so only items taken directly from "
                           "the text were made; choose an instruct model in Settings → Models")
        return None
    return engine


def llm_items(engine, m: Material, planned: list[Plan], budget: int, stats: Stats,
              cancel: threading.Event | None) -> Iterator[Progress | Item]:
    """Questions the model words for the planned sentences, each answered back before it is kept."""
    tries = planned[:max(budget, round(budget * LLM_TRIES))]
    kept = done = 0
    while tries and kept < budget and not (cancel is not None and cancel.is_set()):
        # Drafts first, then their answers: each step keeps one prompt prefix, which llama.cpp reuses from its
        # cache instead of reading the instructions and examples again for every call.
        size = max(2, round((budget - kept) * 1.5))
        batch, tries = tries[:size], tries[size:]
        drafts = []
        for p in batch:
            if cancel is not None and cancel.is_set():
                return
            done += 1
            yield Progress(done - 1, done + len(tries), f"writing question {done}")
            stats.llm_tried += 1
            answer = _answer_text(p)
            draft = item_writer.draft_question(engine, m.context(p.sentence), answer, cancel)
            stats.llm_written += int(draft.reason != "not written")
            if draft.question is None:
                stats.dropped[draft.reason] = stats.dropped.get(draft.reason, 0) + 1
            else:
                drafts.append((p, answer, draft))
        for p, answer, draft in drafts:
            if cancel is not None and cancel.is_set() or kept >= budget:
                return
            written = item_writer.confirm(engine, m.context(p.sentence), draft, answer, cancel)
            if written.question is None:
                stats.dropped[written.reason] = stats.dropped.get(written.reason, 0) + 1
                continue
            kept += 1
            back = answer.rstrip(" .") + ("." if p.target.kind == "cause" else "")
            yield Item("basic", written.question, back, p.sentence, m.passages[p.passage], "llm",
                       2.5 + min(p.score, 10.0) / 10)


def _answer_text(p: Plan) -> str:
    """What the question's answer says: the target as written ("Because ..." for a reason)."""
    return p.target.text[0].upper() + p.target.text[1:] if p.target.kind == "cause" else p.target.text


def llm_summary(engine, text: str, cancel: threading.Event | None = None) -> str | None:
    """One or two sentences summing up text in the model's words, or None when they say what text does not."""
    out = item_writer.summary(engine, text, cancel)
    if len(ex.words(out)) < 6 or not out.endswith("."):
        return None
    for sentence in ex.split_sentences(out):
        if not supported(sentence, text):
            return None
    if any(ex.normalize(out) == ex.normalize(s) for s in ex.split_sentences(text)):
        return None  # a copied sentence adds nothing over the key points
    return out
