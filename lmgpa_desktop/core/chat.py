"""Grounded chat: answers from the student's own library, streamed, cited, and kept in conversations."""

# Small local models invent when left alone, so grounding is decided around the model, not by it:
# retrieval decides whether the library has anything relevant before any generation; only the best few
# passages go into the prompt, numbered [1]..[n]; afterwards every citation is checked against the
# passages given, an answer without one gets its sentences attributed by word overlap, and an answer the
# passages do not support is replaced by the passages' own words.

from __future__ import annotations

import itertools
import random
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.search import Hit, Scope, search
from lmgpa_desktop.storage import chat_repo, library_repo, sources_repo
from lmgpa_desktop.storage.chat_repo import ConversationRow

DEFAULT_TITLE = "New chat"
CANDIDATES = 6  # passages retrieved and judged
MAX_PASSAGES = 3  # passages put in the prompt: more only dilutes a small model's attention
ANSWER_TOKENS = 160
SAFETY_TOKENS = 16
MIN_PASSAGE_TOKENS = 40
HISTORY_SHARE = 0.25  # of the prompt budget, at most, for earlier turns
HISTORY_TURNS = 3
REGENERATE_TEMPERATURE = 0.3  # measured: at 0.6 Gemma 270M wrote unsupported answers 2 times in 12, at 0.3 none
# Relevance gate, measured with all-MiniLM-L6-v2 on a transcribed lecture: questions it answers had a best
# sentence similarity of 0.32-0.82; unrelated ones (photosynthesis, Newton, World Cup) 0.07-0.44. Similarity
# alone is enough from STRONG; between WEAK and STRONG half the question's content words must be there too.
STRONG_SIMILARITY = 0.5
WEAK_SIMILARITY = 0.3
WEAK_COVERAGE = 0.5
SUPPORT_MIN = 0.5  # share of the answer's content words the passages must contain for it to be kept
ATTRIBUTE_MIN = 0.5  # share of a sentence's content words a passage must contain to be cited for it

NOT_FOUND = ("I couldn't find anything about this in {where}, so I won't guess. "
             "Try other words, or add material that covers it.")
QUOTE_INTRO = "Here is what {where} says about it:"
INSTRUCTION = ("Answer the question in one or two short sentences using only the passages above. "
               "Cite the passage number in brackets, like [1].")
CHAT_INSTRUCTION = ("Answer the question in one to three sentences using only the passages above, and cite "
                    "the passage numbers in brackets, like [1]. If the passages do not contain the answer, say so.")
BASE_STOPS = ["\n", "Question:", "Passages:"]

