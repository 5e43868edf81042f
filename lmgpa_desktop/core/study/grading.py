"""Grading a typed answer: exact, fuzzy, same meaning by sentence embeddings, then the language model."""

# The ladder goes from cheap and certain to costly and uncertain, and every step gives the student a reason:
# - exact: the same words once case, articles and punctuation are tidied away;
# - fuzzy: a typo, or the answer wrapped in a few more words;
# - meaning: the embedding model's cosine similarity between the reply and the expected answer (for a short
#   answer also between question+answer and question+reply); clearly the same passes, clearly unrelated fails;
# - model: what is left (the uncertain band) goes to the language model with the question, the expected answer
#   and the source passage, whose output is constrained to a verdict and one sentence of reason.
# Two things embeddings cannot see are guarded by hand before any step may pass an answer: a negation ("not a
# value" sits next to "a value") and a different number ("1848" is as close to "1789" as words get).

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz

from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.words import content_words
from lmgpa_desktop.engines.errors import ModelError
from lmgpa_desktop.storage.practice_repo import QuestionRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

GRADERS = ("exact", "fuzzy", "meaning", "model", "student")
TYPO_SIMILARITY = 85  # rapidfuzz ratio of tidied texts that counts as the same answer misspelt
CONTAINED_EXTRA_WORDS = 6  # a reply may wrap the expected answer in this many more words and still count
# Cosine similarities of all-MiniLM-L6-v2, calibrated on the teacher-graded set in tests/test_grading.py: there
# the right answers' similarity ran from 0.55 to 0.96 and the wrong ones' from 0.19 to 0.84 (a "not", guarded
# separately) or 0.81 ("only one kind of computer"); inside their question every short answer scores 0.76-0.99,
# right ones 0.93 and up, so context only confirms a reply that is already fairly close on its own.
SAME_MEANING = 0.85  # reply vs expected answer at or above this: the same meaning
UNRELATED = 0.40  # reply vs expected answer below this (and below UNRELATED_IN_CONTEXT): a different answer
SAME_IN_CONTEXT = 0.95  # question+reply vs question+answer, for short answers, when also SAME_NEARBY alone
SAME_NEARBY = 0.60
UNRELATED_IN_CONTEXT = 0.85
CONTRADICTS = 0.75  # this close, yet one says "not" and the other does not: the reply contradicts the answer
# Measured: the default 0.5B instruct model called 28 of 32 uncertain answers "correct", 17 of them wrongly (a
# syntax error for a semantic error, multiplication for exponentiation); its "incorrect" was always right. So
# it may fail any answer, but pass one only as close as every right answer of the set was (0.55 alone, or 0.93
# inside its question).
MODEL_PASS_FLOOR = 0.55
MODEL_PASS_IN_CONTEXT = 0.93
SHORT_ANSWER_WORDS = 4  # answers this short are also compared inside their question (a lone word embeds poorly)
JUDGE_TOKENS = 60
QUOTE_CHARS = 600  # the source passage shown to the model, cut to keep the prompt small
TRUE_WORDS = {"true", "t", "yes", "y", "correct", "right"}
FALSE_WORDS = {"false", "f", "no", "n", "incorrect", "wrong"}
log = logging.getLogger(__name__)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nothing|neither|nor|cannot|without|nobody|nowhere)\b|n[’']t\b",
                       re.IGNORECASE)


@dataclass(frozen=True)
class Grade:
    """A grade: correct or not (None: not decided yet), the points, who decided, and why."""

    correct: bool | None
    score: float
    graded_by: str | None
    reason: str


UNDECIDED = Grade(None, 0.0, None, "")


def _right(by: str, reason: str) -> Grade:
    return Grade(True, 1.0, by, reason)


def _wrong(by: str, reason: str) -> Grade:
    return Grade(False, 0.0, by, reason)


# -- matching ----------------------------------------------------------------------------------------------------
def tidy(text: str) -> str:
    """Lower case, no articles, no punctuation, single spaces."""
    return " ".join(_ARTICLES.sub(" ", ex.normalize(text)).split())


def numbers(text: str) -> list[str]:
    """The figures in a text ("1,5" and "1.5" alike): a misspelt word is a typo, a different number is not."""
    return [n.replace(",", ".") for n in _NUMBER.findall(text)]


