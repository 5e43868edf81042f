"""Taking practice tests: attempts, grading typed answers (exact, fuzzy, then the model), scores, history."""

# Grading goes from cheap and certain to costly and uncertain: an exact match (after tidying case, articles and
# punctuation) or a near one (a typo, the answer inside a longer phrase) is decided at once; only what is left
# goes to the language model, which must answer through a grammar ("correct" or "incorrect" and one line of
# reason), so its verdict always parses.

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from lmgpa_desktop.core import activity
from lmgpa_desktop.core import extractive as ex
from lmgpa_desktop.core.chat import content_words
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.generate import describe_location
from lmgpa_desktop.core.jobs import Cancelled, JobContext, job_kind
from lmgpa_desktop.core.progress import JobError, Progress
from lmgpa_desktop.storage import study_repo
from lmgpa_desktop.storage.study_repo import AnswerRow, AttemptRow, QuestionRow, TestRow

__all__ = ["AnswerRow", "AttemptRow", "Grade", "QuestionRow", "Result", "ResultItem", "TestRow", "answer",
           "attempts", "finish", "grade", "judge", "questions", "record", "result", "start", "tests"]
TYPO_SIMILARITY = 85  # rapidfuzz ratio of tidied texts that counts as the same answer misspelt
CONTAINED_EXTRA_WORDS = 6  # a reply may wrap the expected answer in this many more words and still count
JUDGE_TOKENS = 40
VERDICT_GRAMMAR = 'root ::= " " ("correct" | "incorrect")\n'
TRUE_WORDS = {"true", "t", "yes", "y", "correct", "right"}
FALSE_WORDS = {"false", "f", "no", "n", "incorrect", "wrong"}
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
JUDGE_SHOTS = """Decide whether the student's answer means the same as the expected answer.

Question: What is the capital of France?
Expected answer: Paris
Student answer: the french capital paris
Verdict: correct. Reason: It names Paris, the expected answer.

Question: What is a variable?
Expected answer: A name that refers to a value.
Student answer: a name that stands for some value
Verdict: correct. Reason: It says the same thing in other words.

Question: What does a compiler do?
Expected answer: It translates source code into machine code before the program runs.
Student answer: it draws pictures on the screen
Verdict: incorrect. Reason: Drawing pictures is not translating source code.

Question: In what year did the French Revolution begin?
Expected answer: 1789
Student answer: 1848
Verdict: incorrect. Reason: 1848 is a different year; the revolution began in 1789.

"""  # ending on wrong answers: with a "correct" example last, the small model answered "correct" to anything


@dataclass(frozen=True)
class Grade:
    """A grade: correct or not (None: not decided yet), the points, who decided, and why."""

    correct: bool | None
    score: float
    graded_by: str | None
    reason: str


@dataclass(frozen=True)
class ResultItem:
    """One question of a finished attempt with the student's answer and where its answer is in the source."""

    question: QuestionRow
    answer: AnswerRow | None
    location: str

    @property
    def correct(self) -> bool:
        """Whether the student got it right (unanswered counts as wrong)."""
        return bool(self.answer and self.answer.correct)


@dataclass(frozen=True)
class Result:
    """A finished (or running) attempt: score, every question, and the ones got wrong."""

    attempt: AttemptRow
    test: TestRow
    items: list[ResultItem]

    @property
    def score(self) -> float:
        """Points earned."""
        return sum(i.answer.score or 0.0 for i in self.items if i.answer)

    @property
    def max_score(self) -> float:
        """Points possible."""
        return float(len(self.items))

    @property
    def percent(self) -> float:
        """Score as a percentage."""
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def wrong(self) -> list[ResultItem]:
        """Questions answered wrongly or not at all."""
        return [i for i in self.items if not i.correct]

    @property
    def elapsed_s(self) -> float | None:
        """Seconds the sitting took."""
        a = self.attempt
        return (a.finished_at - a.started_at).total_seconds() if a.finished_at else None


