"""Chat prompts: passages, earlier turns and the question fitted into the model's context window."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from lmgpa_desktop.core.study.chat.retrieval import Passage, sentences_of
from lmgpa_desktop.core.study.chat.conversations import Message

ANSWER_TOKENS = 160
SAFETY_TOKENS = 16
MIN_PASSAGE_TOKENS = 40
# Each passage cut to its best sentence and neighbours: Qwen2.5 0.5B copied the first passage's opening instead of
# the sentence holding the answer when given whole ~200-token passages, and the prompt is evaluated faster.
PASSAGE_TOKENS = 100
HISTORY_SHARE = 0.25  # of the prompt budget, at most, for earlier turns
HISTORY_TURNS = 3
SHOTS_SHARE = 0.25  # of the prompt budget, at most, for the worked examples
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
MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")  # a citation, [1] or [1, 2]


@dataclass
class Plan:
    """What to generate from: the passages in the prompt (numbered in order) and the prompt itself."""

    passages: list[Passage]
    where: str
    question: str = ""
    prompt: str | None = None
    messages: list[dict] | None = None
    max_tokens: int = ANSWER_TOKENS


def turns_of(history: list[Message]) -> list[tuple[str, str]]:
    """Earlier (question, grounded answer) pairs, citation markers removed (their numbers meant other passages)."""
    pairs = []
    for q, a in itertools.pairwise(history):
        if q.role == "user" and a.role == "assistant" and a.grounded:
            pairs.append((q.content, MARKER.sub("", a.content)))
    return pairs[-HISTORY_TURNS:]


def numbered(passages: list[str]) -> str:
    """Passages as the prompt lists them: [1] ..., [2] ..."""
    return "\n\n".join(f"[{i}] {' '.join(text.split())}" for i, text in enumerate(passages, 1))


def base_prompt(passages: list[str], question: str, turns: list[tuple[str, str]]) -> str:
    """A plain prompt for models without a chat template: earlier turns, passages, instruction, the question."""
    # Earlier turns first, as a chat template orders them: measured on seven follow-ups about a lecture and a book,
    # Gemma 270M answered "In what year was that?" with "15th century" when the turns sat between the instruction
    # and the question, and with the year when they came first (two better answers, none worse).
    earlier = "".join(f"Question: {q}\nAnswer: {a}\n\n" for q, a in turns)
    return f"{earlier}Passages:\n{numbered(passages)}\n\n{INSTRUCTION}\n\nQuestion: {question}\nAnswer:"


def user_turn(passages: list[str], question: str) -> str:
    """The student's turn: the numbered passages, then the question."""
    return f"Passages:\n{numbered(passages)}\n\nQuestion: {question}"


def chat_messages(passages: list[str], question: str, turns: list[tuple[str, str]],
                   shots: list | None = None) -> list[dict]:
    """Chat-template messages: the rules, worked examples, earlier turns, then this question with its passages."""
    # The rules and examples never change, so llama.cpp reuses their evaluated prefix from one question to the next.
    out = [{"role": "system", "content": SYSTEM}]
    for shot_passages, q, a in CHAT_SHOTS if shots is None else shots:
        out += [{"role": "user", "content": user_turn(shot_passages, q)}, {"role": "assistant", "content": a}]
    for q, a in turns:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
    out.append({"role": "user", "content": user_turn(passages, question)})
    return out


def build_prompt(engine, plan: Plan, question: str, history: list[Message]) -> None:
    """Fit passages, earlier turns and the question into the context window, in that order of priority."""
    use_chat = bool(engine.chat_template)
    shots = CHAT_SHOTS

    def size(texts: list[str], q: str, turns: list[tuple[str, str]]) -> int:
        if use_chat:
            return engine.count_chat_tokens(chat_messages(texts, q, turns, shots))
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
        question = trim_words(engine, question, q_budget)
    turns = turns_of(history)
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
            text = trim_around(engine, passage, budget)
        texts.append(text)
        kept.append(passage)
    while turns and size(texts, question, turns) > limit:
        turns = turns[1:]  # the oldest turn goes first
    plan.passages = kept
    if use_chat:
        plan.messages = chat_messages(texts, question, turns, shots)
    else:
        plan.prompt = base_prompt(texts, question, turns)


def trim_words(engine, text: str, budget: int) -> str:
    """The beginning of text that fits in budget tokens."""
    words = text.split()
    while words and engine.count_tokens(" ".join(words)) > budget:
        words = words[: max(1, int(len(words) * 0.8))] if len(words) > 1 else []
    return " ".join(words)


def trim_around(engine, passage: Passage, budget: int) -> str:
    """The passage cut to budget tokens, keeping its best sentence and growing around it."""
    sentences = sentences_of(passage.hit.text)
    if passage.best_sentence not in sentences:
        return trim_words(engine, passage.hit.text, budget)
    lo = hi = sentences.index(passage.best_sentence)
    cost = engine.count_tokens(sentences[lo])
    if cost > budget:
        return trim_words(engine, sentences[lo], budget)
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