def negated(text: str) -> bool:
    """Whether a text says "not" (or no, never, without, -n't…) an odd number of times."""
    return len(_NEGATION.findall(text)) % 2 == 1


def guard(expected: str, response: str) -> str | None:
    """Why an answer may not be passed on its likeness alone (a negation or another number), or None."""
    if negated(expected) != negated(response):
        return "one of the two says “not” and the other does not"
    wanted, said = numbers(expected), numbers(response)
    if wanted and said and sorted(set(wanted)) != sorted(set(said)):
        return f"the numbers differ ({', '.join(said)} against {', '.join(wanted)})"
    if wanted and not said:
        return "the expected answer has a number and yours has none"
    return None


def choice_of(question: QuestionRow, response: str) -> str:
    """The choice a reply names: its text, its letter ("b"), or its number ("2")."""
    choices = question.choices or []
    r = response.strip()
    typed = next((c for c in choices if tidy(c) == tidy(r)), None)
    if typed is not None:  # a choice's own text wins over reading "3" as the third choice
        return typed
    if re.fullmatch(r"[A-Za-z][.)]?", r) and question.kind == "mcq":
        index = ord(r[0].lower()) - ord("a")
        if 0 <= index < len(choices):
            return choices[index]
    if re.fullmatch(r"\d+", r) and 1 <= int(r) <= len(choices):
        return choices[int(r) - 1]
    if question.kind == "tf":
        low = tidy(r)
        if low in TRUE_WORDS:
            return "True"
        if low in FALSE_WORDS:
            return "False"
    return r


def match(question: QuestionRow, response: str) -> Grade:
    """Exact and fuzzy grading; correct None when only meaning can tell (a short answer in other words)."""
    response = response.strip()
    if not response:
        return _wrong("exact", "No answer was given.")
    expected = question.answer
    if question.kind in ("mcq", "tf"):
        chosen = choice_of(question, response)
        if tidy(chosen) == tidy(expected):
            return _right("exact", "Right choice.")
        return _wrong("exact", f"You chose “{chosen}”; the answer is “{expected}”.")
    said, wanted = tidy(response), tidy(expected)
    if said == wanted:
        return _right("exact", "Matches the expected answer.")
    said_numbers, wanted_numbers = numbers(said), numbers(wanted)
    if wanted_numbers and said_numbers and set(said_numbers).isdisjoint(wanted_numbers):
        return _wrong("exact", f"The expected answer is “{expected}”.")  # another year or figure
    if guard(expected, response):
        return UNDECIDED  # "not the interpreter" is one typo away from "interpreter": left to the model
    if wanted and fuzz.ratio(said, wanted) >= TYPO_SIMILARITY:
        return _right("fuzzy", f"Close enough to “{expected}” (spelling).")
    said_words, wanted_words = content_words(response), content_words(expected)
    if wanted_words and wanted_words <= said_words and \
            len(said.split()) <= len(wanted.split()) + CONTAINED_EXTRA_WORDS:
        return _right("fuzzy", f"Contains the expected answer “{expected}”.")
    return UNDECIDED


# -- meaning -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Likeness:
    """How alike a reply and the expected answer are: alone, and (short answers) inside their question."""

    alone: float
    in_context: float | None


def likeness(embedder, question: QuestionRow, response: str) -> Likeness:
    """Cosine similarities from the embedding model (its vectors are unit length)."""
    expected, reply = question.answer.strip(), " ".join(response.split())
    texts = [expected, reply]
    short = len(expected.split()) <= SHORT_ANSWER_WORDS
    if short:
        texts += [f"{question.prompt} {expected}", f"{question.prompt} {reply}"]
    v = np.asarray(embedder.embed(texts), dtype=np.float32)
    alone = float(v[0] @ v[1])
    return Likeness(alone, float(v[2] @ v[3]) if short else None)


def by_meaning(embedder, question: QuestionRow, response: str) -> Grade:
    """Correct when clearly the same meaning, wrong when clearly unrelated; undecided in between."""
    return _meaning(question, response, likeness(embedder, question, response))


def _shown(sim: Likeness) -> float:
    return max(sim.alone, sim.in_context or 0.0)


