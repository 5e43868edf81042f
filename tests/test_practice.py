"""Practice tests: grading typed answers (exact, a typo, wrong, a choice by letter), the real Gemma model's
verdict on an answer in other words, attempts kept with their score, and the time left in a timed test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lmgpa_desktop.core import practice
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage import study_repo
from lmgpa_desktop.storage.study_repo import QuestionDraft

# Questions as a student's reviewed test holds them (wording from Think Python, chapters 1-2).
DRAFTS = [
    QuestionDraft("short", "What is the name of the program that reads and executes Python code?",
                  "interpreter", source_quote="The Python interpreter is a program that reads and executes Python code."),
    QuestionDraft("mcq", "What is a variable?", "A name that refers to a value",
                  ["A sequence of characters", "A name that refers to a value", "An error in a program",
                   "A value with a decimal point"], source_quote="A variable is a name that refers to a value."),
    QuestionDraft("tf", "True or false? An integer is a number with a fractional part.", "False",
                  ["True", "False"], source_quote="Integers are whole numbers."),
    QuestionDraft("short", "In what year was the first version of Python released?", "1991"),
    QuestionDraft("short", "What is a variable?", "A name that refers to a value."),
]


@pytest.fixture
def test_id(ctx):
    """A ready test with the questions above, accepted."""
    tid, _ = study_repo.create_test(ctx.db, "Think Python 1-2", [], DRAFTS, status="ready", question_status="active")
    return tid


def _q(ctx, test_id, n):
    return practice.questions(ctx, test_id)[n]


def test_exact_fuzzy_and_wrong_answers(ctx, test_id):
    interp, variable, integer, year, _ = practice.questions(ctx, test_id)
    exact = practice.grade(interp, "  The Interpreter. ")
    assert (exact.correct, exact.score, exact.graded_by) == (True, 1.0, "exact")
    typo = practice.grade(interp, "interpeter")
    assert (typo.correct, typo.graded_by) == (True, "fuzzy") and "spelling" in typo.reason
    longer = practice.grade(interp, "it is the interpreter")
    assert (longer.correct, longer.graded_by) == (True, "fuzzy")
    wrong = practice.grade(interp, "compiler")
    assert (wrong.correct, wrong.score) == (False, 0.0) and "interpreter" in wrong.reason
    assert practice.grade(interp, "").correct is False
    # A different year is a different answer, however close it is spelt.
    assert practice.grade(year, "1991").correct is True
    assert practice.grade(year, "1990").correct is False
    # Choices by letter, number or text; true/false by word.
    assert practice.grade(variable, "b").correct is True
    assert practice.grade(variable, "2").correct is True
    assert practice.grade(variable, "a name that refers to a value").correct is True
    assert practice.grade(variable, "a").correct is False
    assert practice.grade(integer, "f").correct is True
    assert practice.grade(integer, "true").correct is False


def test_a_typed_choice_wins_over_its_position(ctx):
    tid, _ = study_repo.create_test(ctx.db, "years", [], [QuestionDraft("mcq", "Which?", "3", ["1", "2", "3", "4"])],
                                    status="ready", question_status="active")
    q = practice.questions(ctx, tid)[0]
    assert practice.grade(q, "3").correct is True  # the choice "3", not the third choice
    assert practice.grade(q, "c").correct is True


def test_other_words_are_left_for_the_model_unless_they_miss_the_answer(ctx, test_id):
    definition = _q(ctx, test_id, 4)
    g = practice.grade(definition, "a label that stands for some value")
    assert g.correct is None and g.graded_by is None
    miss = practice.grade(definition, "a kind of loop that repeats code")
    assert (miss.correct, miss.graded_by) == (False, "fuzzy") and "no key word" in miss.reason


@pytest.mark.slow
def test_the_model_gives_a_verdict_with_a_reason(ctx, test_id):
    definition = _q(ctx, test_id, 4)
    attempt = practice.start(ctx, test_id)
    kept = practice.record(ctx, attempt.id, definition.id, "a label that stands for some value")
    assert kept.correct is None  # matching cannot tell: left for the model
    result = practice.finish(ctx, attempt.id)
    graded = next(i.answer for i in result.items if i.question.id == definition.id)
    assert graded.graded_by == "llm" and graded.correct in (True, False)
    assert graded.score == (1.0 if graded.correct else 0.0)
    assert len(graded.reason.split()) >= 2 and graded.reason[-1] in ".!?…"
    assert result.attempt.finished_at is not None and result.score == graded.score


def test_attempts_are_kept_with_their_score(ctx, test_id):
    qs = practice.questions(ctx, test_id)
    first = practice.start(ctx, test_id)
    for q, response in zip(qs, ["interpreter", "b", "true", "1991"]):  # the last question is left unanswered
        practice.record(ctx, first.id, q.id, response)
    result = practice.finish(ctx, first.id, use_llm=False)
    assert (result.score, result.max_score) == (3.0, 5.0) and result.percent == pytest.approx(60.0)
    assert {i.question.id for i in result.wrong} == {qs[2].id, qs[4].id}
    assert result.elapsed_s is not None and result.elapsed_s >= 0
    with pytest.raises(UserError):
        practice.record(ctx, first.id, qs[4].id, "too late")
    second = practice.start(ctx, test_id)
    for q in qs:
        practice.record(ctx, second.id, q.id, q.answer)
    assert practice.finish(ctx, second.id, use_llm=False).score == 5.0
    history = practice.attempts(ctx, test_id)
    assert [a.id for a in history] == [second.id, first.id]
    assert [(a.score, a.max_score) for a in history] == [(5.0, 5.0), (3.0, 5.0)]
    assert all(a.finished_at is not None for a in history)


def test_a_test_needs_accepted_questions(ctx):
    tid, _ = study_repo.create_test(ctx.db, "draft", [], DRAFTS[:1])  # still pending review
    with pytest.raises(UserError, match="no accepted questions"):
        practice.start(ctx, tid)


def test_time_left_in_a_timed_test(ctx, test_id):
    untimed = practice.get_test(ctx, test_id)
    attempt = practice.start(ctx, test_id)
    assert practice.time_left(untimed, attempt, attempt.started_at + timedelta(hours=5)) is None
    timed = practice.set_time_limit(ctx, test_id, 60)
    assert timed.time_limit_s == 60
    assert practice.time_left(timed, attempt, attempt.started_at + timedelta(seconds=20)) == pytest.approx(40.0)
    assert practice.time_left(timed, attempt, attempt.started_at + timedelta(seconds=90)) == 0.0
    assert practice.set_time_limit(ctx, test_id, 0).time_limit_s is None
