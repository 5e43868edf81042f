"""Practice tests in the database: tests, their questions, attempts and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update

from lmgpa_desktop.storage.base import change_row, live_row, utcnow
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import AttemptAnswer, PracticeTest, Question, TestAttempt


@dataclass(frozen=True)
class TestRow:
    """A practice test with how many questions it has in each state."""

    __test__ = False  # not a pytest test class
    id: int
    uuid: str
    title: str
    course_id: int | None
    source_ids: list[int]
    time_limit_s: int | None
    status: str
    active: int
    pending: int
    created_at: datetime


@dataclass(frozen=True)
class QuestionDraft:
    """A question to store, with its answer key and the passage that supports it."""

    kind: str
    prompt: str
    answer: str
    choices: list[str] | None = None
    explanation: str | None = None
    source_id: int | None = None
    source_page: int | None = None
    source_start_s: float | None = None
    source_end_s: float | None = None
    source_quote: str | None = None


@dataclass(frozen=True)
class QuestionRow:
    """A question as plain data."""

    id: int
    test_id: int
    position: int
    kind: str
    prompt: str
    choices: list[str] | None
    answer: str
    explanation: str | None
    status: str
    source_id: int | None
    source_page: int | None
    source_start_s: float | None
    source_end_s: float | None
    source_quote: str | None


@dataclass(frozen=True)
class AttemptRow:
    """One sitting of a test."""

    id: int
    uuid: str
    test_id: int
    started_at: datetime
    finished_at: datetime | None
    score: float | None
    max_score: float | None


@dataclass(frozen=True)
class AnswerRow:
    """A response to one question and its grade (correct None: not graded yet)."""

    id: int
    attempt_id: int
    question_id: int
    response: str
    correct: bool | None
    score: float | None
    graded_by: str | None
    reason: str | None


def _question(q: Question) -> QuestionRow:
    return QuestionRow(q.id, q.test_id, q.position, q.kind, q.prompt, list(q.choices) if q.choices else None,
                       q.answer, q.explanation, q.status, q.source_id, q.source_page, q.source_start_s,
                       q.source_end_s, q.source_quote)


def _attempt(a: TestAttempt) -> AttemptRow:
    return AttemptRow(a.id, a.uuid, a.test_id, a.started_at, a.finished_at, a.score, a.max_score)


def _answer(a: AttemptAnswer) -> AnswerRow:
    return AnswerRow(a.id, a.attempt_id, a.question_id, a.response, a.correct, a.score, a.graded_by, a.reason)


def _counts(s, test_ids: list[int]) -> dict[int, dict[str, int]]:
    rows = s.execute(select(Question.test_id, Question.status, func.count()).where(Question.test_id.in_(test_ids))
                     .group_by(Question.test_id, Question.status))
    out: dict[int, dict[str, int]] = {}
    for test_id, status, n in rows:
        out.setdefault(test_id, {})[status] = n
    return out


def _test(t: PracticeTest, counts: dict[str, int]) -> TestRow:
    return TestRow(t.id, t.uuid, t.title, t.course_id, list(t.source_ids or []), t.time_limit_s, t.status,
                   counts.get("active", 0), counts.get("pending", 0), t.created_at)


def create_test(db: Database, title: str, source_ids: list[int], drafts: list[QuestionDraft],
                status: str = "draft", question_status: str = "pending",
                time_limit_s: int | None = None) -> tuple[int, list[int]]:
    """A test with its questions in order; returns (test id, question ids)."""
    with db.write() as s:
        t = PracticeTest(title=title, source_ids=source_ids, status=status, time_limit_s=time_limit_s)
        s.add(t)
        s.flush()
        rows = [Question(test_id=t.id, position=i, kind=d.kind, prompt=d.prompt, choices=d.choices, answer=d.answer,
                         explanation=d.explanation, source_id=d.source_id, source_page=d.source_page,
                         source_start_s=d.source_start_s, source_end_s=d.source_end_s, source_quote=d.source_quote,
                         status=question_status) for i, d in enumerate(drafts)]
        s.add_all(rows)
        s.flush()
        return t.id, [r.id for r in rows]


def get_test(db: Database, test_id: int) -> TestRow | None:
    """One live test, or None."""
    with db.read() as s:
        t = live_row(s, PracticeTest, test_id)
        return _test(t, _counts(s, [t.id]).get(t.id, {})) if t is not None else None


def tests(db: Database, status: str | None = None) -> list[TestRow]:
    """Live tests (of one status, or all), newest first."""
    with db.read() as s:
        q = select(PracticeTest).where(PracticeTest.deleted_at.is_(None)).order_by(PracticeTest.id.desc())
        if status is not None:
            q = q.where(PracticeTest.status == status)
        found = list(s.scalars(q))
        counts = _counts(s, [t.id for t in found])
        return [_test(t, counts.get(t.id, {})) for t in found]


def update_test(db: Database, test_id: int, **fields) -> TestRow:
    """Change a test's title, status or time limit."""
    with db.write() as s:
        t = change_row(s, PracticeTest, test_id, fields)
        return _test(t, _counts(s, [t.id]).get(t.id, {}))


