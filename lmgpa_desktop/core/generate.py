"""Notes, flashcards and practice tests generated from the student's sources, waiting for review."""

# The default model is a 270M base model: asked to write flashcards freely it rambles and invents. So what an
# item says is always chosen from the passages first (definitions, key sentences, key terms: core.extractive);
# the model only turns a sentence into a question, with a grammar that lets it use no word the sentence does
# not have and never the answer itself, and every question it writes must be answered back correctly by the
# model from that sentence before it is kept. Items that fail a check against their passage are dropped,
# near-duplicates removed, the best kept, and all of them wait for the student to accept, edit or reject.

from __future__ import annotations

import json
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from lmgpa_desktop.core import activity
from lmgpa_desktop.core import extractive as ex
from lmgpa_desktop.core import transcripts
from lmgpa_desktop.core.chat import content_words
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.jobs import Cancelled, JobContext, job_kind
from lmgpa_desktop.core.progress import JobError, Progress
from lmgpa_desktop.core.search import Hit
from lmgpa_desktop.storage import search_repo, sources_repo, study_repo
from lmgpa_desktop.storage.study_repo import CardDraft, CardRow, QuestionDraft, QuestionRow

WHAT = ("notes", "flashcards", "quiz")
DEFAULT_COUNT = {"flashcards": 10, "quiz": 8, "notes": 0}
MAX_COUNT = 100
AUDIO_KINDS = ("audio", "video", "recording")
DUPLICATE_SIMILARITY = 88  # rapidfuzz token_set_ratio at or above which two items say the same
SUPPORT_MIN = 0.8  # share of an answer's content words its passage must contain
LLM_SHARE = 0.5  # of the items asked for, at most this many are worth a model-written question
QUESTION_TOKENS = 28  # the examples' questions take ~14 tokens; longer output is a loop, and each token is slow
SUMMARY_TOKENS = 60
TF_PREFIX = "True or false? "
FLASHCARD_SHARES = {"definition": 0.5, "llm": 0.3, "cloze": 0.2}
AUDIO_SEGMENT_MATCH = 0.6  # share of a transcript segment's words in a quote for the segment to be its location
FUNCTION_WORDS = ("the a an of in on at to for by with from and or is are was were be been does do did what which "
                  "who when where how many much year called that this it its as into than not").split()
WH = {"year": ["In what year", "When"], "number": ["How many", "What number"],
      "name": ["Who", "What", "Which", "Where"], "term": ["What", "Which"]}

QUESTION_SHOTS = """Turn each sentence into a question whose answer is the given answer.

Sentence: The mitochondrion is the organelle that produces most of the cell's energy.
Answer: mitochondrion
Question: Which organelle produces most of the cell's energy?

Sentence: Water boils at 100 degrees Celsius at sea level.
Answer: 100 degrees Celsius
Question: At what temperature does water boil at sea level?

Sentence: The Treaty of Versailles was signed in 1919 by the Allied powers.
Answer: 1919
Question: In what year was the Treaty of Versailles signed?

"""
ANSWER_SHOTS = """Answer each question with words from its sentence.

Sentence: The mitochondrion is the organelle that produces most of the cell's energy.
Question: Which organelle produces most of the cell's energy?
Answer: mitochondrion

Sentence: The Treaty of Versailles was signed in 1919 by the Allied powers.
Question: Who signed the Treaty of Versailles?
Answer: the Allied powers

"""
SUMMARY_SHOTS = """Summarize each passage in one short sentence.

Passage: The heart pumps blood through the body. Arteries carry blood away from the heart, and veins bring it back.
Summary: The heart pumps blood out through arteries and back through veins.

"""


# -- what the job works on ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """What to generate from: sources, or some of their passages, or a selected text with its location."""

    what: str
    source_ids: list[int]
    count: int
    chunk_ids: list[int] | None = None
    selection: dict | None = None  # {"text", "source_id", "page_no"?, "start_s"?, "end_s"?}
    use_llm: bool = True

    @classmethod
    def from_payload(cls, what: str, payload: dict) -> Request:
        """The request a job payload describes."""
        count = int(payload.get("count") or DEFAULT_COUNT[what])
        return cls(what, [int(i) for i in payload.get("source_ids") or []], max(1, min(MAX_COUNT, count)),
                   payload.get("chunk_ids"), payload.get("selection"), bool(payload.get("use_llm", True)))


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

    def as_dict(self) -> dict:
        """Plain form for the job result."""
        return dict(self.__dict__)


@dataclass
class Material:
    """Passages and what the extractive pass found in them."""

    passages: list[Hit]
    sentences: list[tuple[str, int]]  # (sentence, passage index)
    terms: list[ex.Term]
    definitions: list[tuple[ex.Definition, int]]
    key: list[tuple[str, float, int]]  # (sentence, score, passage index), best first


def _hit(row, text: str | None = None) -> Hit:
    return Hit(row.id, row.source_id, row.source_title, row.source_kind, text or row.text, "", row.page_no,
               row.start_s, row.end_s, row.region, 0.0)