STOPWORDS = frozenset("""
a an the of in on at to for by with from and or but is are was were be been being am do does did done what when
where who whom whose which why how this that these those it its as about into than then there their they them he
she his her i you your me my we our us can could would should will shall may might must not no yes so if also any
some such very just only tell explain describe give say said more most please know think mean means meant
""".split())
ANAPHORA = frozenset("it its they them their he him his she her this that these those there then".split())
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass(frozen=True)
class Citation:
    """A numbered reference in an answer and where it opens."""

    number: int
    source_id: int
    source_title: str
    location: str
    page_no: int | None
    start_s: float | None
    end_s: float | None
    region: list | None
    chunk_id: int
    snippet: str

    def to_dict(self) -> dict:
        """JSON form stored with the message."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> Citation:
        """Back from the stored JSON form (text fields missing from older or synced rows become empty)."""
        values = {k: data.get(k) for k in cls.__dataclass_fields__}
        for key in ("source_title", "location", "snippet"):
            values[key] = str(values[key] or "")
        return cls(**values)


@dataclass(frozen=True)
class Message:
    """A chat message as plain data."""

    id: int | None
    conversation_id: int | None
    role: str
    content: str
    citations: list[Citation] = field(default_factory=list)
    created_at: datetime | None = None

    @property
    def grounded(self) -> bool:
        """An answer that rests on cited passages."""
        return bool(self.citations)


@dataclass(frozen=True)
class ChatEvent:
    """One step of an answer: a streamed piece of text ("token") or the finished, stored message ("done")."""

    kind: str
    text: str = ""
    message: Message | None = None
    stopped: bool = False


@dataclass(frozen=True)
class Passage:
    """A retrieved passage judged relevant, with the sentence that matched best."""

    hit: Hit
    relevance: float
    best_sentence: str


@dataclass
class _Plan:
    """What to generate from: the passages in the prompt (numbered in order) and the prompt itself."""

    passages: list[Passage]
    where: str
    prompt: str | None = None
    messages: list[dict] | None = None
    max_tokens: int = ANSWER_TOKENS


# -- conversations -----------------------------------------------------------------------------------------------
def scope_to_dict(scope: Scope | None) -> dict | None:
    """The stored form of a scope."""
    if scope is None or (scope.source_id is None and scope.course_id is None):
        return None
    return {"source_id": scope.source_id} if scope.source_id is not None else {"course_id": scope.course_id}


def scope_of(conversation: ConversationRow) -> Scope:
    """The retrieval scope a conversation uses."""
    data = conversation.scope or {}
    return Scope(source_id=data.get("source_id"), course_id=data.get("course_id"))


def scope_label(ctx, scope: Scope | None) -> str:
    """Where a scope looks, in words: "your library", "the class Biology", "“Lecture 3”"."""
    if scope is not None and scope.source_id is not None:
        src = sources_repo.get(ctx.db, scope.source_id)
        return f"“{src.title}”" if src else "that source"
    if scope is not None and scope.course_id is not None:
        names = {c.id: c.name for c in library_repo.courses(ctx.db)}
        return f"the class {names[scope.course_id]}" if scope.course_id in names else "that class"
    return "your library"


def new_conversation(ctx, scope: Scope | None = None, title: str = DEFAULT_TITLE) -> ConversationRow:
    """Start an empty conversation."""
    return chat_repo.create_conversation(ctx.db, title, scope_to_dict(scope))


def conversations(ctx) -> list[ConversationRow]:
    """Conversations, most recently active first."""
    return chat_repo.conversations(ctx.db)


def conversation(ctx, conversation_id: int) -> ConversationRow:
    """One conversation; UserError when it is gone."""
    row = chat_repo.get_conversation(ctx.db, conversation_id)
    if row is None:
        raise UserError(f"conversation {conversation_id} does not exist (it may have been deleted)")
    return row


def rename(ctx, conversation_id: int, title: str) -> ConversationRow:
    """Give a conversation a new title."""
    title = " ".join(title.split())[:300]
    if not title:
        raise UserError("a conversation needs a title")
    return chat_repo.update_conversation(ctx.db, conversation(ctx, conversation_id).id, title=title)


def set_scope(ctx, conversation_id: int, scope: Scope | None) -> ConversationRow:
    """Where this conversation looks for answers."""
    return chat_repo.update_conversation(ctx.db, conversation(ctx, conversation_id).id, scope=scope_to_dict(scope))


def delete(ctx, conversation_id: int) -> None:
    """Delete a conversation and its messages."""
    chat_repo.delete_conversation(ctx.db, conversation_id)


def messages(ctx, conversation_id: int) -> list[Message]:
    """A conversation's messages, oldest first."""
    return [_message(m) for m in chat_repo.messages(ctx.db, conversation_id)]


def _message(row) -> Message:
    return Message(row.id, row.conversation_id, row.role, row.content,
                   [Citation.from_dict(c) for c in row.citations or []], row.created_at)


# -- asking ------------------------------------------------------------------------------------------------------
def ask(ctx, conversation_id: int, question: str, scope: Scope | None = None,
        cancel: threading.Event | None = None) -> Iterator[ChatEvent]:
    """Store the question, stream a grounded answer, store it; stops when cancel is set or the caller closes."""
    question = question.strip()
    if not question:
        raise UserError("type a question first")
    conv = conversation(ctx, conversation_id)
    if scope is not None and scope_to_dict(scope) != conv.scope:
        conv = chat_repo.update_conversation(ctx.db, conv.id, scope=scope_to_dict(scope))
    history = messages(ctx, conv.id)
    chat_repo.add_message(ctx.db, conv.id, "user", question)
    activity.record(ctx, "chat", course_id=scope_of(conv).course_id, ref_id=conv.id)
    if conv.title == DEFAULT_TITLE and not history:
        chat_repo.update_conversation(ctx.db, conv.id, title=_title_from(question))
    return _answer_and_store(ctx, conv.id, question, history, scope_of(conv), cancel, 0.0, None)


def regenerate(ctx, conversation_id: int, scope: Scope | None = None,
               cancel: threading.Event | None = None) -> Iterator[ChatEvent]:
    """Answer the last question again (sampled, so the wording differs), replacing the previous answer."""
    conv = conversation(ctx, conversation_id)
    if scope is not None and scope_to_dict(scope) != conv.scope:
        conv = chat_repo.update_conversation(ctx.db, conv.id, scope=scope_to_dict(scope))
    history = messages(ctx, conv.id)
    replace = bool(history) and history[-1].role == "assistant"
    if replace:
        history = history[:-1]
    if not history or history[-1].role != "user":
        raise UserError("there is no question to answer again")
    return _answer_and_store(ctx, conv.id, history[-1].content, history[:-1], scope_of(conv), cancel,
                             REGENERATE_TEMPERATURE, random.randrange(1, 2**31), replace)