# -- tests and questions -----------------------------------------------------------------------------------------
def tests(ctx, status: str | None = "ready") -> list[TestRow]:
    """Practice tests, newest first."""
    return study_repo.tests(ctx.db, status)


def get_test(ctx, test_id: int) -> TestRow:
    """One test; UserError when it is gone."""
    test = study_repo.get_test(ctx.db, test_id)
    if test is None:
        raise UserError(f"practice test {test_id} does not exist (it may have been deleted)")
    return test


def questions(ctx, test_id: int) -> list[QuestionRow]:
    """The accepted questions of a test, in order."""
    return study_repo.questions(ctx.db, test_id, status="active")


def set_time_limit(ctx, test_id: int, seconds: int | None) -> TestRow:
    """Give a test a time limit (None: untimed)."""
    return study_repo.update_test(ctx.db, get_test(ctx, test_id).id,
                                  time_limit_s=int(seconds) if seconds and seconds > 0 else None)


def rename_test(ctx, test_id: int, title: str) -> TestRow:
    """Give a test a new title."""
    title = " ".join(title.split())
    if not title:
        raise UserError("a practice test needs a title")
    return study_repo.update_test(ctx.db, get_test(ctx, test_id).id, title=title[:500])


def delete_test(ctx, test_id: int) -> None:
    """Delete a test (its past attempts stay in the history)."""
    study_repo.delete_test(ctx.db, test_id)


# -- grading -----------------------------------------------------------------------------------------------------
def tidy(text: str) -> str:
    """Lower case, no articles, no punctuation, single spaces."""
    return " ".join(_ARTICLES.sub(" ", ex.normalize(text)).split())


def _choice_of(question: QuestionRow, response: str) -> str:
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


def _numbers(text: str) -> list[str]:
    """The figures in a text: a misspelt word is a typo, a different number is a different answer."""
    return re.findall(r"\d+", text)


def grade(question: QuestionRow, response: str) -> Grade:
    """Exact and fuzzy grading; correct None when only the model can tell (a short answer in other words)."""
    response = response.strip()
    if not response:
        return Grade(False, 0.0, "exact", "No answer was given.")
    expected = question.answer
    if question.kind in ("mcq", "tf"):
        chosen = _choice_of(question, response)
        if tidy(chosen) == tidy(expected):
            return Grade(True, 1.0, "exact", "Right choice.")
        return Grade(False, 0.0, "exact", f"You chose “{chosen}”; the answer is “{expected}”.")
    said, wanted = tidy(response), tidy(expected)
    if said == wanted:
        return Grade(True, 1.0, "exact", "Matches the expected answer.")
    if wanted and fuzz.ratio(said, wanted) >= TYPO_SIMILARITY and _numbers(said) == _numbers(wanted):
        return Grade(True, 1.0, "fuzzy", f"Close enough to “{expected}” (spelling).")
    if len(wanted.split()) <= 2 and _numbers(wanted) and _numbers(said) and _numbers(said) != _numbers(wanted):
        return Grade(False, 0.0, "exact", f"The expected answer is “{expected}”.")  # another year or figure
    said_words, wanted_words = content_words(response), content_words(expected)
    if wanted_words and wanted_words <= said_words and \
            len(said.split()) <= len(wanted.split()) + CONTAINED_EXTRA_WORDS:
        return Grade(True, 1.0, "fuzzy", f"Contains the expected answer “{expected}”.")
    if wanted and len(wanted.split()) <= 2 and fuzz.partial_ratio(wanted, said) < 50 and \
            not (said_words & wanted_words):
        return Grade(False, 0.0, "fuzzy", f"The expected answer is “{expected}”.")
    if wanted_words and not said_words & wanted_words:
        # The small default model calls most replies "correct"; one sharing no key word with the answer
        # is not left to it (measured: it accepted "a kind of loop" for "a name that refers to a value").
        return Grade(False, 0.0, "fuzzy", f"It shares no key word with the expected answer “{expected}”.")
    return Grade(None, 0.0, None, "")