def load_passages(ctx, request: Request) -> list[Hit]:
    """The passages a request covers, in reading order; UserError when there are none."""
    if request.selection:
        sel = request.selection
        src = sources_repo.get(ctx.db, int(sel["source_id"])) if sel.get("source_id") is not None else None
        text = " ".join(str(sel.get("text") or "").split())
        if src is None or not text:
            raise UserError("select some text of a source in your library first")
        return [Hit(0, src.id, src.title, src.kind, text, "", sel.get("page_no"), sel.get("start_s"),
                    sel.get("end_s"), None, 0.0)]
    if request.chunk_ids:
        rows = search_repo.chunks_by_id(ctx.db, [int(i) for i in request.chunk_ids])
        passages = [_hit(rows[i]) for i in request.chunk_ids if i in rows]
    else:
        for source_id in request.source_ids:
            if sources_repo.get(ctx.db, source_id) is None:
                raise UserError(f"there is no source {source_id} in your library")
        passages = [_hit(row) for row in study_repo.source_chunks(ctx.db, request.source_ids)]
    if not passages:
        raise UserError("these sources have no text yet: wait until they are read (or transcribed) and indexed")
    return passages


def analyse(passages: list[Hit]) -> Material:
    """Sentences (each once, with its passage), key terms, definitions and key sentences of the passages."""
    located: list[tuple[str, int]] = []
    for i, passage in enumerate(passages):
        located.extend((s, i) for s in ex.split_sentences(passage.text))
    unique = ex.unique_sentences([s for s, _ in located])
    where = {}
    for s, i in located:
        where.setdefault(s, i)
    sentences = [(s, where[s]) for s in unique]
    definitions = []
    seen_terms = set()
    lowered = " ".join(s for s, _ in sentences)
    for s, i in sentences:
        d = ex.definition(s)
        if d and d.term.lower() not in seen_terms:
            seen_terms.add(d.term.lower())
            if d.term[:1].isupper() and f" {d.term[:1].lower()}{d.term[1:]}" in lowered:
                d = replace(d, term=d.term[:1].lower() + d.term[1:])  # capitalised only as a sentence start
            definitions.append((d, i))
    terms = ex.key_terms([s for s, _ in sentences], [d.term for d, _ in definitions])
    index = dict(sentences)
    key = [(s, score, index[s]) for s, score in ex.key_sentences([s for s, _ in sentences], terms, limit=60)]
    return Material(passages, sentences, terms, definitions, key)


# -- checks ------------------------------------------------------------------------------------------------------
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


# -- where an item points --------------------------------------------------------------------------------------
class Locator:
    """Narrows an item's location to the transcript segments that hold its quote (a passage spans a minute)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._segments: dict[int, list] = {}

    def place(self, item: Item) -> Item:
        """The item with start_s/end_s of its quote (audio sources) or of its passage."""
        p = item.passage
        item.start_s, item.end_s = p.start_s, p.end_s
        if p.source_kind not in AUDIO_KINDS or p.start_s is None:
            return item
        if p.source_id not in self._segments:
            current = transcripts.current(self.ctx, p.source_id)
            self._segments[p.source_id] = current.segments if current else []
        quote = set(ex.normalize(item.quote).split())
        hits = []
        for seg in self._segments[p.source_id]:
            if seg.end < p.start_s - 1 or seg.start > (p.end_s or p.start_s) + 1:
                continue
            words = ex.normalize(seg.shown).split()
            if words and sum(w in quote for w in words) / len(words) >= AUDIO_SEGMENT_MATCH:
                hits.append(seg)
        if hits:
            item.start_s, item.end_s = min(s.start for s in hits), max(s.end for s in hits)
        return item


def location_of(passage: Hit, start_s: float | None = None, end_s: float | None = None) -> str:
    """"page 3", "slide 2" or "1:05–1:12" for display."""
    if start_s is not None or passage.start_s is not None:
        a = start_s if start_s is not None else passage.start_s
        b = end_s if end_s is not None else passage.end_s
        return f"{clock(a)}–{clock(b if b is not None else a)}"
    return passage.location


def reference(item: Item) -> str:
    """"“Title”, page 3" for explanations."""
    where = location_of(item.passage, item.start_s, item.end_s)
    return f"“{item.passage.source_title}”" + (f", {where}" if where else "")


# -- extractive candidates ---------------------------------------------------------------------------------------
def definition_cards(m: Material) -> list[Item]:
    """"What is a variable?" -> "A name that refers to a value." from each definition."""
    out = []
    for d, i in m.definitions:
        back = d.definition.rstrip(" .") + "."
        out.append(Item("basic", ex.question_for(d.term, d.definition, d.style), back, d.sentence, m.passages[i],
                        "definition", 3.0 + d.score))
    return out


def cloze_cards(m: Material) -> list[Item]:
    """A key term (or year) hidden in each key sentence."""
    out = []
    for sentence, score, i in m.key:
        c = ex.best_cloze(sentence, m.terms)
        if c is not None:
            out.append(Item("cloze", c.text, "", sentence, m.passages[i], "cloze", 1.0 + min(score, 5.0) / 5))
    return out


# -- the model's part --------------------------------------------------------------------------------------------
def _alternatives(values: list[str]) -> str:
    return " | ".join(json.dumps(v) for v in values)


def question_grammar(sentence: str, answer: str) -> str:
    """A question made only of the sentence's own words (never the answer's) and a few function words."""
    banned = {w.lower() for w in ex.words(answer)}
    vocab = {w for w in ex.words(sentence) if w.lower() not in banned}
    vocab |= {w.lower() for w in vocab} | {w for w in FUNCTION_WORDS if w not in banned}
    wh = WH[ex.answer_type(answer)]
    return (f"root ::= \" \" wh (\" \" word)+ \"?\"\nwh ::= {_alternatives(wh)}\n"
            f"word ::= {_alternatives(sorted(vocab))}\n")


def answer_grammar(options: list[str]) -> str:
    """An answer that is one of the given options, exactly."""
    return f"root ::= \" \" ({_alternatives(options)})\n"


def _generate(engine, prompt: str, grammar: str, max_tokens: int, cancel: threading.Event | None) -> str:
    return "".join(engine.complete(prompt, max_tokens=max_tokens, temperature=0.0, grammar=grammar, stop=["\n"],
                                   cancel=cancel)).strip()


def _near(answer: str, sentence: str, width: int = 1) -> set[str]:
    """Content words right around the answer in the sentence (what a question about it must mention)."""
    tokens = ex.words(sentence)
    low = [t.lower() for t in tokens]
    target = [t.lower() for t in ex.words(answer)]
    for at in range(len(low) - len(target) + 1):
        if low[at:at + len(target)] == target:
            around = [t for t in low[max(0, at - 2 * width):at] if content_words(t)][-width:]
            around += [t for t in low[at + len(target):at + len(target) + 2 * width] if content_words(t)][:width]
            return content_words(" ".join(around))
    return set()


def _sensible(question: str, sentence: str, answer: str = "") -> bool:
    """A finished question about the answer's part of the sentence, without looping ("the or the or the")."""
    if not question.endswith("?"):
        return False
    body = ex.words(question)
    if len(body) < 3 or body[-1].lower() in FUNCTION_WORDS:
        return False
    counts = {w: body.count(w) for w in {w.lower() for w in body}}
    if any(n > 2 for w, n in counts.items()) or any(n > 1 for w, n in counts.items() if w not in FUNCTION_WORDS):
        return False
    asked = content_words(question)
    if len(asked & content_words(sentence)) < 2:
        return False
    return not answer or bool(asked & _near(answer, sentence))


