"""Notes, flashcards and practice tests generated from the student's sources, waiting for review."""

# What an item asks is chosen from the student's own material first: the text is cleaned (figure labels, running
# headers, headings glued to sentences), then definitions, key sentences and what in them carries meaning (a
# defined term, a name, a figure with its unit, a technical phrase, a reason; never the topic word) are found
# without a model (core.extractive, core.study_text). The instruct model then words a question for the chosen
# answer from the sentence and its neighbours, and must answer it back from the passage before it is kept
# (core.item_writer). Wrong choices come from the same material, of the answer's kind (core.distractors). Items
# that fail a check against their passage are dropped, near-duplicates removed, the best kept, and all of them
# wait for the student to accept, edit or reject.

from __future__ import annotations

import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.study import item_writer
from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.study import text_items as ex
from lmgpa_desktop.core.study import study_text as st
from lmgpa_desktop.core.study.chat import STOPWORDS, content_words
from lmgpa_desktop.core.study.distractors import Pool as Distractors
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.jobs import Cancelled, JobContext, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core.library.search import Hit
from lmgpa_desktop.storage import search_repo, sources_repo, study_repo
from lmgpa_desktop.storage.study_repo import CardDraft, CardRow, QuestionDraft, QuestionRow

WHAT = ("notes", "flashcards", "quiz")
DEFAULT_COUNT = {"flashcards": 10, "quiz": 8, "notes": 0}
MAX_COUNT = 100
AUDIO_KINDS = ("audio", "video", "recording")
DUPLICATE_SIMILARITY = 88  # rapidfuzz token_set_ratio at or above which two items say the same
SUPPORT_MIN = 0.8  # share of an answer's content words its passage must contain
LLM_SHARE = 0.5  # of the items asked for, this many are model-worded questions (the rest need no model)
LLM_TRIES = 2.5  # planned sentences tried per model question wanted (some fail their checks)
HEARD_SENTENCE = 0.45  # a recorded sentence with a word Whisper heard less surely than this is left out
HEARD_ANSWER = 0.5  # and an answer with a word it gave less than this is never asked for
TF_PREFIX = "True or false? "
FLASHCARD_SHARES = {"definition": 0.3, "llm": 0.5, "cloze": 0.2}
AUDIO_SEGMENT_MATCH = 0.6  # share of a transcript segment's words in a quote for the segment to be its location
FIRST_PERSON = re.compile(r"\b(?:I|I’ll|I'll|I’m|I'm|me|my)\b")
STOP_TERMS = frozenset("this that it these those there here which what something anything".split())


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
    dropped: dict = field(default_factory=dict)  # why model-written items were left out, and how many
    notes: list = field(default_factory=list)  # what the student should know about this run

    def as_dict(self) -> dict:
        """Plain form for the job result."""
        return dict(self.__dict__)


@dataclass
class Material:
    """Passages (cleaned) and what the extractive pass found in them."""

    passages: list[Hit]
    sentences: list[tuple[str, int]]  # (sentence, passage index), cleaned prose only, in reading order
    terms: list[ex.Term]
    definitions: list[tuple[ex.Definition, int]]
    key: list[tuple[str, float, int]]  # (sentence, score, passage index), best first
    topic: set[str] = field(default_factory=set)  # terms in so many sentences that hiding one tests nothing
    unsure: dict[int, dict[str, float]] = field(default_factory=dict)  # source -> word -> lowest Whisper probability

    def context(self, sentence: str, width: int = 1) -> str:
        """The sentence with its neighbours in the same passage (what the model reads to word a question)."""
        at = next((k for k, (s, _) in enumerate(self.sentences) if s == sentence), None)
        if at is None:
            return sentence
        i = self.sentences[at][1]
        around = [s for s, j in self.sentences[max(0, at - width):at + width + 1] if j == i]
        return " ".join(around)

    def heard(self, text: str, passage: Hit) -> float:
        """How surely Whisper heard the least sure word that carries meaning in text (1.0 for documents)."""
        probs = self.unsure.get(passage.source_id)
        if not probs:
            return 1.0
        words = [w for w in ex.normalize(text).split() if w not in STOPWORDS] or ex.normalize(text).split()
        return min((probs.get(w, 1.0) for w in words), default=1.0)


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


def heard_words(ctx, passages: list[Hit]) -> dict[int, dict[str, float]]:
    """For each recording among the passages' sources: each word and how surely Whisper heard it (the mean of its
    probabilities there, so one unsure "the" does not taint every "the", but a misheard name stays unsure)."""
    out: dict[int, dict[str, float]] = {}
    for source_id in dict.fromkeys(p.source_id for p in passages if p.source_kind in AUDIO_KINDS):
        current = transcripts.current(ctx, source_id)
        seen: dict[str, list[float]] = {}
        for seg in current.segments if current else []:
            if getattr(seg, "edited", False):
                continue  # the student's own wording is trusted
            for w in seg.words or []:
                if len(w) >= 4 and w[3] is not None:
                    for norm in ex.normalize(str(w[2])).split():
                        seen.setdefault(norm, []).append(float(w[3]))
        out[source_id] = {w: sum(p) / len(p) for w, p in seen.items()}
    return out