def judge(engine, question: QuestionRow, response: str, cancel: threading.Event | None = None) -> Grade:
    """The language model's verdict on a typed answer, with a one-line reason."""
    prompt = (f"{JUDGE_SHOTS}Question: {question.prompt}\nExpected answer: {question.answer}\n"
              f"Student answer: {' '.join(response.split())}\nVerdict:")
    # The verdict goes through a grammar so it always parses; the reason is written freely, because llama.cpp
    # checks a grammar against the whole vocabulary at every token (free text is ~6x faster with this model).
    verdict = "".join(engine.complete(prompt, max_tokens=4, temperature=0.0, grammar=VERDICT_GRAMMAR,
                                      cancel=cancel)).strip()
    if verdict not in ("correct", "incorrect") or (cancel is not None and cancel.is_set()):
        return Grade(None, 0.0, None, "")  # stopped before the verdict was written
    reason = "".join(engine.complete(f"{prompt} {verdict}. Reason:", max_tokens=JUDGE_TOKENS, temperature=0.0,
                                     stop=["\n", "Question:"], cancel=cancel)).strip()
    reason = reason or ("Means the same as the expected answer." if verdict == "correct" else
                        f"The expected answer is “{question.answer}”.")
    if not reason.endswith((".", "!", "?")):
        reason = reason.rstrip(" ,;:") + "…"
    ok = verdict == "correct"
    return Grade(ok, 1.0 if ok else 0.0, "llm", reason)


# -- attempts ----------------------------------------------------------------------------------------------------
def start(ctx, test_id: int) -> AttemptRow:
    """Begin a sitting of a test that has questions."""
    test = get_test(ctx, test_id)
    if not questions(ctx, test.id):
        raise UserError("this test has no accepted questions yet: review it first")
    return study_repo.create_attempt(ctx.db, test.id)


def _question(ctx, attempt_id: int, question_id: int) -> tuple[AttemptRow, QuestionRow]:
    attempt = study_repo.get_attempt(ctx.db, attempt_id)
    if attempt is None:
        raise UserError("that attempt no longer exists")
    if attempt.finished_at is not None:
        raise UserError("this attempt is finished; start a new one to answer again")
    found = [q for q in study_repo.questions(ctx.db, attempt.test_id, status="active") if q.id == question_id]
    if not found:
        raise UserError("that question is not part of this test")
    return attempt, found[0]


def record(ctx, attempt_id: int, question_id: int, response: str) -> AnswerRow:
    """Keep an answer, graded at once when exact or fuzzy matching can tell (else left for finish())."""
    _, question = _question(ctx, attempt_id, question_id)
    g = grade(question, response)
    return study_repo.save_answer(ctx.db, attempt_id, question_id, response.strip(), g.correct, g.score,
                                  g.graded_by, g.reason or None)


def answer(ctx, attempt_id: int, question_id: int, response: str, use_llm: bool = True,
           cancel: threading.Event | None = None) -> AnswerRow:
    """Keep and grade an answer now, asking the model in this thread when needed (it waits for the model)."""
    _, question = _question(ctx, attempt_id, question_id)
    g = grade(question, response)
    if g.correct is None and use_llm:
        g = judge(ctx.models.llm(), question, response, cancel)
    return study_repo.save_answer(ctx.db, attempt_id, question_id, response.strip(), g.correct, g.score,
                                  g.graded_by, g.reason or None)