def _meaning(question: QuestionRow, response: str, sim: Likeness) -> Grade:
    context = sim.in_context
    same = sim.alone >= SAME_MEANING or (context is not None and context >= SAME_IN_CONTEXT
                                         and sim.alone >= SAME_NEARBY)
    unrelated = sim.alone < UNRELATED and (context is None or context < UNRELATED_IN_CONTEXT)
    if same and not guard(question.answer, response):
        return _right("meaning", f"Means the same as the expected answer (similarity {_shown(sim):.2f}).")
    if unrelated:
        return _wrong("meaning", f"Does not mean the same as the expected answer “{question.answer}” "
                                 f"(similarity {sim.alone:.2f}).")
    if sim.alone >= CONTRADICTS and negated(question.answer) != negated(response):
        # Measured: the model passed "a name that does not refer to a value" (0.84) as a definition of a variable.
        return _wrong("meaning", f"Says the opposite of the expected answer “{question.answer}” (a “not” is "
                                 "added or left out).")
    return UNDECIDED


def partial(expected: str, response: str) -> bool:
    """Whether a reply gives only some of the expected answer's key words and nothing else ("a value")."""
    said, wanted = content_words(response), content_words(expected)
    return bool(said) and said < wanted


def _model_may_pass(sim: Likeness | None) -> bool:
    return sim is None or sim.alone >= MODEL_PASS_FLOOR or (sim.in_context or 0.0) >= MODEL_PASS_IN_CONTEXT


# -- the language model ------------------------------------------------------------------------------------------
JUDGE_SYSTEM = ("You grade a student's answer to a study question. Compare it with the expected answer and the "
                "source passage. The answer is correct when it means the same as the expected answer, even in "
                "other words, with a synonym or with small spelling mistakes. It is incorrect when it names a "
                "different thing, contradicts the expected answer (for example by adding \"not\"), gives a "
                "different number, or misses the main point. Reply with the verdict, then one short sentence "
                "saying why.")
# Worked examples as earlier turns: they fix the format and the strictness, and they stay the same for every
# answer, so llama.cpp reuses their evaluated tokens from one judgement to the next.
JUDGE_EXAMPLES = [  # none from the calibration set: the model is measured on answers it has not seen
    ("What does a thermometer measure?", "Temperature.", "A thermometer measures temperature.",
     "how hot or cold something is", "correct. Reason: Your answer describes temperature in other words."),
    ("What is the capital of Australia?", "Canberra", "Canberra is the capital of Australia.", "Sydney",
     "incorrect. Reason: Your answer names Sydney, a different city from Canberra."),
    ("Why do plants need sunlight?", "To make their food by photosynthesis.",
     "Plants use sunlight to make their food by photosynthesis.", "they use the light to produce their own food",
     "correct. Reason: Your answer says the same thing in other words."),
    ("What does RAM stand for?", "Random access memory",
     "RAM (random access memory) holds the programs that are running.", "read-only memory",
     "incorrect. Reason: Your answer names read-only memory, a different kind of memory."),
    ("What is the boiling point of water at sea level?", "100 degrees Celsius",
     "At sea level water boils at 100 degrees Celsius.", "one hundred degrees C",
     "correct. Reason: Your answer gives the same temperature in words."),
    ("What does a compiler do?", "It translates source code into machine code before the program runs.",
     "A compiler translates source code into machine code before the program runs.",
     "it does not translate the code", "incorrect. Reason: Your answer says the opposite of the expected answer."),
]
JUDGE_GRAMMAR = r'''root ::= verdict ". Reason: " [A-Z] [^\n]{4,200}
verdict ::= "correct" | "incorrect"
'''
# A model without a chat template (a base model chosen in Settings) continues a plain few-shot prompt instead.
BASE_VERDICT_GRAMMAR = 'root ::= " " ("correct" | "incorrect")\n'


def _turn(question: str, expected: str, quote: str | None, response: str) -> str:
    source = " ".join((quote or "").split())[:QUOTE_CHARS]
    return (f"Question: {question}\nExpected answer: {expected}\n"
            + (f"Source: {source}\n" if source else "")
            + f"Student answer: {' '.join(response.split())}")


def judge_messages(question: QuestionRow, response: str) -> list[dict]:
    """The chat the model grades through: instructions, worked examples, then this answer."""
    messages = [{"role": "system", "content": JUDGE_SYSTEM}]
    for q, expected, quote, reply, verdict in JUDGE_EXAMPLES:
        messages += [{"role": "user", "content": _turn(q, expected, quote, reply)},
                     {"role": "assistant", "content": verdict}]
    quote = question.source_quote or question.explanation
    messages.append({"role": "user", "content": _turn(question.prompt, question.answer, quote, response)})
    return messages


