"""Taking practice tests: attempts, grading typed answers (see grading), overruling a grade, scores, history."""

# Typed answers are graded in two halves: matching (exact, fuzzy) is instant and runs as each answer is kept;
# the meaning check and the language model run in the background job (practice.grade) for what matching left.

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.study import grading
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.study.items.source_locations import describe_location
from lmgpa_desktop.core.study.grading import Grade, judge, tidy
from lmgpa_desktop.core.jobs import Cancelled, JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import AnswerRow, AttemptRow, QuestionRow, TestRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["AnswerRow", "AttemptRow", "Grade", "QuestionRow", "Result", "ResultItem", "TestRow", "answer",
           "attempts", "finish", "grade", "judge", "overrule", "questions", "record", "result", "start", "tests",
           "tidy"]
GRADER_NAMES = {"exact": "matching", "fuzzy": "matching", "meaning": "the meaning check", "model": "the model",
                "llm": "the model"}  # "llm": grades kept before the meaning check existed
_OVERRULED = re.compile(r"^You marked this (?:correct|wrong)(?: \((.*)\))?\.?$", re.DOTALL)


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
def tests(ctx: AppContext, status: str | None = "ready") -> list[TestRow]:
    """Practice tests, newest first."""
    return practice_repo.tests(ctx.db, status)


def get_test(ctx: AppContext, test_id: int) -> TestRow:
    """One test; UserError when it is gone."""
    test = practice_repo.get_test(ctx.db, test_id)
    if test is None:
        raise UserError(f"practice test {test_id} does not exist (it may have been deleted)")
    return test


def questions(ctx: AppContext, test_id: int) -> list[QuestionRow]:
    """The accepted questions of a test, in order."""
    return practice_repo.questions(ctx.db, test_id, status="active")


def set_time_limit(ctx: AppContext, test_id: int, seconds: int | None) -> TestRow:
    """Give a test a time limit (None: untimed)."""
    return practice_repo.update_test(ctx.db, get_test(ctx, test_id).id,
                                  time_limit_s=int(seconds) if seconds and seconds > 0 else None)


def rename_test(ctx: AppContext, test_id: int, title: str) -> TestRow:
    """Give a test a new title."""
    title = " ".join(title.split())
    if not title:
        raise UserError("a practice test needs a title")
    return practice_repo.update_test(ctx.db, get_test(ctx, test_id).id, title=title[:500])


def delete_test(ctx: AppContext, test_id: int) -> None:
    """Delete a test (its past attempts stay in the history)."""
    practice_repo.delete_test(ctx.db, test_id)


# -- grading -----------------------------------------------------------------------------------------------------
def grade(question: QuestionRow, response: str) -> Grade:
    """Exact and fuzzy grading; correct None when only the meaning check or the model can tell."""
    return grading.match(question, response)


# -- attempts ----------------------------------------------------------------------------------------------------
def start(ctx: AppContext, test_id: int) -> AttemptRow:
    """Begin a sitting of a test that has questions."""
    test = get_test(ctx, test_id)
    if not questions(ctx, test.id):
        raise UserError("this test has no accepted questions yet: review it first")
    return practice_repo.create_attempt(ctx.db, test.id)


def _question(ctx: AppContext, attempt_id: int, question_id: int) -> tuple[AttemptRow, QuestionRow]:
    attempt = practice_repo.get_attempt(ctx.db, attempt_id)
    if attempt is None:
        raise UserError("that attempt no longer exists")
    if attempt.finished_at is not None:
        raise UserError("this attempt is finished; start a new one to answer again")
    found = [q for q in practice_repo.questions(ctx.db, attempt.test_id, status="active") if q.id == question_id]
    if not found:
        raise UserError("that question is not part of this test")
    return attempt, found[0]


def record(ctx: AppContext, attempt_id: int, question_id: int, response: str) -> AnswerRow:
    """Keep an answer, graded at once when exact or fuzzy matching can tell (else left for finish())."""
    _, question = _question(ctx, attempt_id, question_id)
    g = grade(question, response)
    return practice_repo.save_answer(ctx.db, attempt_id, question_id, response.strip(), g.correct, g.score,
                                  g.graded_by, g.reason or None)


def answer(ctx: AppContext, attempt_id: int, question_id: int, response: str, use_llm: bool = True,
           cancel: threading.Event | None = None) -> AnswerRow:
    """Keep and grade an answer now, through the whole ladder in this thread (it waits for the models)."""
    _, question = _question(ctx, attempt_id, question_id)
    g = grading.grade(ctx, question, response, use_llm, cancel)
    return practice_repo.save_answer(ctx.db, attempt_id, question_id, response.strip(), g.correct, g.score,
                                  g.graded_by, g.reason or None)