def llm_question(engine, sentence: str, answer: str, options: list[str],
                 cancel: threading.Event | None = None) -> tuple[str | None, bool]:
    """(question, written): a question whose answer is `answer`, kept only if the model answers it back."""
    body = ex.strip_heading(sentence)
    prompt = f"{QUESTION_SHOTS}Sentence: {body}\nAnswer: {answer}\nQuestion:"
    question = _generate(engine, prompt, question_grammar(body, answer), QUESTION_TOKENS, cancel)
    if not _sensible(question, body, answer):
        return None, bool(question)
    # Round trip: asked back with the answer among other words of the sentence, the model must pick it.
    choices = sorted(set(options) | {answer}, key=lambda o: (o != answer, o))
    back = _generate(engine, f"{ANSWER_SHOTS}Sentence: {body}\nQuestion: {question}\nAnswer:",
                     answer_grammar(choices), 16, cancel)
    return (question if back == answer else None), True


def _options(sentence: str, answer: str, m: Material) -> list[str]:
    """Other possible answers in the sentence, for the round trip (at least three in all)."""
    found = [a for a in ex.answers_in(sentence, m.terms) if a.lower() != answer.lower()]
    if len(found) < 3:
        found += [t.text for t in m.terms if t.text.lower() != answer.lower() and t.text not in found][:3 - len(found)]
    return found[:5]


def _target(sentence: str, m: Material) -> str | None:
    """The answer a question about this sentence should have: a year, else its best key term (not its subject)."""
    answers = ex.answers_in(sentence, m.terms)
    body = ex.strip_heading(sentence)
    for answer in answers:
        at = body.lower().find(answer.lower())
        if at > 0 and len(content_words(body.replace(answer, " "))) >= 3:
            return answer
    return answers[0] if answers else None


def llm_items(ctx, m: Material, budget: int, stats: Stats, cancel: threading.Event | None,
              used: set[str]) -> Iterator[Progress | Item]:
    """Model-written question cards for the best key sentences not already used; yields progress and items."""
    engine = ctx.models.llm()
    planned = []
    for sentence, score, i in m.key:
        if ex.normalize(sentence) in used or ex.definition(sentence):
            continue
        answer = _target(sentence, m)
        if answer:
            planned.append((sentence, score, i, answer))
        if len(planned) >= budget:
            break
    for n, (sentence, score, i, answer) in enumerate(planned, 1):
        if cancel is not None and cancel.is_set():
            return
        yield Progress(n - 1, len(planned), f"writing question {n} of {len(planned)}")
        stats.llm_tried += 1
        question, written = llm_question(engine, sentence, answer, _options(sentence, answer, m), cancel)
        stats.llm_written += int(written)
        if question:
            yield Item("basic", question, answer, sentence, m.passages[i], "llm", 2.5 + min(score, 5.0) / 5)