def grade_pending(ctx, attempt_id: int, use_llm: bool = True, cancel: threading.Event | None = None):
    """Have the model grade the answers matching could not decide; yields Progress."""
    attempt = study_repo.get_attempt(ctx.db, attempt_id)
    if attempt is None:
        raise UserError("that attempt no longer exists")
    by_id = {q.id: q for q in study_repo.questions(ctx.db, attempt.test_id)}
    waiting = [a for a in study_repo.answers(ctx.db, attempt_id) if a.correct is None and a.question_id in by_id]
    for n, a in enumerate(waiting, 1):
        yield Progress(n - 1, len(waiting), f"grading answer {n} of {len(waiting)}")
        question = by_id[a.question_id]
        g = judge(ctx.models.llm(), question, a.response, cancel) if use_llm else \
            Grade(False, 0.0, "fuzzy", f"The expected answer is “{question.answer}”.")
        if g.correct is None:
            return
        study_repo.save_answer(ctx.db, attempt_id, a.question_id, a.response, g.correct, g.score, g.graded_by,
                               g.reason)
    yield Progress(len(waiting), len(waiting), "graded")


def finish(ctx, attempt_id: int, use_llm: bool = True, cancel: threading.Event | None = None) -> Result:
    """Grade what is left, score the attempt and close it (unanswered questions score nothing)."""
    for _ in grade_pending(ctx, attempt_id, use_llm, cancel):
        pass
    return _close(ctx, attempt_id)


def _close(ctx, attempt_id: int) -> Result:
    current = result(ctx, attempt_id)
    if current.attempt.finished_at is None:
        study_repo.finish_attempt(ctx.db, attempt_id, current.score, current.max_score)
        closed = result(ctx, attempt_id)
        activity.record(ctx, "test", course_id=closed.test.course_id, ref_id=attempt_id,
                        at=closed.attempt.finished_at,
                        details={"test_id": closed.test.id, "score": closed.score, "max_score": closed.max_score,
                                 "percent": round(closed.percent, 1), "elapsed_s": closed.elapsed_s,
                                 "started_at": closed.attempt.started_at.isoformat()})
        return closed
    return current


@job_kind("practice.grade", queue="llm")
def grade_job(job: JobContext, payload: dict):
    """Grade an attempt's remaining typed answers with the model and close it with its score."""
    ctx = job.services
    attempt_id = int(payload["attempt_id"])
    if study_repo.get_attempt(ctx.db, attempt_id) is None:
        raise JobError(f"attempt {attempt_id} no longer exists")
    yield Progress(0, None, "grading")
    cancel = job.cancel_event
    yield from grade_pending(ctx, attempt_id, bool(payload.get("use_llm", True)), cancel)
    if cancel.is_set():
        raise Cancelled  # the attempt stays open: its answers can still be graded later
    done = _close(ctx, attempt_id)
    return {"attempt_id": attempt_id, "score": done.score, "max_score": done.max_score}


def result(ctx, attempt_id: int) -> Result:
    """An attempt with its test, every question, the answers and where each answer is in the source."""
    attempt = study_repo.get_attempt(ctx.db, attempt_id)
    if attempt is None:
        raise UserError("that attempt no longer exists")
    test = study_repo.get_test(ctx.db, attempt.test_id) or TestRow(attempt.test_id, "", "(deleted test)", None, [],
                                                                    None, "ready", 0, 0, attempt.started_at)
    given = {a.question_id: a for a in study_repo.answers(ctx.db, attempt_id)}
    items = [ResultItem(q, given.get(q.id), describe_location(ctx, q.source_id, q.source_page, q.source_start_s,
                                                              q.source_end_s))
             for q in study_repo.questions(ctx.db, attempt.test_id, status="active")]
    return Result(attempt, test, items)


def attempts(ctx, test_id: int | None = None) -> list[AttemptRow]:
    """Past sittings, newest first (analytics reads these)."""
    return study_repo.attempts(ctx.db, test_id)


def time_left(test: TestRow, attempt: AttemptRow, now: datetime) -> float | None:
    """Seconds left in a timed attempt (None: untimed); never below zero."""
    if not test.time_limit_s:
        return None
    return max(0.0, test.time_limit_s - (now - attempt.started_at).total_seconds())