def delete_test(db: Database, test_id: int) -> None:
    """Remove a test: a tombstone; its questions and attempts stay for the analytics of past sittings."""
    with db.write() as s:
        t = s.get(PracticeTest, test_id)
        if t is not None:
            t.deleted_at = utcnow()


def questions(db: Database, test_id: int | None = None, status: str | None = None,
              ids: list[int] | None = None) -> list[QuestionRow]:
    """Live questions of a test (or by ids), in order."""
    with db.read() as s:
        q = select(Question).where(Question.deleted_at.is_(None)).order_by(Question.test_id, Question.position,
                                                                           Question.id)
        if test_id is not None:
            q = q.where(Question.test_id == test_id)
        if status is not None:
            q = q.where(Question.status == status)
        if ids is not None:
            q = q.where(Question.id.in_(ids))
        return [_question(x) for x in s.scalars(q)]


def update_question(db: Database, question_id: int, **fields) -> QuestionRow:
    """Change a question's wording, choices, answer, explanation or status."""
    with db.write() as s:
        q = change_row(s, Question, question_id, fields)
        return _question(q)


def set_question_status(db: Database, question_ids: list[int], status: str) -> int:
    """Set the status of several questions."""
    if not question_ids:
        return 0
    with db.write() as s:
        return s.execute(update(Question).where(Question.id.in_(question_ids))
                         .values(status=status, updated_at=utcnow())).rowcount


def delete_pending_questions(db: Database, question_ids: list[int]) -> int:
    """Remove rejected questions for good (never asked, so nothing needs a tombstone)."""
    if not question_ids:
        return 0
    with db.write() as s:
        return s.execute(delete(Question).where(Question.id.in_(question_ids),
                                                Question.status == "pending")).rowcount


def create_attempt(db: Database, test_id: int) -> AttemptRow:
    """Begin a sitting."""
    with db.write() as s:
        a = TestAttempt(test_id=test_id, started_at=utcnow())
        s.add(a)
        s.flush()
        return _attempt(a)


def get_attempt(db: Database, attempt_id: int) -> AttemptRow | None:
    """One attempt, or None."""
    with db.read() as s:
        a = live_row(s, TestAttempt, attempt_id)
        return _attempt(a) if a is not None else None


def attempts(db: Database, test_id: int | None = None) -> list[AttemptRow]:
    """Attempts, newest first (of one test, or all)."""
    with db.read() as s:
        q = select(TestAttempt).where(TestAttempt.deleted_at.is_(None)).order_by(TestAttempt.started_at.desc(),
                                                                                  TestAttempt.id.desc())
        if test_id is not None:
            q = q.where(TestAttempt.test_id == test_id)
        return [_attempt(a) for a in s.scalars(q)]


def save_answer(db: Database, attempt_id: int, question_id: int, response: str, correct: bool | None,
                score: float | None, graded_by: str | None, reason: str | None) -> AnswerRow:
    """Record (or replace) the response to one question of an attempt."""
    with db.write() as s:
        a = s.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id,
                                                  AttemptAnswer.question_id == question_id)).first()
        if a is None:
            a = AttemptAnswer(attempt_id=attempt_id, question_id=question_id)
            s.add(a)
        a.response, a.correct, a.score, a.graded_by, a.reason = response, correct, score, graded_by, reason
        s.flush()
        return _answer(a)


def get_answer(db: Database, answer_id: int) -> AnswerRow | None:
    """One response by its id, or None."""
    with db.read() as s:
        a = s.get(AttemptAnswer, answer_id)
        return _answer(a) if a is not None else None


def answers(db: Database, attempt_id: int) -> list[AnswerRow]:
    """The responses of an attempt, in the order they were first given."""
    with db.read() as s:
        q = select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id).order_by(AttemptAnswer.id)
        return [_answer(a) for a in s.scalars(q)]


def finish_attempt(db: Database, attempt_id: int, score: float, max_score: float) -> AttemptRow:
    """Close a sitting with its score."""
    with db.write() as s:
        a = s.get(TestAttempt, attempt_id)
        if a is None:
            raise KeyError(attempt_id)
        a.finished_at, a.score, a.max_score = utcnow(), score, max_score
        a.updated_at = utcnow()
        s.flush()
        return _attempt(a)


def rescore_attempt(db: Database, attempt_id: int, score: float, max_score: float) -> AttemptRow:
    """Change a finished sitting's score (a grade was overruled); when it was taken stays as it was."""
    with db.write() as s:
        a = s.get(TestAttempt, attempt_id)
        if a is None:
            raise KeyError(attempt_id)
        a.score, a.max_score = score, max_score
        a.updated_at = utcnow()
        s.flush()
        return _attempt(a)
