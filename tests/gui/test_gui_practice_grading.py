"""Practice results in the window: each typed answer shows why it was graded so (the meaning check, in the
background job) and "Mark correct" overrules a grade: the score shown, the kept score and the history change."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QPushButton

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.study import practice
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft

# Wording from Think Python, chapters 1-2.
DRAFTS = [
    QuestionDraft("short", "What is a variable?", "A name that refers to a value.",
                  source_quote="A variable is a name that refers to a value."),
    QuestionDraft("short", "What is the name of the program that reads and executes Python code?", "interpreter",
                  source_quote="The Python interpreter is a program that reads and executes Python code."),
    QuestionDraft("tf", "True or false? An integer is a number with a fractional part.", "False", ["True", "False"]),
]


def _texts(box) -> list[str]:
    return [label.text() for label in box.findChildren(QLabel)]


def _button(box, text: str) -> QPushButton:
    return next(b for b in box.findChildren(QPushButton) if b.text() == text)


def test_mark_correct_overrules_a_grade(qtbot, ctx):
    test_id, _ = practice_repo.create_test(ctx.db, "Think Python 1-2", [], DRAFTS, status="ready",
                                        question_status="active")
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    win.show_area("study")
    page = win.pages["study"]
    page.show_tab("practice")
    pp = page.practice
    qtbot.waitUntil(lambda: pp.ops.pending == 0)
    pp.select_test(test_id)
    pp.take_button.click()
    variable, interpreter, integer = pp.boxes
    qtbot.keyClicks(variable.line, "a kind of loop that repeats code")  # wrong, and not a word of the answer
    qtbot.keyClicks(interpreter.line, "it is the interpreter")
    integer.set_response("False")
    pp.submit_button.click()
    qtbot.waitUntil(lambda: pp.grading_job is None, timeout=120_000)  # the meaning check runs in the background
    assert pp.score_label.text() == "Score: 2 / 3 (67%)"

    (wrong,) = pp.wrong_boxes()
    assert wrong.title() == "Question 1"
    why = next(t for t in _texts(wrong) if t.startswith("Why: "))
    assert "Does not mean the same as the expected answer" in why and "similarity" in why
    right = [b for b in pp.answer_boxes() if b.objectName() == "rightAnswer"]
    assert [b.title() for b in right] == ["Question 2 (right)"]  # a typed answer accepted; choices are not listed
    assert "Why: Contains the expected answer “interpreter”." in _texts(right[0])

    _button(wrong, "Mark correct").click()
    assert pp.score_label.text() == "Score: 3 / 3 (100%)"
    assert pp.status.text() == "You marked your answer correct; the score is updated."
    assert pp.wrong_boxes() == []
    first = next(b for b in pp.answer_boxes() if b.title() == "Question 1 (right)")
    assert f"Why: You marked this correct (the meaning check said: {why[5:]})" in _texts(first)
    attempt = practice.attempts(ctx, test_id)[0]
    assert attempt.score == 3.0 and attempt.finished_at is not None
    pp.back_to_list()
    qtbot.waitUntil(lambda: pp.ops.pending == 0)
    assert pp.tests_table.item(0, 3).text().startswith("3 / 3")

    pp.show_result(attempt.id)  # from the history: the student's grade is kept, and can be undone
    first = next(b for b in pp.answer_boxes() if b.title() == "Question 1 (right)")
    _button(first, "Mark wrong").click()
    assert pp.score_label.text() == "Score: 2 / 3 (67%)"
    assert f"Why: You marked this wrong (the meaning check said: {why[5:]})" in _texts(pp.wrong_boxes()[0])
    win.close()
