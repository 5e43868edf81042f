"""What the keyboard journey (test_gui_keyboard_journey.py) found the keyboard could not reach, each fixed and kept:
Tab leaves a table of rows instead of walking its cells (the jobs table held the keyboard for good); Enter on a
practice test takes it; Tab goes from the last answer to Submit; after Submit the keyboard is on the result."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.study import decks
from lmgpa_desktop.core.study.items import decisions
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft
from lmgpa_desktop.ui.shell import shortcuts_overlay

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot, ctx):
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    yield win
    win.close()


def _press(qtbot, key, modifiers=Qt.KeyboardModifier.NoModifier) -> QWidget:
    """A key to the widget with the focus; returns where the focus is then."""
    qtbot.keyClick(QApplication.focusWidget(), key, modifiers)
    return QApplication.focusWidget()


def _tab_to(qtbot, target: QWidget, limit: int = 30) -> None:
    for _ in range(limit):
        if QApplication.focusWidget() is target:
            return
        _press(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reaches {target!r}")


@pytest.fixture
def listed_job(ctx):
    """A job in the jobs panel's list (a table with no rows has no cells to hold Tab in)."""
    job_id = ctx.jobs.submit("import.document", {"path": "/nonexistent.pdf"}, "A job that was cancelled")
    ctx.jobs.cancel(job_id)
    return job_id


def test_tab_goes_into_a_table_of_rows_and_out_again(ctx, listed_job, window, qtbot):
    decks.create_deck(ctx, "Biology")
    _press(qtbot, Qt.Key.Key_J, CTRL)  # the jobs panel, as after "Try the sample lecture"
    assert window.jobs_panel.isVisible()
    qtbot.waitUntil(lambda: window.jobs_panel.table.rowCount() == 1)
    window.nav.setFocus()
    _tab_to(qtbot, window.jobs_panel.table)
    assert _press(qtbot, Qt.Key.Key_Tab) is not window.jobs_panel.table, "Tab walked the jobs table's cells"

    _press(qtbot, Qt.Key.Key_7, CTRL)  # Review: the deck list
    table = window.pages["review"].decks.table
    qtbot.waitUntil(lambda: table.rowCount() == 1)
    _tab_to(qtbot, table)
    assert _press(qtbot, Qt.Key.Key_Tab) is not table, "Tab walked the deck table's cells"
    assert _press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier) is table  # and Shift+Tab comes back


def test_a_grid_of_cells_keeps_tab_for_its_cells(qtbot, window):
    """Only lists of rows give Tab back: a table edited cell by cell still moves between cells with it."""
    from PySide6.QtWidgets import QTableWidget

    grid = QTableWidget(2, 2, window)
    grid.show()
    qtbot.waitUntil(grid.isVisible)
    assert grid.tabKeyNavigation()


@pytest.fixture
def practice_test(ctx):
    """A ready test: a multiple-choice question, a true/false one and a typed one."""
    test_id, questions = practice_repo.create_test(ctx.db, "Photosynthesis", [], [
        QuestionDraft("mcq", "Where does the Calvin cycle take place?", "the stroma",
                      ["the thylakoid", "the stroma", "the nucleus"]),
        QuestionDraft("tf", "Oxygen is released by photosynthesis.", "True", ["True", "False"]),
        QuestionDraft("short", "Which pigment absorbs light?", "chlorophyll")])
    decisions.accept(ctx, [("question", q) for q in questions], None)
    return test_id


def test_a_practice_test_is_taken_and_submitted_by_keyboard(window, qtbot, ctx, practice_test):
    window.show_area("study")
    study = window.pages["study"]
    study.show_tab("practice")
    panel = study.practice
    qtbot.waitUntil(lambda: panel.ops.pending == 0 and panel.test_ids() == [practice_test])
    listed = shortcuts_overlay.collect(window, study, "Study")
    assert ("Return, Enter", "Take the selected test") in {(s.keys, s.does) for s in listed}  # `?` says so
    panel.tests_table.setFocus()
    _press(qtbot, Qt.Key.Key_Return)
    assert panel.stack.currentIndex() == 1, "Enter on a test takes it"
    mcq, tf, short = panel.boxes
    assert QApplication.focusWidget() is mcq.buttons[0]
    _press(qtbot, Qt.Key.Key_Space)
    _press(qtbot, Qt.Key.Key_Down)  # the choice follows the arrow: the stroma
    assert _press(qtbot, Qt.Key.Key_Tab) is tf.buttons[0]
    _press(qtbot, Qt.Key.Key_Space)
    assert _press(qtbot, Qt.Key.Key_Tab) is short.line
    qtbot.keyClicks(short.line, "chlorophyll")
    # from the last answer, Tab goes on to the sitting's buttons (it left the page before)
    assert _press(qtbot, Qt.Key.Key_Tab) is panel.abandon_button
    assert _press(qtbot, Qt.Key.Key_Tab) is panel.submit_button
    _press(qtbot, Qt.Key.Key_Space)
    assert panel.stack.currentIndex() == 2 and panel.score_label.text() == "Score: 3 / 3 (100%)"
    # the keyboard is on the result, not on the navigation, where the next arrow key would switch pages
    assert panel.stack.widget(2).isAncestorOf(QApplication.focusWidget())
    _press(qtbot, Qt.Key.Key_Down)
    assert window.current_area() == "study"
