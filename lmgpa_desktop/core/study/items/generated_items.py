"""A generated item and what every kind goes through: checks against its passage, de-duplication, the choice."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from lmgpa_desktop.core.library.search import Hit
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.words import content_words

DUPLICATE_SIMILARITY = 88  # rapidfuzz token_set_ratio at or above which two items say the same
SUPPORT_MIN = 0.8  # share of an answer's content words its passage must contain
TF_PREFIX = "True or false? "


@dataclass
class Item:
    """A generated item before it is stored: what it asks, its answer, and the sentence and passage behind it."""

    kind: str  # basic, cloze (cards); mcq, tf, short (questions)
    front: str
    back: str
    quote: str
    passage: Hit
    origin: str  # definition, cloze, sentence, llm, swap
    score: float
    choices: list[str] | None = None
    explanation: str | None = None
    start_s: float | None = None
    end_s: float | None = None


@dataclass
class Stats:
    """How generation went, for the job result and for measuring what the model adds."""

    passages: int = 0
    sentences: int = 0
    definitions: int = 0
    candidates: int = 0
    llm_tried: int = 0
    llm_written: int = 0
    llm_kept: int = 0
    unsupported: int = 0
    duplicates: int = 0
    kept: int = 0
    by_origin: dict = field(default_factory=dict)
    dropped: dict = field(default_factory=dict)  # why model-written items were left out, and how many
    notes: list = field(default_factory=list)  # what the student should know about this run

    def as_dict(self) -> dict:
        """Plain form for the job result."""
        return dict(self.__dict__)


def supported(text: str, passage_text: str) -> bool:
    """Whether a passage contains what text says (most of its content words, and every figure)."""
    said = content_words(text)
    if not said:
        return False
    known = content_words(passage_text)
    if any(w.isdigit() and w not in known for w in said):
        return False
    return len(said & known) / len(said) >= SUPPORT_MIN


def answer_of(item: Item) -> str:
    """What the student has to produce for an item."""
    if item.kind == "cloze":
        return ex.cloze_answer(item.front)
    return item.back


def check(item: Item) -> bool:
    """An item is kept only if its quote is in its passage and the passage supports its answer."""
    passage = ex.normalize(item.passage.text)
    if ex.normalize(item.quote) not in passage:
        return False
    answer = answer_of(item)
    if not answer.strip():
        return False
    if item.kind == "tf":
        statement = item.front.removeprefix(TF_PREFIX)
        if answer == "True":
            return supported(statement, item.quote)
        return ex.normalize(statement) not in passage  # a false statement must really differ from the source
    if not supported(answer, item.quote) and not supported(answer, item.passage.text):
        return False
    if item.kind in ("basic", "short", "mcq") and ex.normalize(answer) in ex.normalize(item.front):
        return False  # the question gives its answer away
    if item.kind == "mcq" and (not item.choices or answer not in item.choices or len(set(item.choices)) < 3):
        return False
    return True


def _key(item: Item) -> str:
    return ex.normalize(f"{item.front} {answer_of(item)}")


def dedupe(items: list[Item], existing: list[str] = ()) -> tuple[list[Item], int]:
    """Items (best first) without near-duplicates of each other or of what exists; returns (kept, dropped)."""
    kept: list[Item] = []
    keys: list[str] = [ex.normalize(e) for e in existing]
    answers: set[tuple[str, str]] = set()
    dropped = 0
    for item in sorted(items, key=lambda x: -x.score):
        key = _key(item)
        pair = (ex.normalize(answer_of(item)), ex.normalize(item.quote))
        if pair in answers or any(fuzz.token_set_ratio(key, k) >= DUPLICATE_SIMILARITY for k in keys):
            dropped += 1
            continue
        kept.append(item)
        keys.append(key)
        answers.add(pair)
    return kept, dropped


def choose(items: list[Item], count: int, shares: dict[str, float] | None = None) -> list[Item]:
    """The best count items in reading order: each origin gets its share first (what one leaves, others take),
    and within an origin the picks go round the passages so one page does not fill the set."""
    by_origin: dict[str, list[Item]] = {}
    for item in sorted(items, key=lambda x: -x.score):
        by_origin.setdefault(item.origin, []).append(item)
    queues = {o: _round_robin(group) for o, group in by_origin.items()}
    picked: list[Item] = []
    if shares:
        for origin, share in shares.items():
            take = queues.get(origin, [])[:max(1, round(count * share))]
            picked += take
            queues[origin] = queues.get(origin, [])[len(take):]
    rest = sorted((i for q in queues.values() for i in q), key=lambda x: -x.score)
    picked = (picked + rest)[:count]
    position = {id(p): i for i, p in enumerate(items)}
    return sorted(picked, key=lambda x: (x.passage.source_id, x.passage.chunk_id, position.get(id(x), 0)))


def _round_robin(items: list[Item]) -> list[Item]:
    """Items (best first) reordered to take one per passage in turn."""
    groups: dict[int, list[Item]] = {}
    for item in items:
        groups.setdefault(item.passage.chunk_id, []).append(item)
    out = []
    while any(groups.values()):
        for group in groups.values():
            if group:
                out.append(group.pop(0))
    return out