def grade_pending(ctx: AppContext, attempt_id: int, use_llm: bool = True, cancel: threading.Event | None = None):
    """Grade the answers matching could not decide, by meaning then the model; yields Progress."""
    attempt = practice_repo.get_attempt(ctx.db, attempt_id)
    if attempt is None:
        raise UserError("that attempt no longer exists")
    by_id = {q.id: q for q in practice_repo.questions(ctx.db, attempt.test_id)}
    waiting = [a for a in practice_repo.answers(ctx.db, attempt_id) if a.correct is None and a.question_id in by_id]
    for n, a in enumerate(waiting, 1):
        yield Progress(n - 1, len(waiting), f"grading answer {n} of {len(waiting)}")
        g = grading.grade(ctx, by_id[a.question_id], a.response, use_llm, cancel)
        if g.correct is None:
            return
        practice_repo.save_answer(ctx.db, attempt_id, a.question_id, a.response, g.correct, g.score, g.graded_by,
                               g.reason)
    yield Progress(len(waiting), len(waiting), "graded")


def finish(ctx: AppContext, attempt_id: int, use_llm: bool = True, cancel: threading.Event | None = None) -> Result:
    """Grade what is left, score the attempt and close it (unanswered questions score nothing)."""
    for _ in grade_pending(ctx, attempt_id, use_llm, cancel):
        pass
    return _close(ctx, attempt_id)


def _close(ctx: AppContext, attempt_id: int) -> Result:
    current = result(ctx, attempt_id)
    if current.attempt.finished_at is None:
        practice_repo.finish_attempt(ctx.db, attempt_id, current.score, current.max_score)
        closed = result(ctx, attempt_id)
        activity.record(ctx, "test", course_id=closed.test.course_id, ref_id=attempt_id,
                        at=closed.attempt.finished_at,
                        details={"test_id": closed.test.id, "score": closed.score, "max_score": closed.max_score,
                                 "percent": round(closed.percent, 1), "elapsed_s": closed.elapsed_s,
                                 "started_at": closed.attempt.started_at.isoformat()})
        return closed
    return current


def _overruled_from(answer: AnswerRow) -> str:
    """What the grader had said before the student stepped in (kept through repeated overrules)."""
    reason = (answer.reason or "").strip()
    if answer.graded_by == "student":
        found = _OVERRULED.match(reason)
        return (found.group(1) or "") if found else reason
    if answer.correct is None or not reason:
        return ""
    return f"{GRADER_NAMES.get(answer.graded_by or '', 'the grader')} said: {reason}"


def overrule(ctx: AppContext, answer_id: int, correct: bool) -> AnswerRow:
    """The student's own grade for an answer: kept with the grader's reason, and the attempt's score updated."""
    found = practice_repo.get_answer(ctx.db, answer_id)
    if found is None:
        raise UserError("that answer no longer exists")
    earlier = _overruled_from(found)
    reason = f"You marked this {'correct' if correct else 'wrong'}" + (f" ({earlier})" if earlier else ".")
    saved = practice_repo.save_answer(ctx.db, found.attempt_id, found.question_id, found.response, bool(correct),
                                   1.0 if correct else 0.0, "student", reason)
    attempt = practice_repo.get_attempt(ctx.db, found.attempt_id)
    if attempt is not None and attempt.finished_at is not None:
        current = result(ctx, attempt.id)
        practice_repo.rescore_attempt(ctx.db, attempt.id, current.score, current.max_score)
    return saved


@job_kind("practice.grade", queue="llm")
def grade_job(run: JobRun, payload: dict):
    """Grade an attempt's remaining typed answers by meaning and the model, and close it with its score."""
    ctx = run.services
    attempt_id = int(payload["attempt_id"])
    if practice_repo.get_attempt(ctx.db, attempt_id) is None:
        raise JobError(f"attempt {attempt_id} no longer exists")
    yield Progress(0, None, "grading")
    cancel = run.cancel_event
    yield from grade_pending(ctx, attempt_id, bool(payload.get("use_llm", True)), cancel)
    if cancel.is_set():
        raise Cancelled  # the attempt stays open: its answers can still be graded later
    done = _close(ctx, attempt_id)
    return {"attempt_id": attempt_id, "score": done.score, "max_score": done.max_score}


def result(ctx: AppContext, attempt_id: int) -> Result:
    """An attempt with its test, every question, the answers and where each answer is in the source."""
    attempt = practice_repo.get_attempt(ctx.db, attempt_id)
    if attempt is None:
        raise UserError("that attempt no longer exists")
    test = practice_repo.get_test(ctx.db, attempt.test_id) or TestRow(attempt.test_id, "", "(deleted test)", None, [],
                                                                    None, "ready", 0, 0, attempt.started_at)
    given = {a.question_id: a for a in practice_repo.answers(ctx.db, attempt_id)}
    items = [ResultItem(q, given.get(q.id), describe_location(ctx, q.source_id, q.source_page, q.source_start_s,
                                                              q.source_end_s))
             for q in practice_repo.questions(ctx.db, attempt.test_id, status="active")]
    return Result(attempt, test, items)


def attempts(ctx: AppContext, test_id: int | None = None) -> list[AttemptRow]:
    """Past sittings, newest first (analytics reads these)."""
    return practice_repo.attempts(ctx.db, test_id)


def time_left(test: TestRow, attempt: AttemptRow, now: datetime) -> float | None:
    """Seconds left in a timed attempt (None: untimed); never below zero."""
    if not test.time_limit_s:
        return None
    return max(0.0, test.time_limit_s - (now - attempt.started_at).total_seconds())
