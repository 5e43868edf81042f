"""Empty Search, Library and Review panes say what to do next with a button that does it, and give way to content."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.study import decks
from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.library.library_page import LibraryPage
from lmgpa_desktop.ui.library.search_page import SearchPage
from lmgpa_desktop.ui.study.review_page import ReviewPage


@pytest.fixture
def runner(ctx):
    job_runner = JobRunner(ctx)
    job_runner.start()
    yield job_runner
    job_runner.stop()


@pytest.fixture
def make(qtbot):
    """Build a page, show it, close its operations at the end."""
    made = []

    def build(cls, *args):
        page = cls(*args)
        qtbot.addWidget(page)
        page.resize(1024, 700)
        page.show()
        made.append(page)
        return page

    yield build
    for page in made:
        page.ops.close()


def _settled(qtbot, widget) -> None:
    qtbot.waitUntil(lambda: all(ops.pending == 0 for ops in widget.findChildren(Operations)), timeout=60_000)


def _import_pdf(qtbot, ctx, runner, shared) -> int:
    finished = []
    runner.finished.connect(finished.append)
    library.queue_import(ctx, shared / "documents" / "pdf" / "thinkpython2_ch01-02.pdf")
    qtbot.waitUntil(lambda: any(j.kind == "index" and j.state == "done" for j in finished), timeout=120_000)
    return library.sources(ctx)[0].id


def test_search_says_what_to_do_before_a_query_and_when_nothing_matches(qtbot, ctx, runner, make, shared):
    page = make(SearchPage, ctx, runner)
    _settled(qtbot, page)
    assert page.empty.isVisible() and not page.results.isVisible()
    assert page.empty.title.text() == "Your library is empty"
    with qtbot.waitSignal(page.next_step) as step:
        qtbot.mouseClick(page.empty.buttons["Add files…"], Qt.MouseButton.LeftButton)
    assert step.args == ["add_files"]
    assert "Record a lecture" in page.empty.buttons

    source_id = _import_pdf(qtbot, ctx, runner, shared)
    _settled(qtbot, page)  # the scopes (and the library's size) are read again when an import ends
    assert page.empty.isVisible() and page.empty.title.text() == "Search your library"

    # a class with nothing in it: no results, and a button that widens the search
    library.assign_course(ctx, source_id, "Biology")
    library.assign_course(ctx, source_id, None)
    page.fill_scopes()
    _settled(qtbot, page)
    page.scope.setCurrentIndex(page.scope.findText("Class: Biology"))
    qtbot.keyClicks(page.box, "what is a variable")
    qtbot.waitUntil(lambda: page.status.text() == "No results.", timeout=60_000)
    assert page.empty.isVisible() and not page.results.isVisible()
    assert page.empty.title.text() == "Nothing matches “what is a variable” in Class: Biology"
    qtbot.mouseClick(page.empty.buttons["Search everything"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.results.count() > 0, timeout=60_000)
    assert page.results.isVisible() and not page.empty.isVisible()

    page.box.clear()  # back to before a query (once the typing pause has passed)
    qtbot.waitUntil(lambda: page.empty.isVisible(), timeout=5_000)
    assert page.empty.title.text() == "Search your library" and not page.results.isVisible()


def test_library_viewer_says_what_to_do_when_empty_or_nothing_is_open(qtbot, ctx, runner, make, shared):
    page = make(LibraryPage, ctx, runner)
    _settled(qtbot, page)
    viewer = page.viewer
    assert viewer.empty.isVisible() and not viewer.content.isVisible()
    assert viewer.empty.title.text() == "Your library is empty"
    with qtbot.waitSignal(page.next_step) as step:
        qtbot.mouseClick(viewer.empty.buttons["Record a lecture"], Qt.MouseButton.LeftButton)
    assert step.args == ["record"]

    page.add_files([shared / "documents" / "pdf" / "thinkpython2_ch01-02.pdf"])
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=60_000)
    _settled(qtbot, page)
    assert viewer.empty.title.text() == "Nothing open" and viewer.empty.isVisible()
    qtbot.mouseClick(viewer.empty.buttons["Open the first item"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: viewer.content.isVisible(), timeout=10_000)
    assert not viewer.empty.isVisible() and viewer.title.text() == "thinkpython2_ch01-02"

    # filters that hide everything say how to see it again
    page.kind_filter.setCurrentIndex(page.kind_filter.findData("audio"))
    _settled(qtbot, page)
    assert page.table.rowCount() == 0
    assert viewer.empty.buttons.get("Clear the filters") is not None
    page.viewer.show_source(None)
    _settled(qtbot, page)
    assert viewer.empty.isVisible() and viewer.empty.title.text() == "Nothing matches these filters"
    qtbot.mouseClick(viewer.empty.buttons["Clear the filters"], Qt.MouseButton.LeftButton)
    _settled(qtbot, page)
    assert page.table.rowCount() == 1 and page.kind_filter.currentData() is None


def test_review_with_no_decks_then_nothing_due_then_cards(qtbot, ctx, runner, make):
    page = make(ReviewPage, ctx, runner)
    _settled(qtbot, page)
    deck_list = page.decks
    assert deck_list.empty.isVisible() and not deck_list.table.isVisible()
    assert deck_list.empty.title.text() == "No flashcards yet"
    assert {"Import an Anki deck…", "New deck…"} <= set(deck_list.empty.buttons)
    with qtbot.waitSignal(page.next_step) as step:
        qtbot.mouseClick(deck_list.empty.buttons["Generate cards from a lecture"], Qt.MouseButton.LeftButton)
    assert step.args == ["generate"]

    deck = decks.create_deck(ctx, "Biology")  # a deck, but nothing due in it
    page.refresh_decks()
    _settled(qtbot, page)
    assert deck_list.table.isVisible() and not deck_list.empty.isVisible()
    assert deck_list.all_done.isVisible() and deck_list.all_done.title.text() == "Nothing is due today"
    qtbot.mouseClick(deck_list.all_done.buttons["Browse cards"], Qt.MouseButton.LeftButton)
    assert page.tabs.currentIndex() == 1

    decks.create_card(ctx, deck.id, "Where does the Calvin cycle happen?", "In the stroma")
    page.refresh_decks()
    _settled(qtbot, page)
    assert not deck_list.all_done.isVisible() and not deck_list.empty.isVisible()
    assert deck_list.study_all_button.isEnabled()


def test_empty_states_lead_to_the_page_that_does_it(qtbot, ctx, monkeypatch):
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (asked.append(a[1]), ([], ""))[1])
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    win.show_area("search")
    search = win.pages["search"]
    qtbot.waitUntil(lambda: "Add files…" in search.empty.buttons, timeout=10_000)
    qtbot.mouseClick(search.empty.buttons["Add files…"], Qt.MouseButton.LeftButton)
    assert win.current_area() == "library" and asked == ["Add to your library"]
    win.show_area("review")
    review = win.pages["review"]
    qtbot.waitUntil(lambda: review.decks.empty.isVisible(), timeout=10_000)
    qtbot.mouseClick(review.decks.empty.buttons["Generate cards from a lecture"], Qt.MouseButton.LeftButton)
    assert win.current_area() == "study" and win.pages["study"].current_tab() == "generate"
    win.show_area("library")
    qtbot.waitUntil(lambda: "Record a lecture" in win.pages["library"].viewer.empty.buttons, timeout=10_000)
    qtbot.mouseClick(win.pages["library"].viewer.empty.buttons["Record a lecture"], Qt.MouseButton.LeftButton)
    assert win.current_area() == "record"
    win.close()
