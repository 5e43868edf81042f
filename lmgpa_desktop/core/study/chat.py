"""Grounded chat: answers from the student's own library, streamed, cited, and kept in conversations."""

# Small local models invent when left alone, so grounding is decided around the model, not by it:
# retrieval decides whether the library has anything relevant before any generation; only the best few
# passages go into the prompt, numbered [1]..[n]; the answer is then checked sentence by sentence while it is
# written, and a sentence reaches the student only once a passage supports it (cited, its names and numbers found
# there). A user test saw 30 seconds of invented text streamed and then replaced by quotes after it had been read:
# holding each sentence until it is checked means nothing shown is ever taken back.

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
from lmgpa_desktop.core.library.search import Hit, Scope, search
from lmgpa_desktop.storage import chat_repo, library_repo, sources_repo
from lmgpa_desktop.storage.chat_repo import ConversationRow

DEFAULT_TITLE = "New chat"
CANDIDATES = 6  # passages retrieved and judged
MAX_PASSAGES = 3  # passages put in the prompt: more only dilutes a small model's attention
ANSWER_TOKENS = 160
SAFETY_TOKENS = 16
MIN_PASSAGE_TOKENS = 40
# Each passage cut to its best sentence and neighbours: Qwen2.5 0.5B copied the first passage's opening instead of
# the sentence holding the answer when given whole ~200-token passages, and the prompt is evaluated faster.
PASSAGE_TOKENS = 100
HISTORY_SHARE = 0.25  # of the prompt budget, at most, for earlier turns
HISTORY_TURNS = 3
SHOTS_SHARE = 0.25  # of the prompt budget, at most, for the worked examples
REGENERATE_TEMPERATURE = 0.3  # measured: at 0.6 Gemma 270M wrote unsupported answers 2 times in 12, at 0.3 none
# Relevance gate, measured with all-MiniLM-L6-v2 on a transcribed lecture: questions it answers had a best
# sentence similarity of 0.32-0.82; unrelated ones (photosynthesis, Newton, World Cup) 0.07-0.44. Similarity
# alone is enough from STRONG; between WEAK and STRONG half the question's content words must be there too.
STRONG_SIMILARITY = 0.5
WEAK_SIMILARITY = 0.3
WEAK_COVERAGE = 0.5
SUPPORT_MIN = 0.6  # share of a sentence's content words its passage must contain for the sentence to be shown

NOT_FOUND = ("I couldn't find anything about this in {where}, so I won't guess. "
             "Try other words, or add material that covers it.")
REFUSED = ("{where} doesn't say. The passages closest to your question don't answer it, so I won't guess. "
           "Try other words, or add material that covers it.")
QUOTE_INTRO = "Here is what {where} says about it:"
HELD_NOTE = "({n} left out: not found in {where}.)"
INSTRUCTION = ("Answer the question in one or two short sentences using only the passages above. "
               "Cite the passage number in brackets, like [1].")
BASE_STOPS = ["\n", "Question:", "Passages:"]
# For models with a chat template. One worked answer teaches the format; measured on 5 questions, Qwen2.5 0.5B given
# a worked refusal as well answered every question with "Your library doesn't say", so refusing is only a rule.
SYSTEM = ("You are a study assistant. Answer the student's question using only the numbered passages given with it. "
          "Answer in one to three complete sentences. End every sentence with the number of the passage it comes "
          "from in brackets, like [1]. Never add facts that are not in the passages. If the passages do not "
          "contain the answer, reply only: Your library doesn't say.")
CHAT_SHOTS: list[tuple[list[str], str, str]] = [
    (["The Nile flows north through eleven countries and empties into the Mediterranean Sea. Its yearly flood "
      "left fertile silt on the fields of ancient Egypt.",
      "The Amazon carries more water than any other river, about a fifth of all the fresh water that reaches "
      "the oceans."],
     "Why was the Nile important to farmers in ancient Egypt?",
     "Its yearly flood left fertile silt on the fields of ancient Egypt [1]."),
]
CHAT_STOPS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "\nPassages:", "\nQuestion:"]
CHAT_REPEAT_PENALTY = 1.0  # an answer should repeat the passage's own words; a penalty pushes the model off them

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
# A sentence is complete when the next one has begun (a capital after its end mark and any [n]) or a line ended.
_SENTENCE_DONE = re.compile(r"[.!?][\"'”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*(\s+)(?=[A-Z0-9\"“‘(])")
_LINE_DONE = re.compile(r"\S[^\S\n]*(\s*\n\s*)(?=\S)")
_ENDED = re.compile(r"[.!?][\"'”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*$")
_REFUSAL = re.compile(r"\b(does ?n[o'’]?t|do ?n[o'’]?t|did ?n[o'’]?t|cannot|can[’']t|is ?n[o'’]?t|are ?n[o'’]?t"
                      r"|no)\b.*\b(say|says|said|contain|contains|mention|mentions|mentioned|answer|information|"
                      r"state|states|provide|provides|specify|specifies)\b"
                      r"|\bnot (mentioned|stated|given|specified|provided)\b", re.IGNORECASE)
