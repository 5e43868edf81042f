"""The window opens offscreen, every area is reachable, settings persist, jobs show progress."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar

from lmgpa_desktop.app import build_window
from lmgpa_desktop.ui.shell.main_window import AREAS


@pytest.fixture
def window(qtbot, ctx):
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def test_every_navigation_entry_shows_its_page(window, qtbot):
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles == ["Home", "Record", "Library", "Search", "Chat", "Study", "Review", "Classes", "Groups", "Progress",
                      "Notifications", "Settings", "Account"]
    for row, area in enumerate(AREAS):
        rect = window.nav.visualItemRect(window.nav.item(row))
        qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert window.stack.currentWidget() is window.pages[area.key]
        assert window.current_area() == area.key


def test_keyboard_shortcuts_switch_areas(window, qtbot):
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.current_area() == "chat"
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert window.current_area() == "settings"
    window.nav.setFocus()
    qtbot.keyClick(window.nav, Qt.Key.Key_Down)
    assert window.current_area() == "account"


def test_settings_persist_and_theme_applies(window, ctx, qtbot):
    window.show_area("settings")
    page = window.pages["settings"]
    page.theme.setCurrentIndex(page.theme.findData("dark"))
    assert ctx.settings.get("ui.theme") == "dark"
    from PySide6.QtWidgets import QApplication

    assert "Dark theme" in QApplication.instance().styleSheet()
    page.threads.setValue(3)
    assert ctx.settings.get("cpu.threads") == 3 and ctx.settings.threads() == 3
    assert all(row["where"].text() for row in page.model_rows.values())  # each model resolves to a path


def test_a_job_shows_in_the_status_bar_and_jobs_panel(window, ctx, qtbot):
    window.toggle_jobs()
    assert window.jobs_panel.isVisible()
    finished = []
    window.runner.finished.connect(finished.append)
    job_id = window.runner.submit("backup", {}, "Back up database")
    qtbot.waitUntil(lambda: bool(finished) and finished[-1].id == job_id, timeout=30_000)
    assert finished[-1].state == "done"
    panel = window.jobs_panel  # it reloads off the UI thread after the runner's signal
    qtbot.waitUntil(lambda: job_id in panel._rows and panel.table.item(panel._rows[job_id], 2).text() == "done")
    row = panel._rows[job_id]
    assert window.jobs_panel.table.cellWidget(row, 3).value() == 1000
    assert isinstance(window.jobs_panel.table.cellWidget(row, 3), QProgressBar)


def test_geometry_and_last_page_are_remembered(qtbot, ctx):
    first = build_window(ctx)
    qtbot.addWidget(first)
    first.show()
    first.resize(760, 540)
    first.show_area("review")
    first.close()
    second = build_window(ctx)
    qtbot.addWidget(second)
    second.show()
    assert second.current_area() == "review"
    assert (second.width(), second.height()) == (760, 540)
    second.close()


def test_window_renders_to_a_picture(window, tmp_path):
    image = window.grab().toImage()
    assert image.width() >= 600 and image.height() >= 400
    colors = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    assert len(colors) > 3  # not a blank surface
