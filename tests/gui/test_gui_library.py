"""Library and Search pages: add files, see them, search as you type, open a hit at its page or second,
image hits outlined, trash and restore."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from lmgpa_desktop.app import build_window
from lmgpa_desktop.ui.kit.operations import Operations

pytestmark = pytest.mark.slow


@pytest.fixture
def window(qtbot, ctx):
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def _wait_idle(qtbot, ctx):
    qtbot.waitUntil(lambda: all(j.state not in ("queued", "running") for j in ctx.jobs.recent(100)), timeout=300_000)


def _wait_shown(qtbot, window):
    """Every page has shown what it read (pages read off the UI thread)."""
    qtbot.waitUntil(lambda: all(ops.pending == 0 for ops in window.findChildren(Operations)), timeout=30_000)


def test_add_search_open_trash_restore(window, qtbot, ctx, shared):
    window.show_area("library")
    page = window.pages["library"]
    jobs = page.add_files([shared / "documents" / "pdf" / "thinkpython2_ch01-02.pdf",
                           shared / "ocr" / "phototest.tif", shared / "audio" / "jfk.flac"])
    assert len(jobs) == 3
    _wait_idle(qtbot, ctx)
    qtbot.waitUntil(lambda: page.table.rowCount() == 3, timeout=10_000)
    types = sorted(page.table.item(r, 1).text() for r in range(page.table.rowCount()))
    assert types == ["Audio", "Image", "PDF"]

    # search as you type, then open the best hit at its page
    window.show_area("search")
    search = window.pages["search"]
    qtbot.keyClicks(search.box, "what is a variable")
    qtbot.waitUntil(lambda: search.results.count() > 0, timeout=60_000)
    assert "results" in search.status.text()
    first = search.hits[0]
    assert first.source_kind == "pdf" and first.page_no == 9
    qtbot.keyClick(search.box, Qt.Key.Key_Return)
    _wait_shown(qtbot, window)
    assert window.current_area() == "library"
    assert page.viewer.current_page() == 9
    assert "refers to a value" in page.viewer.text.toPlainText()
    assert page.viewer.picture.pixmap() is not None and not page.viewer.picture.pixmap().isNull()

    # an OCR hit on an image opens the picture with the region outlined
    search.box.clear()
    window.show_area("search")
    qtbot.keyClicks(search.box, "quick brown dog jumped")
    qtbot.waitUntil(lambda: search.results.count() > 0 and search.hits[0].source_kind == "image", timeout=60_000)
    image_hit = search.hits[0]
    assert image_hit.region and image_hit.region[2] > 0
    search.open_current()
    _wait_shown(qtbot, window)
    assert page.viewer.info.text().startswith("OCR")

    # an audio hit opens the Record page at its second
    search.box.clear()
    window.show_area("search")
    qtbot.keyClicks(search.box, "ask not what your country can do")
    qtbot.waitUntil(lambda: search.results.count() > 0 and search.hits[0].source_kind == "audio", timeout=60_000)
    search.open_current()
    _wait_shown(qtbot, window)
    assert window.current_area() == "record"
    assert window.pages["record"].view.source.title == "jfk"

    # trash with the Delete key, then restore from the trash view
    window.show_area("library")
    _wait_shown(qtbot, window)
    pdf_row = next(r for r in range(page.table.rowCount()) if page.table.item(r, 1).text() == "PDF")
    page.table.selectRow(pdf_row)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    _wait_shown(qtbot, window)
    assert page.table.rowCount() == 2 and "trash" in page.message.text()
    page.show_trash.setChecked(True)
    _wait_shown(qtbot, window)
    assert page.table.rowCount() == 1
    page.table.selectRow(0)
    page.restore_selected()
    page.show_trash.setChecked(False)
    _wait_shown(qtbot, window)
    assert page.table.rowCount() == 3


def test_unsupported_files_are_named_and_nothing_is_queued(window, ctx, tmp_path):
    window.show_area("library")
    page = window.pages["library"]
    odd = tmp_path / "data.xyz"
    odd.write_text("?")
    assert page.add_files([odd]) == []
    assert "data.xyz" in page.message.text() and "not supported" in page.message.text()
    assert ctx.jobs.recent(10) == []