# The first sentence must carry what the question asks for: Qwen2.5 0.5B sometimes copies a passage that mentions
# the question's words but not its answer ("When was the Gutenberg Bible printed?" -> "It was printed in letters...").
_ASKS_TIME = re.compile(r"^\s*(when|(in )?what year|(in )?which year|how (long|old))\b", re.IGNORECASE)
_ASKS_COUNT = re.compile(r"^\s*how (many|much)\b", re.IGNORECASE)
_ASKS_NAME = re.compile(r"^\s*(who|whom)\b", re.IGNORECASE)
_COUNT_WORDS = frozenset("""one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
hundred thousand million billion dozen""".split())  # not "many" or "several": they do not say how many
_TIME_WORDS = _COUNT_WORDS | frozenset("first second third fourth fifth century centuries decade decades".split())
_REFUSAL_ABOUT = re.compile(r"\b(library|passages?|texts?|context|sources?|documents?|information|reading|sorry)\b"
                            r"|does ?n[o'’]?t say", re.IGNORECASE)


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
    question: str = ""
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
    """Plan, stream checked sentences, store; a stopped answer keeps the sentences already shown."""

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
    checker = _Checker(plan)
    pieces = _generate(ctx, plan, temperature, seed, cancel)
    finished = False
    try:
        for piece in pieces:
            for text in checker.feed(piece):
                yield ChatEvent("token", text)
        stopped = cancel is not None and cancel.is_set()
        finished = True
        for text in checker.finish(stopped):  # the last sentence completes only when the stream ends
            yield ChatEvent("token", text)
    except GeneratorExit:  # the caller walked away: keep the sentences it was shown
        pieces.close()
        if not finished:
            checker.finish(stopped=True)
        content, cites = checker.result()
        if content:
            store(content, cites)
        raise
    content, cites = checker.result()
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
    plan = _Plan(passages[:MAX_PASSAGES], where, question)
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


def _numbered(passages: list[str]) -> str:
    return "\n\n".join(f"[{i}] {' '.join(text.split())}" for i, text in enumerate(passages, 1))


def base_prompt(passages: list[str], question: str, turns: list[tuple[str, str]]) -> str:
    """A plain prompt for models without a chat template: earlier turns, passages, instruction, the question."""
    # Earlier turns first, as a chat template orders them: measured on seven follow-ups about a lecture and a book,
    # Gemma 270M answered "In what year was that?" with "15th century" when the turns sat between the instruction
    # and the question, and with the year when they came first (two better answers, none worse).
    earlier = "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in turns)
    return f"{earlier}Passages:\n{_numbered(passages)}\n\n{INSTRUCTION}\n\nQuestion: {question}\nAnswer:"


def _user_turn(passages: list[str], question: str) -> str:
    return f"Passages:\n{_numbered(passages)}\n\nQuestion: {question}"


def _chat_messages(passages: list[str], question: str, turns: list[tuple[str, str]],
                   shots: list | None = None) -> list[dict]:
    """Chat-template messages: the rules, worked examples, earlier turns, then this question with its passages."""
    # The rules and examples never change, so llama.cpp reuses their evaluated prefix from one question to the next.
    out = [{"role": "system", "content": SYSTEM}]
    for shot_passages, q, a in CHAT_SHOTS if shots is None else shots:
        out += [{"role": "user", "content": _user_turn(shot_passages, q)}, {"role": "assistant", "content": a}]
    for q, a in turns:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    out.append({"role": "user", "content": _user_turn(passages, question)})
    return out


