"""The language model's part in study items: writing a question for a chosen answer, and answering it back."""

# The extraction chooses the sentence and the answer; the instruct model only words the question, the way a
# teacher would, from the sentence and its neighbours. A question is kept only if the same model, given the
# passage, answers it with the chosen answer (so the key is right and the question asks what it should), and
# if it reads as a question (ends with "?", does not contain its answer, is not a loop). Every call goes through
# a small grammar so the reply always has the right shape; the engine checks it lazily, so it costs little.

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from rapidfuzz import fuzz

from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.words import content_words

QUESTION_TOKENS = 48
ANSWER_TOKENS = 24
SUMMARY_TOKENS = 90
QUESTION_GRAMMAR = 'root ::= [A-Z] [^\\n?]{6,200} "?"\n'
LINE_GRAMMAR = 'root ::= [^\\n]{1,160}\n'
SUMMARY_GRAMMAR = 'root ::= [A-Z] [^\\n]{20,400} "."\n'
ANSWER_MATCH = 80  # rapidfuzz token_set_ratio at which the model's answer is the chosen one
WH_START = re.compile(r"^(?:what|which|who|whom|whose|when|where|why|how|in what|in which|on what|at what|to what|"
                      r"from what|by what|for what|with what|is|are|was|were|do|does|did|can|could|should|would|"
                      r"has|have|had|name|according)\b", re.IGNORECASE)

QUESTION_SYSTEM = ("You are a teacher writing flashcards for students. You are given a short passage and an "
                   "answer copied from it. Write one question about the passage whose correct answer is exactly "
                   "that answer. Use the passage's own words. The question must make sense on its own, must not "
                   "contain the answer's words, and must end with a question mark. Reply with the question only.")
QUESTION_SHOTS = [
    ("Passage: The mitochondrion is the organelle that produces most of the cell's energy. It does this through "
     "cellular respiration.\nAnswer: mitochondrion", "Which organelle produces most of the cell's energy?"),
    ("Passage: Water boils at 100 degrees Celsius at sea level. On a high mountain it boils at a lower "
     "temperature.\nAnswer: 100 degrees Celsius", "At what temperature does water boil at sea level?"),
    ("Passage: Printing with movable metal type was developed in Europe by Johannes Gutenberg around 1440.\n"
     "Answer: Johannes Gutenberg", "Who developed printing with movable metal type in Europe?"),
    ("Passage: Leaves look green because chlorophyll reflects green light and absorbs red and blue light.\n"
     "Answer: because chlorophyll reflects green light", "Why do leaves look green?"),
    ("Passage: Igneous rocks form when magma cools. Sedimentary rocks are made of layers of sand and mud that "
     "were pressed together.\nAnswer: sedimentary rocks", "Which rocks are made of layers of sand and mud?"),
]
ANSWER_SYSTEM = ("Answer the question using only the passage. Reply with the shortest phrase from the passage "
                 "that answers it, nothing else.")
ANSWER_SHOTS = [
    ("Passage: The Treaty of Versailles was signed in 1919 by the Allied powers and Germany.\n"
     "Question: In what year was the Treaty of Versailles signed?", "1919"),
]
SUMMARY_SYSTEM = ("Summarize the key points in one or two plain sentences, using only facts they state. "
                  "Reply with the summary only.")


@dataclass
class Written:
    """What the model wrote for one planned item, and whether it survived the checks."""

    question: str | None
    reason: str  # "", or why it was dropped: not written, malformed, gives the answer away, answered otherwise
    answered: str = ""


def usable(engine) -> bool:
    """Whether the model can write items (it needs a chat template: a base model only rambles)."""
    try:
        return bool(engine.chat_template)
    except Exception:  # a broken model file: the caller reports it when it generates
        return False


