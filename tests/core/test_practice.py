"""Practice tests: grading typed answers (exact, a typo, wrong, a choice by letter), the meaning check and the real
default instruct model's verdict on an answer in other words, overruling a grade (rescored, kept after reopening
the profile), attempts kept with their score, and the time left in a timed test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lmgpa_desktop.core.study import grading
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft

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
    tid, _ = practice_repo.create_test(ctx.db, "Think Python 1-2", [], DRAFTS, status="ready", question_status="active")
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
    assert practice.grade(interp, "compiler").correct is None  # matching cannot tell: the meaning check can
    wrong = grading.grade(ctx, interp, "compiler", use_llm=False)
    assert (wrong.correct, wrong.score, wrong.graded_by) == (False, 0.0, "meaning") and "interpreter" in wrong.reason
    assert practice.grade(interp, "not the interpreter").correct is None  # one edit away, but it says "not"
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
    tid, _ = practice_repo.create_test(ctx.db, "years", [], [QuestionDraft("mcq", "Which?", "3", ["1", "2", "3", "4"])],
                                    status="ready", question_status="active")
    q = practice.questions(ctx, tid)[0]
    assert practice.grade(q, "3").correct is True  # the choice "3", not the third choice
    assert practice.grade(q, "c").correct is True


def test_other_words_are_left_to_meaning_unless_they_miss_the_answer(ctx, test_id):
    definition = _q(ctx, test_id, 4)
    g = practice.grade(definition, "a label that stands for some value")
    assert g.correct is None and g.graded_by is None
    miss = grading.grade(ctx, definition, "a kind of loop that repeats code", use_llm=False)
    assert (miss.correct, miss.graded_by) == (False, "meaning") and "similarity" in miss.reason


@pytest.mark.slow
def test_the_model_gives_a_verdict_with_a_reason(ctx, test_id):
    definition = _q(ctx, test_id, 4)
    attempt = practice.start(ctx, test_id)
    kept = practice.record(ctx, attempt.id, definition.id, "a label that stands for some value")
    assert kept.correct is None  # matching cannot tell: left for the background grading
    result = practice.finish(ctx, attempt.id)
    graded = next(i.answer for i in result.items if i.question.id == definition.id)
    assert graded.graded_by in ("meaning", "model") and graded.correct is True
    assert graded.score == 1.0 and len(graded.reason.split()) >= 2 and graded.reason[-1] in ".!?…"
    assert result.attempt.finished_at is not None and result.score == graded.score
    # The model itself, asked directly: the source quote is in its prompt and its verdict comes with a reason.
    llm = ctx.models.llm()
    assert llm.chat_template  # the default is an instruct model with a chat template
    interp = _q(ctx, test_id, 0)
    right = practice.judge(llm, interp, "the thing that runs the python code you write")
    assert (right.correct, right.graded_by) == (True, "model")
    # The small model passes too much on its own; the ladder lets it pass only answers close in meaning.
    wrong = grading.grade(ctx, interp, "the screen where the code is shown")
    assert wrong.correct is False and wrong.graded_by in ("meaning", "model")
    assert all(len(g.reason.split()) >= 3 and g.reason[-1] in ".!?…" for g in (right, wrong))


def test_the_student_can_overrule_a_grade(home, ctx, test_id):
    qs = practice.questions(ctx, test_id)
    attempt = practice.start(ctx, test_id)
    practice.record(ctx, attempt.id, qs[0].id, "compiler")
    practice.record(ctx, attempt.id, qs[3].id, "1991")
    practice.record(ctx, attempt.id, qs[4].id, "a kind of loop that repeats code")
    done = practice.finish(ctx, attempt.id, use_llm=False)
    assert done.score == 1.0
    compiler = next(i.answer for i in done.items if i.question.id == qs[0].id)
    said = compiler.reason
    marked = practice.overrule(ctx, compiler.id, True)
    assert (marked.correct, marked.score, marked.graded_by) == (True, 1.0, "student")
    assert marked.reason == f"You marked this correct (the meaning check said: {said})"
    assert practice.result(ctx, attempt.id).score == 2.0
    assert practice.attempts(ctx, test_id)[0].score == 2.0  # the kept score, which progress charts read
    # Changing one's mind again keeps what the grader said, not the student's own earlier mark.
    again = practice.overrule(ctx, compiler.id, False)
    assert again.reason == f"You marked this wrong (the meaning check said: {said})" and again.score == 0.0
    year = next(i.answer for i in done.items if i.question.id == qs[3].id)
    assert practice.overrule(ctx, year.id, False).reason == "You marked this wrong (matching said: Matches the " \
                                                            "expected answer.)"
    practice.overrule(ctx, compiler.id, True)
    ctx.close()
    reopened = open_app(home)  # the grade and the score survive closing the profile
    try:
        kept = practice.result(reopened, attempt.id)
        assert kept.score == 1.0 and practice.attempts(reopened, test_id)[0].score == 1.0
        answer = next(i.answer for i in kept.items if i.question.id == qs[0].id)
        assert (answer.correct, answer.graded_by) == (True, "student") and said in answer.reason
        with pytest.raises(UserError):
            practice.overrule(reopened, 10_000, True)
    finally:
        reopened.close()


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
    tid, _ = practice_repo.create_test(ctx.db, "draft", [], DRAFTS[:1])  # still pending review
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