def _build_prompt(engine, plan: _Plan, question: str, history: list[Message]) -> None:
    """Fit passages, earlier turns and the question into the context window, in that order of priority."""
    use_chat = bool(engine.chat_template)
    shots = CHAT_SHOTS

    def size(texts: list[str], q: str, turns: list[tuple[str, str]]) -> int:
        if use_chat:
            return engine.count_chat_tokens(_chat_messages(texts, q, turns, shots))
        return engine.count_tokens(base_prompt(texts, q, turns)) + 1  # + BOS

    if use_chat:
        try:
            size([], question, [])
        except Exception:  # noqa: BLE001 - a template that rejects our messages: the plain format still works
            use_chat = False
    n_ctx = engine.context_size
    plan.max_tokens = max(16, min(ANSWER_TOKENS, n_ctx // 4))
    limit = n_ctx - plan.max_tokens - SAFETY_TOKENS
    if use_chat and shots:
        with_shots = size([], "", [])
        shots = []
        if with_shots - size([], "", []) <= limit * SHOTS_SHARE:  # in a small window the passages matter more
            shots = CHAT_SHOTS
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
        budget = min(room, PASSAGE_TOKENS) if use_chat else room
        if engine.count_tokens(text) > budget:
            text = _trim_around(engine, passage, budget)
        texts.append(text)
        kept.append(passage)
    while turns and size(texts, question, turns) > limit:
        turns = turns[1:]  # the oldest turn goes first
    plan.passages = kept
    if use_chat:
        plan.messages = _chat_messages(texts, question, turns, shots)
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
        return engine.chat(plan.messages, max_tokens=plan.max_tokens, temperature=temperature, stop=CHAT_STOPS,
                           repeat_penalty=CHAT_REPEAT_PENALTY, seed=seed, cancel=cancel)
    return engine.complete(plan.prompt, max_tokens=plan.max_tokens, temperature=temperature, stop=BASE_STOPS,
                           seed=seed, cancel=cancel)


# -- checking the answer, sentence by sentence -------------------------------------------------------------------
def _next_sentence(buffer: str) -> tuple[str, str, str] | None:
    """(sentence, separator, rest) once a sentence is complete: the next one has begun, or a line ended."""
    ends = [m for m in (_SENTENCE_DONE.search(buffer), _LINE_DONE.search(buffer)) if m is not None]
    if not ends:
        return None
    m = min(ends, key=lambda m: m.start(1))
    return buffer[:m.start(1)].strip(), m.group(1), buffer[m.end(1):]


def is_refusal(sentence: str) -> bool:
    """A sentence saying the passages do not hold the answer (not a claim about the subject)."""
    return not _MARKER.search(sentence) and bool(_REFUSAL.search(sentence)) and bool(_REFUSAL_ABOUT.search(sentence))


def _names_and_numbers(text: str) -> set[str]:
    """Stems of numbers and of capitalised words after the first: what an invented sentence usually gets wrong."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    out = {w for w in words if w.isdigit()}
    out |= {w.lower() for w in words[1:] if w[0].isupper() and w.lower() not in STOPWORDS and len(w) > 1}
    return {_stem(w) for w in out}


def _answers_the_kind(sentence: str, question: str) -> bool:
    """Whether a sentence carries the kind of thing the question asks for (a number for "when", a name for "who")."""
    words = re.findall(r"[A-Za-z0-9]+", sentence)
    if _ASKS_COUNT.match(question):  # "in the 15th century" does not say how many
        return any(w.isdigit() or w.lower() in _COUNT_WORDS for w in words)
    if _ASKS_TIME.match(question):
        return any(any(c.isdigit() for c in w) or w.lower() in _TIME_WORDS for w in words)
    if _ASKS_NAME.match(question):
        asked = set(_words(question))  # "Who printed the Bible?" is not answered by "the Bible"
        return any(w[0].isupper() and w.lower() not in STOPWORDS | asked for w in words)
    return True


class _Checker:
    """Turns the model's stream into sentences the passages support, cited; holds back the rest."""

    def __init__(self, plan: _Plan):
        self.plan = plan
        self.bags = [content_words(p.hit.text) for p in plan.passages]
        self.known = set().union(*self.bags) if self.bags else set()
        self.buffer = ""
        self.sep = " "  # what goes before the next sentence shown
        self.order: list[int] = []  # passage indices in order of first citation: [1] is order[0]
        self.shown: list[str] = []  # text already given to the student
        self.kept: list[str] = []  # supported sentences as shown
        self.refusals: list[str] = []  # "the passages don't say" sentences, shown only beside a supported one
        self.held: list[str] = []  # sentences the passages do not support: never shown

    def feed(self, piece: str) -> list[str]:
        """Pieces to show now, after adding piece to what the model has written."""
        self.buffer += piece
        out = []
        while (found := _next_sentence(self.buffer)) is not None:
            sentence, sep, self.buffer = found
            out += self._take(sentence, self.sep)
            self.sep = "\n" if "\n" in sep else " "  # a list stays a list
        return out

    def finish(self, stopped: bool) -> list[str]:
        """The last pieces to show: the final sentence (unless cut off by Stop), or what to say instead."""
        rest, self.buffer = self.buffer.strip(), ""
        out = []
        if rest and (not stopped or _ENDED.search(rest)):  # a stopped half-sentence is neither checked nor shown
            out += self._take(rest, self.sep)
        if self.kept:
            if self.held:
                n = len(self.held)
                out.append(self._show("\n\n" + HELD_NOTE.format(
                    n="One sentence" if n == 1 else f"{n} sentences", where=self.plan.where)))
        elif stopped:
            pass
        elif not self.refusals:
            out.append(self._show(self._quote()))  # nothing the passages support was written: their own words
        else:
            where = self.plan.where
            out.append(self._show(REFUSED.format(where=where[0].upper() + where[1:])))
        return out

    def result(self) -> tuple[str, list[Citation]]:
        """What was shown, as the answer to keep, and its citations in order of first mention."""
        text = "".join(self.shown).strip()
        cites = []
        for number, index in enumerate(self.order, 1):
            passage = self.plan.passages[index]
            hit = passage.hit
            cites.append(Citation(number, hit.source_id, hit.source_title, hit.location, hit.page_no, hit.start_s,
                                  hit.end_s, hit.region, hit.chunk_id, _snippet(passage, text, number)))
        return text, cites

    def _show(self, text: str) -> str:
        if not self.shown:
            text = text.lstrip()
        self.shown.append(text)
        return text

    def _take(self, sentence: str, sep: str) -> list[str]:
        body = " ".join(_MARKER.sub("", sentence).split())
        if not body or any(body == _MARKER.sub("", k) for k in self.kept):
            return []  # an empty line or a repeated sentence
        if is_refusal(sentence):
            self.refusals.append(body)
            return []
        cites = self._support(sentence, body)
        if cites and not self.kept and not _answers_the_kind(body, self.plan.question):
            cites = None  # a first sentence that does not answer what was asked is held like an invented one
        if cites is None:
            self.held.append(body)
            return []
        if not cites:
            return []  # no content words ("Sure.", "Here is the answer:"): nothing to show or to check
        out = [self._show(sep + r) for r in self.refusals]  # "it doesn't say X, but..." keeps its first half
        self.refusals = []
        for index in cites:
            if index not in self.order:
                self.order.append(index)
        marks = "".join(f"[{self.order.index(i) + 1}]" for i in sorted(cites, key=self.order.index))
        head, end = re.match(r"(.*?)([.!?]*[\"'”’)]*)$", body, re.DOTALL).groups()
        text = f"{head.rstrip()} {marks}{end or '.'}"
        self.kept.append(text)
        out.append(self._show(sep + text))
        return out

    def _support(self, sentence: str, body: str) -> list[int] | None:
        """Passages (indices) that support the sentence; [] for a sentence that claims nothing; None if none does."""
        words = content_words(body)
        if not words:
            return []
        if len(body.split()) < 3:
            return None  # "1455 [1]" is not a sentence, and nothing says what the number belongs to
        if body.rstrip(".").endswith("?"):
            return None  # Qwen2.5 0.5B sometimes echoes the question, whose words are all in the passages
        if not _names_and_numbers(body) <= self.known:
            return None  # a name or a number no passage mentions is invented
        numbers = {w for w in words if w.isdigit()}
        n = len(self.plan.passages)
        cited = [int(x) - 1 for m in _MARKER.finditer(sentence) for x in re.findall(r"\d+", m.group(1))
                 if 1 <= int(x) <= n]
        cover = [len(words & bag) / len(words) for bag in self.bags]
        good = [i for i in range(n) if cover[i] >= SUPPORT_MIN and numbers <= self.bags[i]]
        chosen = [i for i in dict.fromkeys(cited) if i in good]
        if chosen:
            return chosen
        if good:
            return [max(good, key=lambda i: (cover[i], -i))]
        # A sentence joining two passages: together they must hold it, each number in one that is cited.
        if len(words & self.known) / len(words) >= SUPPORT_MIN:
            pair = sorted(range(n), key=lambda i: (-cover[i], i))[:2]
            if numbers <= set().union(*(self.bags[i] for i in pair)) and \
                    len(words & set().union(*(self.bags[i] for i in pair))) / len(words) >= SUPPORT_MIN:
                return sorted(pair, key=lambda i: -cover[i])
        return None

    def _quote(self) -> str:
        """The passages' own best sentences, cited: what to say when the model wrote nothing they support."""
        lines = [QUOTE_INTRO.format(where=self.plan.where)]
        for index, passage in enumerate(self.plan.passages[:2]):
            self.order.append(index)
            lines.append(f"“{passage.best_sentence}” [{index + 1}]")
        return "\n\n".join(lines)


def check_answer(raw: str, plan: _Plan, stopped: bool = False) -> tuple[str, list[Citation]]:
    """The answer to keep from a whole model output and its citations (the streaming check, run at once)."""
    checker = _Checker(plan)
    checker.feed(raw)
    checker.finish(stopped)
    return checker.result()


def _snippet(passage: Passage, text: str, number: int) -> str:
    """The passage sentence closest to what the answer says with [number], else the one closest to the question."""
    claims = " ".join(s for s in _sentences(text) if f"[{number}]" in s)
    words = content_words(_MARKER.sub("", claims))
    sentences = _sentences(passage.hit.text)
    best = max(sentences, key=lambda s: len(words & content_words(s)), default=passage.best_sentence)
    chosen = best if words and words & content_words(best) else passage.best_sentence
    return chosen if len(chosen) <= 240 else chosen[:239] + "…"