def llm_summary(engine, text: str, cancel: threading.Event | None = None) -> str | None:
    """One sentence summing up text in its own words, or None when the model's sentence is not usable."""
    vocab = {w for w in ex.words(text)} | {w.lower() for w in ex.words(text)} | set(FUNCTION_WORDS)
    grammar = (f"root ::= \" \" first (\" \" word)+ \".\"\nfirst ::= {_alternatives(sorted(w for w in vocab if w[:1].isupper()) or ['The'])}\n"
               f"word ::= {_alternatives(sorted(vocab))}\n")
    out = _generate(engine, f"{SUMMARY_SHOTS}Passage: {text}\nSummary:", grammar, SUMMARY_TOKENS, cancel)
    found = ex.words(out)
    if not out.endswith(".") or len(found) < 6:
        return None
    counts = {w: found.count(w) for w in {w.lower() for w in found}}
    if any(n > 2 for w, n in counts.items() if w not in FUNCTION_WORDS) or any(n > 4 for n in counts.values()):
        return None
    if not supported(out, text) or any(ex.normalize(out) == ex.normalize(s) for s in ex.split_sentences(text)):
        return None  # a copied sentence adds nothing over the key points
    return out


# -- flashcards --------------------------------------------------------------------------------------------------
def flashcard_items(ctx, m: Material, request: Request, stats: Stats, cancel: threading.Event | None,
                    existing: list[str]) -> Iterator[Progress | list[Item]]:
    """Definitions, model-written questions and clozes, checked, deduplicated and chosen; the list comes last."""
    pool = definition_cards(m) + cloze_cards(m)
    used = {ex.normalize(i.quote) for i in pool if i.origin == "definition"}
    if request.use_llm:
        budget = max(1, round(request.count * LLM_SHARE))
        for out in llm_items(ctx, m, budget, stats, cancel, used):
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


# -- practice tests ----------------------------------------------------------------------------------------------
def _rng(*parts: str) -> random.Random:
    return random.Random("|".join(parts))  # the same material gives the same order of choices


def _distractors(answer: str, m: Material, quote: str, k: int = 3) -> list[str]:
    """Other key terms (or years, for a year) of the material that do not occur in the quote."""
    kind = ex.answer_type(answer)
    low_quote = f" {ex.normalize(quote)} "
    if kind in ("year", "number"):
        pool = [w for s, _ in m.sentences for w in ex.numbers(s) if ex.answer_type(w) == kind]
        if len(set(pool) - {answer}) < k and kind == "year":
            base = int(answer)
            pool += [str(base + d) for d in (-10, 7, 22, -25)]
    else:
        pool = [t.text for t in m.terms if ex.answer_type(t.text) == kind] + [t.text for t in m.terms]
    out = []
    for cand in pool:
        norm = ex.normalize(cand)
        if (cand.lower() == answer.lower() or f" {norm} " in low_quote or norm in ex.normalize(answer)
                or ex.normalize(answer) in norm or cand in out):
            continue
        out.append(cand)
        if len(out) == k:
            break
    return out


def _explain(item: Item, verdict: str = "") -> str:
    return f"{verdict}{reference(item)} says: “{item.quote.strip()}”"


def definition_questions(m: Material) -> list[Item]:
    """Multiple choice ("What is X?" among other definitions) and true/false (X with another term's definition)."""
    out = []
    defs = [(d, i) for d, i in m.definitions]
    for n, (d, i) in enumerate(defs):
        others = [o for o, _ in defs if o.term.lower() != d.term.lower()]
        correct = d.definition.rstrip(" .")
        rng = _rng(d.term, d.sentence)
        if len(others) >= 3:
            wrong = [o.definition.rstrip(" .") for o in rng.sample(others, 3)]
            choices = wrong + [correct]
            rng.shuffle(choices)
            item = Item("mcq", ex.question_for(d.term, d.definition, d.style), correct, d.sentence, m.passages[i],
                        "definition", 3.0 + d.score, choices=choices)
            item.explanation = _explain(item)
            out.append(item)
        if others:
            other = others[n % len(others)] if n % 2 else None
            claim = other.definition if other else d.definition
            statement = f"{d.term[0].upper() + d.term[1:]}: {claim.rstrip(' .')}."
            item = Item("tf", f"{TF_PREFIX}{statement}", "False" if other else "True", d.sentence,
                        m.passages[i], "swap" if other else "definition", 2.0 + d.score, choices=["True", "False"])
            item.explanation = _explain(item, "False. " if other else "True. ")
            out.append(item)
    return out