def _constrained_reply(engine, messages: list[dict], cancel: threading.Event | None) -> str:
    """The model's reply to messages through its chat template, constrained by JUDGE_GRAMMAR."""
    return "".join(engine.chat(messages, max_tokens=JUDGE_TOKENS, temperature=0.0, grammar=JUDGE_GRAMMAR,
                               stop=["\n"], cancel=cancel))


def _parse(reply: str) -> tuple[str, str] | None:
    found = re.match(r"\s*(correct|incorrect)\. Reason:\s*(.*)", reply, re.DOTALL)
    return (found.group(1), found.group(2).strip()) if found else None


def _finish_reason(reason: str, verdict: str, question: QuestionRow) -> str:
    reason = " ".join(reason.split())
    sentence = re.match(r"(.+?[.!?])(?:\s|$)", reason)
    reason = sentence.group(1) if sentence else reason  # one sentence
    if not reason:
        return "Means the same as the expected answer." if verdict == "correct" else \
            f"The expected answer is “{question.answer}”."
    return reason if reason.endswith((".", "!", "?")) else reason.rstrip(" ,;:") + "…"


def _judge_base(engine, question: QuestionRow, response: str, cancel: threading.Event | None) -> tuple[str, str]:
    """Verdict and reason from a base model continuing a few-shot prompt."""
    shots = "".join(f"{_turn(q, e, None, r)}\nVerdict: {v}\n\n" for q, e, _quote, r, v in JUDGE_EXAMPLES)
    prompt = (f"Decide whether the student's answer means the same as the expected answer.\n\n{shots}"
              f"{_turn(question.prompt, question.answer, None, response)}\nVerdict:")
    verdict = "".join(engine.complete(prompt, max_tokens=4, temperature=0.0, grammar=BASE_VERDICT_GRAMMAR,
                                      cancel=cancel)).strip()
    if verdict not in ("correct", "incorrect"):
        return "", ""
    reason = "".join(engine.complete(f"{prompt} {verdict}. Reason:", max_tokens=JUDGE_TOKENS, temperature=0.0,
                                     stop=["\n", "Question:"], cancel=cancel))
    return verdict, reason


def judge(engine, question: QuestionRow, response: str, cancel: threading.Event | None = None) -> Grade:
    """The language model's verdict on a typed answer, with a one-sentence reason (undecided if stopped)."""
    if engine.chat_template:
        parsed = _parse(_constrained_reply(engine, judge_messages(question, response), cancel))
        verdict, reason = parsed or ("", "")
    else:
        verdict, reason = _judge_base(engine, question, response, cancel)
    if verdict not in ("correct", "incorrect") or (cancel is not None and cancel.is_set()):
        return UNDECIDED  # stopped before the verdict was written
    ok = verdict == "correct"
    return Grade(ok, 1.0 if ok else 0.0, "model", _finish_reason(reason, verdict, question))


# -- the whole ladder --------------------------------------------------------------------------------------------
def grade(ctx: AppContext, question: QuestionRow, response: str, use_llm: bool = True,
          cancel: threading.Event | None = None) -> Grade:
    """Every step in turn until one decides; without the language model the uncertain band counts as wrong."""
    g = match(question, response)
    if g.correct is not None:
        return g
    sim = None
    try:
        sim = likeness(ctx.models.embedder(), question, response)
        g = _meaning(question, response, sim)
    except ModelError as exc:  # no embedding model (removed in Settings): the language model still can tell
        log.warning("meaning check skipped: %s", exc)
    if g.correct is not None:
        return g
    if partial(question.answer, response):
        return _wrong("meaning", f"Leaves out part of the expected answer “{question.answer}”.")
    if not use_llm:
        return _wrong("meaning", f"Not clearly the same as the expected answer “{question.answer}”.")
    g = judge(ctx.models.llm(), question, response, cancel)
    if g.correct and not _model_may_pass(sim):
        return _wrong("model", f"Not close enough in meaning to the expected answer “{question.answer}” "
                               f"(similarity {sim.alone:.2f}), though the model found it right: {g.reason}")
    return g