def analyse(passages: list[Hit], unsure: dict[int, dict[str, float]] | None = None) -> Material:
    """Cleaned prose sentences (each once, with its passage), key terms, definitions and key sentences."""
    passages = [replace(p, text=st.clean_passage(p.text)) for p in passages]
    located: list[tuple[str, int]] = []
    for source_id in dict.fromkeys(p.source_id for p in passages):
        members = [i for i, p in enumerate(passages) if p.source_id == source_id]
        audio = passages[members[0]].source_kind in AUDIO_KINDS
        pages = None if audio else [passages[i].page_no or passages[i].chunk_id for i in members]
        located += [(s, members[k]) for s, k in st.prose_sentences([passages[i].text for i in members], pages,
                                                                   clean=False)]
    located.sort(key=lambda x: x[1])
    unique = ex.unique_sentences([s for s, _ in located])
    where = {}
    for s, i in located:
        where.setdefault(s, i)
    sentences = [(s, where[s]) for s in unique]
    m = Material(passages, sentences, [], [], [], unsure=unsure or {})
    m.topic = st.topic_terms([s for s, _ in sentences], [])  # what the whole material is about, heard or not
    if unsure:  # a sentence with a word Whisper barely heard is not a fact to learn
        sentences = [(s, i) for s, i in sentences if m.heard(s, passages[i]) >= HEARD_SENTENCE]
        m.sentences = sentences
    definitions = []
    seen_terms = set()
    lowered = " ".join(s for s, _ in sentences)
    for s, i in sentences:
        d = ex.definition(s)
        if d and d.term.lower() not in seen_terms and len(d.term) > 1:
            seen_terms.add(d.term.lower())
            if d.term[:1].isupper() and f" {d.term[:1].lower()}{d.term[1:]}" in lowered:
                d = replace(d, term=d.term[:1].lower() + d.term[1:])  # capitalised only as a sentence start
            definitions.append((d, i))
    m.definitions = definitions
    m.terms = ex.key_terms([s for s, _ in sentences], [d.term for d, _ in definitions])
    m.topic |= st.topic_terms([s for s, _ in sentences], m.terms)
    index = dict(sentences)
    m.key = [(s, score, index[s]) for s, score in ex.key_sentences([s for s, _ in sentences], m.terms, limit=80)]
    return m


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
        if d.term.lower() in STOP_TERMS or m.heard(d.sentence, m.passages[i]) < HEARD_ANSWER:
            continue
        back = d.definition.rstrip(" .") + "."
        out.append(Item("basic", ex.question_for(d.term, d.definition, d.style, d.sentence), back, d.sentence, m.passages[i],
                        "definition", 3.0 + d.score))
    return out


@dataclass(frozen=True)
class Plan:
    """A key sentence and what a card about it asks for."""

    sentence: str
    score: float
    passage: int
    target: st.Target


def plans(m: Material, used: set[str] = frozenset()) -> list[Plan]:
    """Key sentences (best first, definitions and used ones left out) with the best thing to ask in each."""
    defined = {d.term for d, _ in m.definitions}
    out = []
    for sentence, score, i in m.key:
        if ex.normalize(sentence) in used or ex.definition(sentence):
            continue
        options = st.targets(sentence, m.terms, defined, m.topic)
        cause = st.cause_of(sentence)
        if cause:
            options.append(cause)
        options = [t for t in options if m.heard(t.text, m.passages[i]) >= HEARD_ANSWER]
        if options:
            best = max(options, key=lambda t: t.score)
            weight = 0.3 if FIRST_PERSON.search(sentence) else 1.0  # the author's asides are not facts to learn
            out.append(Plan(sentence, score * best.score * weight, i, best))
    out.sort(key=lambda p: -p.score)
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


# -- the model's part --------------------------------------------------------------------------------------------
def writer_for(ctx, request: Request, stats: Stats):
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


# -- flashcards --------------------------------------------------------------------------------------------------
def flashcard_items(ctx, m: Material, request: Request, stats: Stats, cancel: threading.Event | None,
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


# -- practice tests ----------------------------------------------------------------------------------------------
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


def quiz_items(ctx, m: Material, request: Request, stats: Stats,
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
    engine = writer_for(ctx, request, stats) if top else None
    if engine is not None:
        stats.llm_tried += 1
        summary = llm_summary(engine, " ".join(top), cancel)
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
    m = analyse(passages, heard_words(ctx, passages))
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