def sentence_questions(m: Material, llm: list[Item]) -> list[Item]:
    """Multiple choice and short answer from model-written questions, true/false and fill-in from key sentences."""
    out = []
    for q in llm:
        wrong = _distractors(q.back, m, q.quote)
        if len(wrong) >= 2:
            choices = wrong + [q.back]
            _rng(q.front).shuffle(choices)
            item = Item("mcq", q.front, q.back, q.quote, q.passage, "llm", q.score + 0.5, choices=choices)
            item.explanation = _explain(item)
            out.append(item)
        short = replace(q, kind="short", score=q.score)
        short.explanation = _explain(short)
        out.append(short)
    for n, (sentence, score, i) in enumerate(m.key):
        body = ex.strip_heading(sentence)
        c = ex.best_cloze(sentence, m.terms)
        if c is None:
            continue
        weight = min(score, 5.0) / 5
        blank = f"Fill in the blank: {c.blanked}"
        if n % 4 == 0:
            item = Item("short", blank, c.answer, sentence, m.passages[i], "cloze", 1.5 + weight)
        elif n % 4 == 1:
            wrong = _distractors(c.answer, m, sentence)
            if len(wrong) < 2:
                continue
            choices = wrong + [c.answer]
            _rng(blank).shuffle(choices)
            item = Item("mcq", blank, c.answer, sentence, m.passages[i], "cloze", 1.6 + weight, choices=choices)
        elif n % 4 == 2:
            wrong = _distractors(c.answer, m, sentence, 1)
            if not wrong:
                continue
            swapped = re.sub(rf"(?<![\w-]){re.escape(c.answer)}(?![\w-])", wrong[0], body, count=1)
            item = Item("tf", f"{TF_PREFIX}{swapped}", "False", sentence, m.passages[i], "swap", 1.2 + weight,
                        choices=["True", "False"])
            item.explanation = _explain(item, "False. ")
            out.append(item)
            continue
        else:
            item = Item("tf", f"{TF_PREFIX}{body}", "True", sentence, m.passages[i], "sentence", 1.2 + weight,
                        choices=["True", "False"])
            item.explanation = _explain(item, "True. ")
            out.append(item)
            continue
        item.explanation = _explain(item)
        out.append(item)
    return out


def quiz_items(ctx, m: Material, request: Request, stats: Stats,
               cancel: threading.Event | None) -> Iterator[Progress | list[Item]]:
    """A mix of question kinds about half multiple choice, a quarter each true/false and short answer."""
    llm: list[Item] = []
    if request.use_llm:
        budget = max(1, round(request.count * LLM_SHARE))
        used = {ex.normalize(d.sentence) for d, _ in m.definitions}
        for out in llm_items(ctx, m, budget, stats, cancel, used):
            if isinstance(out, Item):
                llm.append(out)
            else:
                yield out
    pool = definition_questions(m) + sentence_questions(m, llm)
    stats.candidates = len(pool)
    good = [i for i in pool if check(i)]
    stats.unsupported = len(pool) - len(good)
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


# -- notes -------------------------------------------------------------------------------------------------------
_SECTION = re.compile(r"(?:^|(?<=\s))(?:\d+\.\d+\.?)\s+([A-Z][^.?!]{2,60}[?]?)(?=\s+[A-Z]|\s*$)")


def link(source_id: int, page_no: int | None, start_s: float | None) -> str:
    """The address a note uses for a source location (the Study page opens it)."""
    if start_s is not None:
        return f"lmgpa://source/{source_id}?t={start_s:.1f}"
    if page_no is not None:
        return f"lmgpa://source/{source_id}?page={page_no}"
    return f"lmgpa://source/{source_id}"


def parse_link(url: str) -> tuple[int, int | None, float | None] | None:
    """(source id, page or None, second or None) of a note's source address; None for other links."""
    m = re.match(r"lmgpa://source/(\d+)(?:\?(page|t)=([\d.]+))?$", url.strip())
    if not m:
        return None
    source_id, key, value = int(m.group(1)), m.group(2), m.group(3)
    return source_id, int(value) if key == "page" else None, float(value) if key == "t" else None


def _ref(p: Hit, start_s: float | None = None, end_s: float | None = None) -> tuple[str, dict]:
    where = location_of(p, start_s, end_s) or p.source_title
    md = f"[{where}]({link(p.source_id, p.page_no, start_s if start_s is not None else p.start_s)})"
    return md, {"source_id": p.source_id, "page_no": p.page_no,
                "start_s": start_s if start_s is not None else p.start_s,
                "end_s": end_s if end_s is not None else p.end_s}


def _sections(m: Material) -> list[tuple[str, list[int]]]:
    """(title, passage indices) in reading order: numbered headings in documents, a few minutes of speech."""
    sections: list[tuple[str, list[int]]] = []
    for i, p in enumerate(m.passages):
        new_source = i == 0 or m.passages[i - 1].source_id != p.source_id
        if p.source_kind in AUDIO_KINDS:
            if new_source or not sections[-1][0].startswith("@") or len(sections[-1][1]) >= 3:
                sections.append((f"@{p.start_s or 0.0}", [i]))
            else:
                sections[-1][1].append(i)
            continue
        headings = _SECTION.findall(p.text)
        if headings and not (sections and sections[-1][0] == headings[0].strip()):
            sections.append((headings[0].strip(), [i]))
        elif new_source or not sections:
            sections.append((p.source_title, [i]))
        else:
            sections[-1][1].append(i)
    return sections


