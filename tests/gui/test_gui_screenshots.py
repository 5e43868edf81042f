"""Every page of the real window, light and dark, at 1024x700 and 1440x900: a PNG each, no horizontal scrollbar,
no page title or button cut.

The PNGs go to $LMGPA_SCREENSHOTS when set (a folder the closing note of a change can point to), else to the test's
tmp_path. Runs on the offscreen platform like every GUI test; no model is loaded (the profile is filled through
core and storage, nothing is indexed)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QLabel, QPushButton, QScrollArea, QWidget

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.progress import deadlines
from lmgpa_desktop.core.study import notes
from lmgpa_desktop.storage import documents_repo, sources_repo
from lmgpa_desktop.storage.documents_repo import PageRow
from lmgpa_desktop.ui.kit.elide import ElidedButton
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.shell.main_window import KEYS
from study_history import add_study_history

SIZES = [(1024, 700), (1440, 900)]
THEMES = ["light", "dark"]
TITLE_NAMES = {"pageTitle", "sectionTitle", "levelTitle"}  # object names of the labels that title a page or part


@pytest.fixture
def lived_in(ctx):
    """A profile a student has used for a few days: a class, a reviewed deck, a test, a note, a deadline, sources."""
    course = add_study_history(ctx)
    notes.create(ctx, body_md="# Photosynthesis and cellular respiration\n- light reactions happen in the "
                              "thylakoid membranes of the chloroplast", course_id=course)
    deadlines.add(ctx, "Lab report on enzyme kinetics and temperature", datetime.now(UTC) + timedelta(days=3),
                  "assignment", "Biology")
    documents_repo.create_with_pages(
        ctx.db, {"kind": "pdf", "title": "Campbell Biology, chapter 7: membrane structure and function",
                 "course_id": course, "status": "ready", "page_count": 1, "size_bytes": 182_000},
        [PageRow(1, "The plasma membrane is selectively permeable.", "text", None, 612, 792, None)])
    sources_repo.create(ctx.db, kind="audio", title="Lecture 4 - the cell cycle, mitosis and checkpoints",
                        course_id=course, status="ready", duration_s=2950.0)
    return ctx


def _folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LMGPA_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _settle(qtbot, window) -> None:
    """Every page has shown what it read off the UI thread, and layouts have run."""
    qtbot.waitUntil(lambda: all(ops.pending == 0 for ops in window.findChildren(Operations)), timeout=30_000)
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def horizontal_scrollbars(page: QWidget) -> list[str]:
    """The visible scroll areas of a page that show a horizontal scrollbar with somewhere to go."""
    found = []
    for area in [page, *page.findChildren(QAbstractScrollArea)]:
        if not isinstance(area, QAbstractScrollArea) or not area.isVisible():
            continue
        bar = area.horizontalScrollBar()
        if bar.isVisible() and bar.maximum() > 0:
            found.append(f"{type(area).__name__} {area.objectName() or ''} (scrolls {bar.maximum()} px)".strip())
        elif isinstance(area, QScrollArea) and area.widget() is not None and area.widgetResizable():
            # a page that switched its scrollbar off is still cut when its content cannot shrink to the view
            need, have = area.widget().minimumSizeHint().width(), area.viewport().width()
            if need > have:
                found.append(f"QScrollArea {area.objectName()} cuts {need - have} px (no scrollbar)")
    return found


def cut_titles(page: QWidget) -> list[str]:
    """Visible title labels whose text is wider than the label and does not wrap."""
    return [f"{label.text()!r} needs {label.sizeHint().width()} px, has {label.width()}"
            for label in page.findChildren(QLabel)
            if label.objectName() in TITLE_NAMES and label.isVisible() and not label.wordWrap()
            and label.sizeHint().width() > label.width()]


def cut_controls(page: QWidget) -> list[str]:
    """A page squeezed below its minimum width (its widgets overlap or are clipped), and push buttons whose text
    does not fit (a button that elides on purpose says so in its tooltip)."""
    found = []
    if page.minimumSizeHint().width() > page.width():
        found.append(f"the page needs {page.minimumSizeHint().width()} px, has {page.width()}")
    for button in page.findChildren(QPushButton):
        if button.isVisible() and not isinstance(button, ElidedButton) and button.text() \
                and button.sizeHint().width() > button.width():
            found.append(f"button {button.text()!r} needs {button.sizeHint().width()} px, has {button.width()}")
    return found


@pytest.mark.parametrize("theme", THEMES)
def test_every_page_fits_and_is_screenshot(qtbot, lived_in, tmp_path, theme):
    lived_in.settings.set("ui.theme", theme)
    window = build_window(lived_in)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    folder = _folder(tmp_path)
    problems: list[str] = []
    try:
        for width, height in SIZES:
            window.resize(width, height)
            for key in KEYS:
                window.show_area(key)
                _settle(qtbot, window)
                assert (window.width(), window.height()) == (width, height)
                page = window.pages[key]
                shot = folder / f"{key}-{theme}-{width}x{height}.png"
                assert window.grab().save(str(shot)) and shot.stat().st_size > 5_000
                where = f"{key} ({theme}, {width}x{height})"
                problems += [f"{where}: horizontal scrollbar on {s}" for s in horizontal_scrollbars(page)]
                problems += [f"{where}: title cut: {t}" for t in cut_titles(page)]
                problems += [f"{where}: cut: {t}" for t in cut_controls(page)]
    finally:
        _settle(qtbot, window)
        window.close()
    assert not problems, "\n".join(problems)


def test_the_checks_see_a_page_that_is_too_wide(qtbot):
    """The checks themselves: a too-wide page and a cut title are found, a fitting page is not."""
    from PySide6.QtWidgets import QVBoxLayout

    page = QWidget()
    qtbot.addWidget(page)
    title = QLabel("A page title far too long for the narrow page it is shown on")
    title.setObjectName("pageTitle")
    title.setMinimumWidth(1)  # a layout may then squeeze it: the text is cut
    wide = QWidget()
    wide.setMinimumWidth(900)
    scroll = QScrollArea()
    scroll.setWidget(wide)
    layout = QVBoxLayout(page)
    layout.addWidget(title)
    layout.addWidget(scroll)
    page.resize(300, 300)
    page.show()
    qtbot.waitExposed(page)
    assert horizontal_scrollbars(page) and cut_titles(page)
    wide.setMinimumWidth(10)
    scroll.setWidgetResizable(True)
    title.setWordWrap(True)
    qtbot.waitUntil(lambda: not horizontal_scrollbars(page) and not cut_titles(page))
