"""What the keyboard journey (test_gui_keyboard_journey.py) found the keyboard could not reach, each fixed and kept:
Tab leaves a table of rows instead of walking its cells (the jobs table held the keyboard for good); Enter on a
practice test takes it; Tab goes from the last answer to Submit; after Submit the keyboard is on the result; a page
opened by keyboard has the keyboard on its first useful control, and Tab from the navigation goes into the page before
the status bar and the jobs panel; Enter on a choice goes to the next question; the result's answers come before its
closing buttons in Tab order."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.study import decks
from lmgpa_desktop.core.study.items import decisions
from lmgpa_desktop.storage import practice_repo
from lmgpa_desktop.storage.practice_repo import QuestionDraft
from lmgpa_desktop.ui.kit import page_focus
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


def test_a_page_opened_by_keyboard_has_the_keyboard_on_its_first_useful_control(window, qtbot, ctx, practice_test):
    decks.create_deck(ctx, "Biology")
    pages = window.pages
    expected = {
        Qt.Key.Key_4: lambda: pages["search"].box,  # the search box, ready to type in
        Qt.Key.Key_5: lambda: pages["chat"].input,  # the question box
        Qt.Key.Key_3: lambda: pages["library"].table,
        Qt.Key.Key_7: lambda: pages["review"].decks.table,
    }
    for key, control in expected.items():
        focus = _press(qtbot, key, CTRL)
        assert focus is control(), f"Ctrl+{key.name[-1]} left the keyboard on {focus!r}"
    focus = _press(qtbot, Qt.Key.Key_2, CTRL)  # Record, or Import when there is no microphone to record with
    assert focus in (pages["record"].record_button, pages["record"].import_button)
    # Study: the first control of the tab on screen (its tab bar only when the tab has nothing to use yet)
    _press(qtbot, Qt.Key.Key_6, CTRL)
    study = pages["study"]
    study.show_tab("practice")
    qtbot.waitUntil(lambda: study.practice.ops.pending == 0 and study.practice.test_ids() == [practice_test])
    window.nav.setFocus()
    assert _press(qtbot, Qt.Key.Key_6, CTRL) is study.practice.tests_table
    assert _press(qtbot, Qt.Key.Key_Comma, CTRL) is page_focus.first_control(pages["settings"])
    assert pages["settings"].isAncestorOf(QApplication.focusWidget())


def test_the_mouse_and_the_arrows_keep_the_keyboard_in_the_navigation_enter_goes_in(window, qtbot):
    nav = window.nav
    nav.setFocus()
    row = nav.row(nav.findItems("Search", Qt.MatchFlag.MatchExactly)[0])
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=nav.visualRect(nav.model().index(row, 0)).center())
    assert window.current_area() == "search" and QApplication.focusWidget() is nav  # a mouse user stays in the list
    assert _press(qtbot, Qt.Key.Key_Down) is nav and window.current_area() == "chat"  # the arrows walk the entries
    assert _press(qtbot, Qt.Key.Key_Return) is window.pages["chat"].input  # Enter goes into the page
    listed = shortcuts_overlay.collect(window)
    assert any(s.keys == "Return, Enter" and "navigation" in s.does for s in listed)  # and `?` says so


def test_tab_from_the_navigation_goes_into_the_page_before_the_status_bar_and_jobs(ctx, listed_job, window, qtbot):
    _press(qtbot, Qt.Key.Key_J, CTRL)  # the jobs panel open, built before any page
    qtbot.waitUntil(lambda: window.jobs_panel.table.rowCount() == 1)
    window.show_area("search")
    page = window.pages["search"]
    window.nav.setFocus()
    assert _press(qtbot, Qt.Key.Key_Tab) is page.box
    assert _press(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier) is window.nav  # and back
    window.nav.setFocus()
    stops = []
    for _ in range(30):  # once round the window: the page's controls, then the jobs panel, then the navigation
        stops.append(_press(qtbot, Qt.Key.Key_Tab))
        if stops[-1] is window.nav:
            break
    assert stops[-1] is window.nav
    in_page = [page.isAncestorOf(w) for w in stops[:-1]]
    assert in_page == sorted(in_page, reverse=True) and in_page[0], "a control of the page came after the chrome"
    assert window.jobs_panel.table in stops
    assert window.online.badge not in stops  # an indicator; its click opens Account, which the navigation reaches



def _take(window, qtbot, test_id: int):
    """Start the practice test from the Study page; returns the practice panel, its questions on screen."""
    window.show_area("study")
    study = window.pages["study"]
    study.show_tab("practice")
    panel = study.practice
    qtbot.waitUntil(lambda: panel.ops.pending == 0 and panel.test_ids() == [test_id])
    panel.select_test(test_id)
    panel.take_button.click()
    return panel


def test_enter_on_a_choice_goes_to_the_next_question(window, qtbot, ctx, practice_test):
    panel = _take(window, qtbot, practice_test)
    mcq, tf, short = panel.boxes
    assert QApplication.focusWidget() is mcq.buttons[0]
    _press(qtbot, Qt.Key.Key_Space)
    assert _press(qtbot, Qt.Key.Key_Return) is tf.buttons[0] and panel.stack.currentIndex() == 1
    assert mcq.response() == mcq.buttons[0].property("choice")  # Enter kept the choice and went on
    assert _press(qtbot, Qt.Key.Key_Enter) is short.line
    qtbot.keyClicks(short.line, "chlorophyll")
    assert _press(qtbot, Qt.Key.Key_Return) is panel.submit_button


def test_the_results_answers_come_before_its_closing_buttons_in_tab_order(window, qtbot, ctx, practice_test):
    panel = _take(window, qtbot, practice_test)
    mcq, tf, short = panel.boxes
    mcq.set_response("the nucleus")  # wrong
    tf.set_response("True")
    short.set_response("chlorophyll")  # typed and accepted: listed with "Mark wrong"
    panel.submit_button.click()
    assert panel.stack.currentIndex() == 2
    per_answer = panel.answer_buttons()
    assert [b.text() for b in per_answer] == ["Mark wrong"]
    qtbot.waitUntil(lambda: all(b.isVisible() for b in per_answer))  # a widget added to a shown page shows next turn
    reached = [_press(qtbot, Qt.Key.Key_Tab) for _ in range(len(per_answer) + 2)]
    assert reached == [*per_answer, panel.again_button, panel.back_button]


def test_the_jobs_table_has_a_name(window):
    assert window.jobs_panel.table.accessibleName() == "Background jobs"
    assert {b.text() for b in (window.jobs_panel.cancel_button, window.jobs_panel.retry_button)} == \
        {"Cancel job", "Retry job"}  # a screen reader reads a button's text