def notes_markdown(ctx, m: Material, request: Request, stats: Stats, cancel: threading.Event | None,
                   locator: Locator) -> Iterator[Progress | tuple[str, str, list[dict]]]:
    """Structured Markdown (sections with key points and definitions, key terms, summary) with source links."""
    titles = list(dict.fromkeys(p.source_title for p in m.passages))
    title = f"Notes: {' + '.join(titles)}" if len(titles) <= 3 else f"Notes: {titles[0]} and {len(titles) - 1} more"
    refs: list[dict] = []
    lines = [f"# {title}", ""]
    key_terms = [t.text for t in m.terms[:12]]
    if key_terms:
        lines += ["**Key terms:** " + ", ".join(key_terms), ""]
    key_by_passage: dict[int, list[tuple[str, float]]] = {}
    for s, score, i in m.key:
        key_by_passage.setdefault(i, []).append((s, score))
    defs_by_passage: dict[int, list[ex.Definition]] = {}
    for d, i in m.definitions:
        defs_by_passage.setdefault(i, []).append(d)
    sections = _sections(m)
    summary_input: list[str] = []
    for n, (name, members) in enumerate(sections, 1):
        yield Progress(n - 1, len(sections) + 1, f"writing section {n} of {len(sections)}")
        first = m.passages[members[0]]
        if name.startswith("@"):
            end = m.passages[members[-1]].end_s
            name = f"{first.source_title}, {clock(first.start_s or 0)}–{clock(end or 0)}"
        points = sorted([(s, sc, i) for i in members for s, sc in key_by_passage.get(i, [])], key=lambda x: -x[1])
        defined = [(d, i) for i in members for d in defs_by_passage.get(i, [])]
        defined_sentences = {ex.normalize(d.sentence) for d, _ in defined}
        points = [p for p in points if ex.normalize(p[0]) not in defined_sentences][:4]
        if not points and not defined:
            continue
        lines += [f"## {name}", ""]
        if points:
            lines += ["### Key points", ""]
            order = {s: k for k, (s, _) in enumerate(m.sentences)}
            for s, _, i in sorted(points, key=lambda x: order.get(x[0], 0)):
                item = locator.place(Item("note", "", "", s, m.passages[i], "sentence", 0.0))
                md, ref = _ref(m.passages[i], item.start_s, item.end_s)
                refs.append({**ref, "quote": s})
                lines.append(f"- {ex.strip_heading(s)} ({md})")
                summary_input.append(ex.strip_heading(s))
            lines.append("")
        if defined:
            lines += ["### Definitions", ""]
            for d, i in defined:
                item = locator.place(Item("note", "", "", d.sentence, m.passages[i], "definition", 0.0))
                md, ref = _ref(m.passages[i], item.start_s, item.end_s)
                refs.append({**ref, "quote": d.sentence})
                lines.append(f"- **{d.term}**: {d.definition.rstrip(' .')}. ({md})")
            lines.append("")
    yield Progress(len(sections), len(sections) + 1, "writing the summary")
    summary = None
    top = [ex.strip_heading(s) for s, _, _ in sorted(m.key[:3], key=lambda x: x[2])]
    if request.use_llm and top:
        stats.llm_tried += 1
        summary = llm_summary(ctx.models.llm(), " ".join(top), cancel)
        stats.llm_written += 1
        stats.llm_kept += int(summary is not None)
    lines += ["## Summary", ""]
    if summary:
        lines += [summary + " *(written by the model from the key points)*", ""]
    lines += [f"- {s}" for s in top] + [""]
    stats.kept = len(refs)
    # Each location once, in the order first cited.
    unique_refs = list({(r["source_id"], r["page_no"], r["start_s"]): r for r in reversed(refs)}.values())[::-1]
    yield title, "\n".join(lines).rstrip() + "\n", unique_refs


# -- jobs --------------------------------------------------------------------------------------------------------
def _title_of(passages: list[Hit]) -> str:
    titles = list(dict.fromkeys(p.source_title for p in passages))
    return " + ".join(titles) if len(titles) <= 3 else f"{titles[0]} and {len(titles) - 1} more"


def _relay(steps, cancel: threading.Event):
    """Pass a builder's Progress on and return the last other thing it yields (its result), unless cancelled."""
    result = None
    for out in steps:
        if isinstance(out, Progress):
            yield out
        else:
            result = out
    _store_unless_cancelled(cancel)
    return result


def _store_unless_cancelled(cancel: threading.Event) -> None:
    """Raise Cancelled when the student cancelled: a stopped generation's partial items must not be stored."""
    if cancel.is_set():
        raise Cancelled