def _messages(system: str, shots: list[tuple[str, str]], user: str) -> list[dict]:
    msgs = [{"role": "system", "content": system}]
    for u, a in shots:
        msgs += [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
    msgs.append({"role": "user", "content": user})
    return msgs


def _ask(engine, messages: list[dict], grammar: str, max_tokens: int, cancel: threading.Event | None) -> str:
    return "".join(engine.chat(messages, max_tokens=max_tokens, temperature=0.0, grammar=grammar,
                               repeat_penalty=1.0, cancel=cancel)).strip()


QUESTION_FRAME = frozenset("""name named called call kind kinds type types year years many much percentage percent
number amount long often term word example main purpose reason role happen happened happens mean means meant
describe described according passage text mentioned""".split())


def _prefix(word: str) -> str:
    return word.lower()[:5]


def grounded(question: str, context: str) -> bool:
    """Whether every word that carries meaning in a question comes from its passage ("Who wrote the first
    Bible?" from a passage that says "printed" is a different question, even if its answer is the same)."""
    known = {_prefix(w) for w in ex.words(context)}
    for w in ex.words(question):
        low = w.lower()
        if low in QUESTION_FRAME or not content_words(low) or low.isdigit() and low in context:
            continue
        if _prefix(low) not in known:
            return False
    return True


NEAR_WORDS = 6  # a question's own words must meet its answer within this many words of the passage


def about_answer(question: str, context: str, answer: str) -> bool:
    """Whether the question asks about the answer's part of the passage: one of its words that carry meaning stands
    near the answer ("When was Watson fired?" for "... fired ..., called on Flint and, in 1914, was offered ..."
    asks about another clause, so its answer would be wrong)."""
    tokens = [w.lower() for w in ex.words(context)]
    target = [w.lower() for w in ex.words(answer)]
    asked = {_prefix(w) for w in ex.words(question) if content_words(w) and w.lower() not in QUESTION_FRAME}
    asked -= {_prefix(w) for w in target}
    if not target or not asked:
        return bool(target)
    for at in range(len(tokens) - len(target) + 1):
        if tokens[at:at + len(target)] == target:
            window = tokens[max(0, at - NEAR_WORDS):at] + tokens[at + len(target):at + len(target) + NEAR_WORDS]
            if asked & {_prefix(w) for w in window if content_words(w)}:
                return True
    return False


def well_formed(question: str, answer: str) -> str:
    """"" when a question reads as one about something else than its answer; else what is wrong with it."""
    if not question.endswith("?") or question.count("?") != 1:
        return "does not end as a question"
    found = ex.words(question)
    if len(found) < 4 or len(found) > 35:
        return "too short or too long"
    if not WH_START.match(question):
        return "does not read as a question"
    low = [w.lower() for w in found]
    if any(low.count(w) > 2 for w in set(low)) or any(a == b for a, b in zip(low, low[1:])):
        return "repeats itself"  # a loop ("the program program"), not a word used twice on purpose
    hidden = ex.normalize(answer)
    if hidden and f" {hidden} " in f" {ex.normalize(question)} ":
        return "gives its answer away"
    said = content_words(answer)
    if said and len(said) <= 3 and said <= content_words(question):
        return "gives its answer away"
    return ""


def same_answer(said: str, expected: str) -> bool:
    """Whether the model's answer is the chosen one (the same words, maybe with a few more or fewer)."""
    a, b = ex.normalize(said), ex.normalize(expected)
    if not a or not b:
        return False
    if a == b or f" {b} " in f" {a} " and len(a.split()) <= len(b.split()) + 6:
        return True
    if f" {a} " in f" {b} " and len(a.split()) >= 0.6 * len(b.split()):
        return True
    digits_a, digits_b = re.findall(r"\d+", a), re.findall(r"\d+", b)
    if digits_b and digits_a != digits_b:
        return False
    return fuzz.token_set_ratio(a, b) >= ANSWER_MATCH and bool(content_words(said) & content_words(expected))


def draft_question(engine, context: str, answer: str, cancel: threading.Event | None = None) -> Written:
    """A question about context whose answer is `answer`, checked for form and wording (not yet answered back)."""
    user = f"Passage: {context}\nAnswer: {answer}"
    question = _ask(engine, _messages(QUESTION_SYSTEM, QUESTION_SHOTS, user), QUESTION_GRAMMAR, QUESTION_TOKENS,
                    cancel)
    question = " ".join(question.split())
    if not question:
        return Written(None, "not written")
    problem = well_formed(question, answer)
    if problem:
        return Written(None, problem)
    if not grounded(question, context):
        return Written(None, "asks about something the passage does not say")
    if not about_answer(question, context, answer):
        return Written(None, "asks about another part of the sentence")
    return Written(question, "")


def confirm(engine, context: str, draft: Written, answer: str, cancel: threading.Event | None = None) -> Written:
    """The draft kept only if the model, given the passage, answers it with the chosen answer."""
    said = answer_back(engine, context, draft.question, cancel)
    if not same_answer(said, answer):
        return Written(None, "answered otherwise", said)
    return Written(draft.question, "", said)


def write_question(engine, context: str, answer: str, cancel: threading.Event | None = None) -> Written:
    """A question about context whose answer is `answer`, answered back by the model before it is kept."""
    draft = draft_question(engine, context, answer, cancel)
    return draft if draft.question is None else confirm(engine, context, draft, answer, cancel)


def answer_back(engine, context: str, question: str, cancel: threading.Event | None = None) -> str:
    """The model's short answer to question from context alone."""
    user = f"Passage: {context}\nQuestion: {question}"
    return _ask(engine, _messages(ANSWER_SYSTEM, ANSWER_SHOTS, user), LINE_GRAMMAR, ANSWER_TOKENS, cancel)


def pick_choice(engine, context: str, question: str, choices: list[str],
                cancel: threading.Event | None = None) -> str | None:
    """The choice the model picks for a multiple-choice question from context (None when it picks none)."""
    letters = "ABCDEFGH"[:len(choices)]
    listed = "\n".join(f"{letter}. {c}" for letter, c in zip(letters, choices))
    user = f"Passage: {context}\nQuestion: {question}\n{listed}"
    grammar = "root ::= " + " | ".join(f'"{letter}"' for letter in letters) + "\n"
    system = "Answer the multiple-choice question using only the passage. Reply with the letter of the answer."
    out = _ask(engine, _messages(system, [], user), grammar, 2, cancel)
    return choices[letters.index(out)] if out in letters else None


def summary(engine, text: str, cancel: threading.Event | None = None) -> str:
    """One or two sentences summing up text, in the model's words (the caller checks them against text)."""
    return " ".join(_ask(engine, _messages(SUMMARY_SYSTEM, [], text), SUMMARY_GRAMMAR, SUMMARY_TOKENS,
                         cancel).split())
