"""What generation works from: the request, its passages cleaned, and what the text and Whisper's certainty say."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.library.search import Hit
from lmgpa_desktop.core.study.items import study_text as st
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.words import STOPWORDS
from lmgpa_desktop.storage import search_repo, sources_repo, study_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

WHAT = ("notes", "flashcards", "quiz")
DEFAULT_COUNT = {"flashcards": 10, "quiz": 8, "notes": 0}
MAX_COUNT = 100
AUDIO_KINDS = ("audio", "video", "recording")
HEARD_SENTENCE = 0.45  # a recorded sentence with a word Whisper heard less surely than this is left out
HEARD_ANSWER = 0.5  # and an answer with a word it gave less than this is never asked for
FIRST_PERSON = re.compile(r"\b(?:I|I’ll|I'll|I’m|I'm|me|my)\b")
STOP_TERMS = frozenset("this that it these those there here which what something anything".split())


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
    """A stored passage as a search hit."""
    return Hit(row.id, row.source_id, row.source_title, row.source_kind, text or row.text, "", row.page_no,
               row.start_s, row.end_s, row.region, 0.0)


def load_passages(ctx: AppContext, request: Request) -> list[Hit]:
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


def heard_words(ctx: AppContext, passages: list[Hit]) -> dict[int, dict[str, float]]:
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