def _run(job: JobContext, what: str, payload: dict):
    """The shared body of the three generation jobs."""
    ctx = job.services
    cancel = job.cancel_event
    request = Request.from_payload(what, payload)
    try:
        passages = load_passages(ctx, request)
    except UserError as exc:
        raise JobError(str(exc)) from exc
    stats = Stats(passages=len(passages))
    yield Progress(0, None, f"reading {len(passages)} passages")
    m = analyse(passages)
    stats.sentences, stats.definitions = len(m.sentences), len(m.definitions)
    yield Progress(0, None, f"found {len(m.terms)} key terms and {len(m.definitions)} definitions")
    locator = Locator(ctx)
    name = _title_of(passages)
    source_ids = list(dict.fromkeys(p.source_id for p in passages))
    if what == "notes":
        title, body, refs = yield from _relay(notes_markdown(ctx, m, request, stats, cancel, locator), cancel)
        note = study_repo.create_note(ctx.db, title, body, refs, status="pending")
        yield Progress(1, 1, "notes ready for review")
        return {"what": what, "note_id": note.id, "source_ids": source_ids, "stats": stats.as_dict()}
    if what == "flashcards":
        deck = study_repo.deck_named(ctx.db, name, create=False)  # created only once there are cards for it
        existing = [f"{f} {ex.cloze_answer(f) or b}" for f, b in study_repo.card_texts(ctx.db, deck.id)] if deck else []
        chosen = yield from _relay(flashcard_items(ctx, m, request, stats, cancel, existing), cancel)
        if not chosen:
            raise JobError("no flashcards could be made from these passages (they may hold too little text)")
        drafts = [_card_draft(locator.place(i)) for i in chosen]
        deck = deck or study_repo.deck_named(ctx.db, name)
        ids = study_repo.add_cards(ctx.db, deck.id, drafts, status="pending")
        yield Progress(1, 1, f"{len(ids)} cards ready for review")
        return {"what": what, "deck_id": deck.id, "card_ids": ids, "source_ids": source_ids,
                "stats": stats.as_dict()}
    chosen = yield from _relay(quiz_items(ctx, m, request, stats, cancel), cancel)
    if not chosen:
        raise JobError("no questions could be made from these passages (they may hold too little text)")
    drafts = [_question_draft(locator.place(i)) for i in chosen]
    test_id, ids = study_repo.create_test(ctx.db, f"Practice: {name}", source_ids, drafts)
    yield Progress(1, 1, f"{len(ids)} questions ready for review")
    return {"what": what, "test_id": test_id, "question_ids": ids, "source_ids": source_ids,
            "stats": stats.as_dict()}


def _card_draft(item: Item) -> CardDraft:
    p = item.passage
    return CardDraft(item.kind, item.front, item.back, p.source_id, p.page_no, item.start_s, item.end_s, item.quote,
                     tags=f"generated {item.origin}")


def _question_draft(item: Item) -> QuestionDraft:
    p = item.passage
    return QuestionDraft(item.kind, item.front, item.back, item.choices, item.explanation, p.source_id, p.page_no,
                         item.start_s, item.end_s, item.quote)


@job_kind("generate.notes", queue="llm")
def notes_job(job: JobContext, payload: dict):
    """Structured notes from sources, pending review."""
    return (yield from _run(job, "notes", payload))


@job_kind("generate.flashcards", queue="llm")
def flashcards_job(job: JobContext, payload: dict):
    """Flashcards from sources into a deck named after them, pending review."""
    return (yield from _run(job, "flashcards", payload))


@job_kind("generate.quiz", queue="llm")
def quiz_job(job: JobContext, payload: dict):
    """A draft practice test from sources, its questions pending review."""
    return (yield from _run(job, "quiz", payload))


def queue(ctx, what: str, source_ids: list[int], count: int | None = None, chunk_ids: list[int] | None = None,
          selection: dict | None = None, submit=None, use_llm: bool = True) -> int:
    """Queue a generation job; returns its id (submit: a runner's submit, so the GUI hears of it; use_llm False:
    only what the passages themselves give, without the model's questions and summary)."""
    if what not in WHAT:
        raise UserError(f"cannot generate {what!r}; choose notes, flashcards or quiz")
    if not source_ids and not chunk_ids and not selection:
        raise UserError("choose at least one source to generate from")
    payload = {"source_ids": list(source_ids), "count": count, "chunk_ids": chunk_ids, "selection": selection,
               "use_llm": use_llm}
    titles = [s.title for s in (sources_repo.get(ctx.db, i) for i in source_ids) if s]
    label = {"notes": "Notes", "flashcards": "Flashcards", "quiz": "Practice test"}[what]
    title = f"{label} from {', '.join(titles) or 'a selection'}"
    return (submit or ctx.jobs.submit)(f"generate.{what}", payload, title)


# -- reviewing what was generated --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pending:
    """Everything generated and not yet accepted or rejected."""

    cards: list[CardRow]
    tests: list[tuple[study_repo.TestRow, list[QuestionRow]]]
    notes: list[study_repo.NoteRow]

    @property
    def empty(self) -> bool:
        """Nothing waits for review."""
        return not (self.cards or self.tests or self.notes)


def pending(ctx) -> Pending:
    """Generated items waiting for review."""
    tests = [(t, study_repo.questions(ctx.db, t.id, status="pending")) for t in study_repo.tests(ctx.db, "draft")]
    return Pending(study_repo.cards(ctx.db, "pending"), [(t, q) for t, q in tests if q],
                   study_repo.notes(ctx.db, "pending"))


def accept_cards(ctx, card_ids: list[int], deck: str | int | None = None) -> int:
    """Accepted cards become active in the chosen deck (by id or name, created when new; default: where they are)."""
    deck_id = None
    if isinstance(deck, int):
        if study_repo.get_deck(ctx.db, deck) is None:
            raise UserError("that deck no longer exists")
        deck_id = deck
    elif isinstance(deck, str) and deck.strip():
        deck_id = study_repo.deck_named(ctx.db, deck.strip()).id
    n = study_repo.activate_cards(ctx.db, card_ids, deck_id)
    if n:
        activity.record(ctx, "accept", amount=n, details={"what": "cards"})
    return n