def answer(ctx, question: str, scope: Scope | None = None,
           cancel: threading.Event | None = None) -> Iterator[ChatEvent]:
    """A one-off grounded answer that is not kept in any conversation (the command line uses this)."""
    question = question.strip()
    if not question:
        raise UserError("type a question first")
    return _answer_and_store(ctx, None, question, [], scope or Scope(), cancel, 0.0, None)


def _answer_and_store(ctx, conversation_id: int | None, question: str, history: list[Message], scope: Scope,
                      cancel: threading.Event | None, temperature: float, seed: int | None,
                      replace: bool = False) -> Iterator[ChatEvent]:
    """Plan, stream, check citations, store; a stopped answer keeps what was written so far."""

    def store(content: str, cites: list[Citation]) -> Message:
        if replace:  # the old answer gives way only once there is a new one: a stopped regenerate loses nothing
            chat_repo.delete_last_assistant(ctx.db, conversation_id)
        return _store(ctx, conversation_id, content, cites)

    plan = _plan(ctx, question, history, scope)
    if not plan.passages:
        text = NOT_FOUND.format(where=plan.where)
        yield ChatEvent("token", text)
        yield ChatEvent("done", message=store(text, []))
        return
    raw: list[str] = []
    pieces = _generate(ctx, plan, temperature, seed, cancel)
    try:
        for piece in pieces:
            raw.append(piece)
            yield ChatEvent("token", piece)
    except GeneratorExit:
        pieces.close()
        content, cites = _finish("".join(raw), plan, question, stopped=True)
        if content:
            store(content, cites)
        raise
    stopped = cancel is not None and cancel.is_set()
    content, cites = _finish("".join(raw), plan, question, stopped)
    if stopped and not content:
        yield ChatEvent("done", stopped=True)
        return
    yield ChatEvent("done", message=store(content, cites), stopped=stopped)


def _store(ctx, conversation_id: int | None, content: str, cites: list[Citation]) -> Message:
    if conversation_id is None:
        return Message(None, None, "assistant", content, cites)
    row = chat_repo.add_message(ctx.db, conversation_id, "assistant", content, [c.to_dict() for c in cites])
    return _message(row)


def _title_from(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= 60 else words[:59].rsplit(" ", 1)[0] + "…"


# -- retrieval and relevance -------------------------------------------------------------------------------------
def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _stem(word: str) -> str:
    """A crude stem so "printed", "printing" and "prints" meet."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stopwords)."""
    return {_stem(w) for w in _words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def relevant_passages(ctx, question: str, scope: Scope | None = None, k: int = CANDIDATES) -> list[Passage]:
    """Retrieved passages that really bear on the question, best first (empty: the library has nothing)."""
    hits = search(ctx, question, k=k, scope=scope)
    wanted = content_words(question)
    if not hits or not wanted:
        return []
    sentences = [_sentences(h.text) or [h.text] for h in hits]
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
    words = set(_words(question))
    return bool(words & ANAPHORA) or len(content_words(question)) < 2


def _plan(ctx, question: str, history: list[Message], scope: Scope) -> _Plan:
    where = scope_label(ctx, scope)
    # The topic is the latest earlier question that stands on its own ("tell me more" does not).
    topic = next((m.content for m in reversed(history) if m.role == "user" and not is_follow_up(m.content)), None)
    follow_up = topic is not None and is_follow_up(question)
    passages = []
    if follow_up:
        passages = relevant_passages(ctx, f"{topic} {question}", scope)
        own = content_words(question)
        if own:  # "what is photosynthesis?" after a question on printing is not about printing
            passages = [p for p in passages if own & content_words(p.hit.text)]
        follow_up = bool(passages)
    passages = passages or relevant_passages(ctx, question, scope)
    plan = _Plan(passages[:MAX_PASSAGES], where)
    if plan.passages:
        # Earlier turns only for follow-ups: a small model copies the style and content of any turn it sees.
        _build_prompt(ctx.models.llm(), plan, question, history if follow_up else [])
    return plan


# -- prompt and budget -------------------------------------------------------------------------------------------
def _turns(history: list[Message]) -> list[tuple[str, str]]:
    """Earlier (question, grounded answer) pairs, citation markers removed (their numbers meant other passages)."""
    pairs = []
    for q, a in itertools.pairwise(history):
        if q.role == "user" and a.role == "assistant" and a.grounded:
            pairs.append((q.content, _MARKER.sub("", a.content)))
    return pairs[-HISTORY_TURNS:]


def base_prompt(passages: list[str], question: str, turns: list[tuple[str, str]]) -> str:
    """A plain prompt for base models: earlier turns, passages, instruction, the question."""
    # Earlier turns first, as a chat template orders them: measured on seven follow-ups about a lecture and a book,
    # Gemma 270M answered "In what year was that?" with "15th century" when the turns sat between the instruction
    # and the question, and with the year when they came first (two better answers, none worse).
    numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(passages, 1))
    earlier = "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in turns)
    return f"{earlier}Passages:\n{numbered}\n\n{INSTRUCTION}\n\nQuestion: {question}\nAnswer:"


def _chat_messages(passages: list[str], question: str, turns: list[tuple[str, str]]) -> list[dict]:
    """Chat-template messages: earlier turns as they were, then passages and question in the last user turn."""
    out = []
    for q, a in turns:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(passages, 1))
    out.append({"role": "user", "content": f"Passages:\n{numbered}\n\n{CHAT_INSTRUCTION}\n\nQuestion: {question}"})
    return out


