"""Chat retrieval: the passages that really bear on a question, and whether a question leans on an earlier one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lmgpa_desktop.core.library.search import Hit, Scope, search
from lmgpa_desktop.core.words import content_words, tokens

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

CANDIDATES = 6  # passages retrieved and judged
# Relevance gate, measured with all-MiniLM-L6-v2 on a transcribed lecture: questions it answers had a best
# sentence similarity of 0.32-0.82; unrelated ones (photosynthesis, Newton, World Cup) 0.07-0.44. Similarity
# alone is enough from STRONG; between WEAK and STRONG half the question's content words must be there too.
STRONG_SIMILARITY = 0.5
WEAK_SIMILARITY = 0.3
WEAK_COVERAGE = 0.5
ANAPHORA = frozenset("it its they them their he him his she her this that these those there then".split())
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Passage:
    """A retrieved passage judged relevant, with the sentence that matched best."""

    hit: Hit
    relevance: float
    best_sentence: str


def sentences_of(text: str) -> list[str]:
    """The sentences of a text, whitespace tidied."""
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def relevant_passages(ctx: AppContext, question: str, scope: Scope | None = None, k: int = CANDIDATES) -> list[Passage]:
    """Retrieved passages that really bear on the question, best first (empty: the library has nothing)."""
    hits = search(ctx, question, k=k, scope=scope)
    wanted = content_words(question)
    if not hits or not wanted:
        return []
    sentences = [sentences_of(h.text) or [h.text] for h in hits]
    flat = [s for group in sentences for s in group]
    embedder = ctx.models.embedder()
    vectors = embedder.embed([question] + flat)
    similarity = vectors[1:] @ vectors[0]
    out, at = [], 0
    for hit, group in zip(hits, sentences):
        sims = similarity[at:at + len(group)]
        at += len(group)
        best = int(np.argmax(sims))
        coverage = len(wanted & content_words(hit.text)) / len(wanted)
        sim = float(sims[best])
        if sim >= STRONG_SIMILARITY or (sim >= WEAK_SIMILARITY and coverage >= WEAK_COVERAGE):
            out.append(Passage(hit, sim + 0.25 * coverage, group[best]))
    return sorted(out, key=lambda p: p.relevance, reverse=True)


def is_follow_up(question: str) -> bool:
    """A question that leans on an earlier one ("where was it printed?", "tell me more")."""
    words = set(tokens(question))
    return bool(words & ANAPHORA) or len(content_words(question)) < 2