def reject_cards(ctx, card_ids: list[int]) -> int:
    """Rejected cards are deleted."""
    return study_repo.delete_pending_cards(ctx.db, card_ids)


def edit_card(ctx, card_id: int, front: str, back: str) -> CardRow:
    """Change a card's wording (a cloze keeps its {{c1::...}} marks)."""
    front, back = front.strip(), back.strip()
    card = study_repo.cards(ctx.db, None, ids=[card_id])
    if not card:
        raise UserError("that card no longer exists")
    if not front or (card[0].kind == "basic" and not back):
        raise UserError("a card needs a question and an answer")
    if card[0].kind == "cloze" and not ex.cloze_answer(front):
        raise UserError("a cloze card needs a hidden part written like {{c1::answer}}")
    return study_repo.update_card(ctx.db, card_id, front=front, back=back)


def accept_questions(ctx, question_ids: list[int]) -> int:
    """Accepted questions join their test; a test with nothing left to review becomes ready."""
    n = study_repo.set_question_status(ctx.db, question_ids, "active")
    if n:
        activity.record(ctx, "accept", amount=n, details={"what": "questions"})
    for test_id in {q.test_id for q in study_repo.questions(ctx.db, ids=question_ids)}:
        _settle(ctx, test_id)
    return n


def reject_questions(ctx, question_ids: list[int]) -> int:
    """Rejected questions are deleted; a test with nothing left to review becomes ready (or goes, when empty)."""
    tests = {q.test_id for q in study_repo.questions(ctx.db, ids=question_ids)}
    n = study_repo.delete_pending_questions(ctx.db, question_ids)
    for test_id in tests:
        _settle(ctx, test_id)
    return n


def _settle(ctx, test_id: int) -> None:
    test = study_repo.get_test(ctx.db, test_id)
    if test is None or test.status != "draft" or test.pending:
        return
    if test.active:
        study_repo.update_test(ctx.db, test_id, status="ready")
    else:
        study_repo.delete_test(ctx.db, test_id)


def accept_test(ctx, test_id: int) -> study_repo.TestRow:
    """Accept every question of a draft test still waiting; the test becomes ready."""
    pending_ids = [q.id for q in study_repo.questions(ctx.db, test_id, status="pending")]
    study_repo.set_question_status(ctx.db, pending_ids, "active")
    if pending_ids:
        activity.record(ctx, "accept", amount=len(pending_ids), details={"what": "questions"})
    _settle(ctx, test_id)
    return study_repo.get_test(ctx.db, test_id)


def edit_question(ctx, question_id: int, prompt: str, answer: str, choices: list[str] | None = None,
                  explanation: str | None = None) -> QuestionRow:
    """Change a question's wording, answer key, choices or explanation."""
    prompt, answer = prompt.strip(), answer.strip()
    found = study_repo.questions(ctx.db, ids=[question_id])
    if not found:
        raise UserError("that question no longer exists")
    if not prompt or not answer:
        raise UserError("a question needs a prompt and an answer")
    q = found[0]
    if q.kind == "mcq":
        choices = [c.strip() for c in (choices if choices is not None else q.choices or []) if c.strip()]
        if answer not in choices:
            raise UserError("the answer must be one of the choices")
    elif q.kind == "tf":
        if answer not in ("True", "False"):
            raise UserError("a true/false question's answer is True or False")
        choices = ["True", "False"]
    fields = {"prompt": prompt, "answer": answer, "choices": choices if q.kind != "short" else None}
    if explanation is not None:
        fields["explanation"] = explanation.strip() or None
    return study_repo.update_question(ctx.db, question_id, **fields)


def accept_note(ctx, note_id: int) -> study_repo.NoteRow:
    """A generated note joins the student's notes."""
    if study_repo.get_note(ctx.db, note_id) is None:
        raise UserError(f"note {note_id} does not exist (it may have been deleted)")
    note = study_repo.update_note(ctx.db, note_id, status="active")
    activity.record(ctx, "accept", course_id=note.course_id, ref_id=note.id, details={"what": "note"})
    return note


def reject_note(ctx, note_id: int) -> None:
    """A generated note is deleted."""
    note = study_repo.get_note(ctx.db, note_id)
    if note is not None and note.status == "pending":
        study_repo.delete_note(ctx.db, note_id, hard=True)


def describe_location(ctx, source_id: int | None, page_no: int | None, start_s: float | None,
                      end_s: float | None = None) -> str:
    """"“Title”, page 3" or "“Title”, 1:05–1:12" for an item's source link."""
    if source_id is None:
        return ""
    src = sources_repo.get(ctx.db, source_id)
    title = f"“{src.title}”" if src else f"source {source_id}"
    if start_s is not None:
        return f"{title}, {clock(start_s)}–{clock(end_s if end_s is not None else start_s)}"
    if page_no is not None:
        return f"{title}, {'slide' if src and src.kind == 'pptx' else 'page'} {page_no}"
    return title