def _build_prompt(engine, plan: _Plan, question: str, history: list[Message]) -> None:
    """Fit passages, earlier turns and the question into the context window, in that order of priority."""
    use_chat = bool(engine.chat_template)

    def size(texts: list[str], q: str, turns: list[tuple[str, str]]) -> int:
        if use_chat:
            return engine.count_chat_tokens(_chat_messages(texts, q, turns))
        return engine.count_tokens(base_prompt(texts, q, turns)) + 1  # + BOS

    if use_chat:
        try:
            size([], question, [])
        except Exception:  # noqa: BLE001 - a template that rejects our messages: the plain format still works
            use_chat = False
    n_ctx = engine.context_size
    plan.max_tokens = max(16, min(ANSWER_TOKENS, n_ctx // 4))
    limit = n_ctx - plan.max_tokens - SAFETY_TOKENS
    q_budget = max(16, limit // 4)
    if engine.count_tokens(question) > q_budget:  # a pasted essay: keep its beginning
        question = _trim_words(engine, question, q_budget)
    turns = _turns(history)
    history_cost = size([], question, turns) - size([], question, [])
    passage_limit = limit - min(history_cost, int(limit * HISTORY_SHARE))
    texts: list[str] = []
    kept: list[Passage] = []
    for passage in plan.passages:
        room = passage_limit - size(texts + [""], question, [])
        if room < MIN_PASSAGE_TOKENS:
            break
        text = passage.hit.text
        if engine.count_tokens(text) > room:
            text = _trim_around(engine, passage, room)
        texts.append(text)
        kept.append(passage)
    while turns and size(texts, question, turns) > limit:
        turns = turns[1:]  # the oldest turn goes first
    plan.passages = kept
    if use_chat:
        plan.messages = _chat_messages(texts, question, turns)
    else:
        plan.prompt = base_prompt(texts, question, turns)


def _trim_words(engine, text: str, budget: int) -> str:
    words = text.split()
    while words and engine.count_tokens(" ".join(words)) > budget:
        words = words[: max(1, int(len(words) * 0.8))] if len(words) > 1 else []
    return " ".join(words)


def _trim_around(engine, passage: Passage, budget: int) -> str:
    """The passage cut to budget tokens, keeping its best sentence and growing around it."""
    sentences = _sentences(passage.hit.text)
    if passage.best_sentence not in sentences:
        return _trim_words(engine, passage.hit.text, budget)
    lo = hi = sentences.index(passage.best_sentence)
    cost = engine.count_tokens(sentences[lo])
    if cost > budget:
        return _trim_words(engine, sentences[lo], budget)
    while True:
        grew = False
        for candidate in (hi + 1, lo - 1):
            if 0 <= candidate < len(sentences):
                extra = engine.count_tokens(sentences[candidate]) + 1
                if cost + extra <= budget:
                    cost += extra
                    lo, hi = min(lo, candidate), max(hi, candidate)
                    grew = True
        if not grew:
            return " ".join(sentences[lo:hi + 1])


def _generate(ctx, plan: _Plan, temperature: float, seed: int | None,
              cancel: threading.Event | None) -> Iterator[str]:
    engine = ctx.models.llm()
    if plan.messages is not None:
        return engine.chat(plan.messages, max_tokens=plan.max_tokens, temperature=temperature, seed=seed,
                           cancel=cancel)
    return engine.complete(plan.prompt, max_tokens=plan.max_tokens, temperature=temperature, stop=BASE_STOPS,
                           seed=seed, cancel=cancel)


# -- checking the answer -----------------------------------------------------------------------------------------
def _finish(raw: str, plan: _Plan, question: str, stopped: bool) -> tuple[str, list[Citation]]:
    """The answer to keep and its citations, numbered in order of first mention."""
    n = len(plan.passages)
    text = _clean(raw)

    def keep_valid(match: re.Match) -> str:
        valid = sorted({int(x) for x in re.findall(r"\d+", match.group(1)) if 1 <= int(x) <= n})
        return f" [{', '.join(map(str, valid))}]" if valid else ""

    text = _MARKER.sub(keep_valid, text).strip()
    if not stopped and not _supported(text, plan):
        text = _quote(plan)
    elif not _MARKER.search(text) and text:
        text = _attribute(text, plan)
    return _renumber(text, plan)


def _clean(raw: str) -> str:
    """The model's answer without echoed prompt parts or a dangling half-line."""
    text = raw.strip()
    for echo in ("Answer:", "Question:", "Passages:"):
        if text.startswith(echo):
            text = text[len(echo):].strip()
        text = text.split(echo, 1)[0].strip()
    return text


def _supported(text: str, plan: _Plan) -> bool:
    """Whether the passages contain most of what the answer says."""
    said = content_words(_MARKER.sub("", text))
    if not said:
        return False
    known = set().union(*(content_words(p.hit.text) for p in plan.passages))
    if any(w.isdigit() and w not in known for w in said):
        return False  # a number the passages never mention (a date, an amount) is invented
    return len(said & known) / len(said) >= SUPPORT_MIN


def _attribute(text: str, plan: _Plan) -> str:
    """Add a [n] to each sentence that a passage supports; the whole answer's best passage when none does."""
    bags = [content_words(p.hit.text) for p in plan.passages]
    out, cited = [], False
    for sentence in _sentences(text):
        words = content_words(sentence)
        scores = [len(words & bag) / len(words) if words else 0.0 for bag in bags]
        best = max(range(len(bags)), key=lambda i: (scores[i], -i))
        if scores[best] >= ATTRIBUTE_MIN:
            body, end = re.match(r"(.*?)([.!?]*)$", sentence, re.DOTALL).groups()
            sentence = f"{body} [{best + 1}]{end}"
            cited = True
        out.append(sentence)
    text = " ".join(out)
    if not cited:
        words = content_words(text)
        best = max(range(len(bags)), key=lambda i: (len(words & bags[i]), -i))
        text = f"{text} [{best + 1}]"
    return text


def _quote(plan: _Plan) -> str:
    """The passages' own best sentences, cited: what to say when the model's words cannot be trusted."""
    lines = [QUOTE_INTRO.format(where=plan.where)]
    for i, passage in enumerate(plan.passages[:2], 1):
        lines.append(f"“{passage.best_sentence}” [{i}]")
    return "\n\n".join(lines)


def _renumber(text: str, plan: _Plan) -> tuple[str, list[Citation]]:
    """Number citations 1, 2, ... in order of first mention and describe each."""
    order: list[int] = []
    for match in _MARKER.finditer(text):
        for x in re.findall(r"\d+", match.group(1)):
            if int(x) not in order:
                order.append(int(x))
    mapping = {old: new for new, old in enumerate(order, 1)}

    def swap(match: re.Match) -> str:
        numbers = sorted({mapping[int(x)] for x in re.findall(r"\d+", match.group(1))})
        return " " + "".join(f"[{x}]" for x in numbers)

    text = _MARKER.sub(swap, text).strip()
    cites = []
    for old in order:
        passage = plan.passages[old - 1]
        hit = passage.hit
        cites.append(Citation(mapping[old], hit.source_id, hit.source_title, hit.location, hit.page_no, hit.start_s,
                              hit.end_s, hit.region, hit.chunk_id, _snippet(passage, text, mapping[old])))
    return text, cites


def _snippet(passage: Passage, text: str, number: int) -> str:
    """The passage sentence closest to what the answer says with [number], else the one closest to the question."""
    claims = " ".join(s for s in _sentences(text) if f"[{number}]" in s)
    words = content_words(_MARKER.sub("", claims))
    sentences = _sentences(passage.hit.text)
    best = max(sentences, key=lambda s: len(words & content_words(s)), default=passage.best_sentence)
    chosen = best if words and words & content_words(best) else passage.best_sentence
    return chosen if len(chosen) <= 240 else chosen[:239] + "…"
