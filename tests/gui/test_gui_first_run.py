"""First run: a short welcome once per user (data folder, microphone, models, sign-in, keys), and `lmgpa deck.apkg`."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import Qt

from lmgpa_desktop import __version__, cli, paths
from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.core.models.registry import SPECS
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.shell import shortcuts_overlay
from lmgpa_desktop.ui.shell.first_run_pages import NO_MIC
from lmgpa_desktop.ui.shell.open_file import open_anki_file


@pytest.fixture
def config(tmp_path, monkeypatch):
    """This user's bootstrap config, in a folder of the test's own."""
    path = tmp_path / "config" / "config.json"
    monkeypatch.setattr(paths, "config_file", lambda: path)
    return path


def _window(qtbot, ctx, first_run: bool = True):
    win = build_window(ctx, first_run=first_run)
    qtbot.addWidget(win)
    win.show()
    return win


def _tour(qtbot, win):
    qtbot.waitUntil(lambda: getattr(win, "first_run", None) is not None and win.first_run.isVisible(), timeout=10_000)
    return win.first_run


def _settled(qtbot, win) -> None:
    qtbot.waitUntil(lambda: all(ops.pending == 0 for ops in win.findChildren(Operations)), timeout=30_000)


def test_shown_on_first_run_skip_marks_it_done_and_it_is_not_shown_again(qtbot, ctx, config):
    first = _window(qtbot, ctx)
    tour = _tour(qtbot, first)
    assert not tour.isModal() and tour.index() == 0
    assert getattr(first, "welcome", None) is None, "the per-profile welcome waits for the tour"
    qtbot.mouseClick(tour.skip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: config.is_file() and json.loads(config.read_text())["first_run_done"] == __version__)
    _settled(qtbot, first)
    assert getattr(first, "first_run", None) is None and getattr(first, "welcome", None) is None  # Skip: nothing more
    first.close()

    second = _window(qtbot, ctx)
    qtbot.waitUntil(lambda: getattr(second, "welcome", None) is not None, timeout=10_000)  # the profile is still new
    assert getattr(second, "first_run", None) is None, "shown once per user, not at every start"
    second.close()


def test_tests_and_start_up_measurements_never_see_it(qtbot, ctx, config):
    win = _window(qtbot, ctx, first_run=False)  # build_window's default, as every other GUI test uses
    _settled(qtbot, win)
    assert getattr(win, "first_run", None) is None and not config.exists()
    win.close()


def test_each_page_shows_real_data_and_get_started_leads_to_the_sample_choice(qtbot, ctx, config):
    ctx.settings.set("models.tts", str(ctx.home / "no-such-voice.onnx"))  # one model missing, said plainly
    win = _window(qtbot, ctx)
    tour = _tour(qtbot, win)
    data = tour.data
    assert data.path.text() == str(ctx.home)
    qtbot.waitUntil(lambda: data.free_bytes is not None)
    assert abs(data.free_bytes - shutil.disk_usage(ctx.home).free) < 512 * 1024 ** 2
    assert data.free.text().startswith(f"{human_size(data.free_bytes)} free on this disk")
    tour.mic.device = 987_654  # no such input: the page must say so plainly (the next test hears a real one)
    qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tour.mic.status.text().startswith(NO_MIC), timeout=10_000)
    assert tour.mic.check is None and tour.mic.meter.value() == 0

    qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    models = tour.models
    qtbot.waitUntil(lambda: len(models.infos) == len(SPECS), timeout=30_000)
    for row, key in enumerate(SPECS):
        info = ctx.models.info(key)
        shown = [models.table.item(row, col).text() for col in range(3)]
        if key == "tts":
            assert shown[1].endswith("missing") and shown[2] == "—"
        else:
            assert info.size_bytes and shown == [info.job.capitalize(), info.name, human_size(info.size_bytes)]
    summary = models.summary.text()
    assert summary.startswith("Missing: Text-to-speech") and "Settings → Models" in summary

    qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    sign_in = tour.sign_in
    assert sign_in.not_now_button.isDefault() and not tour.next_button.isDefault()
    qtbot.keyClick(sign_in.not_now_button, Qt.Key.Key_Return)  # Enter takes the default: "Not now"
    assert tour.index() == 4
    _settled(qtbot, win)
    assert win.online.state is not None and win.online.state.status == "signed_out"
    assert win.current_area() != "account"

    keys = tour.keys
    listed = {(s.keys, s.does) for s in keys.shortcuts}
    overlay = {(s.keys, s.does) for s in shortcuts_overlay.collect(win) if s.where == "Everywhere"}
    assert listed == overlay and ("Ctrl+J", "Show or hide the jobs panel") in listed
    assert keys.table.rowCount() == len(listed)
    assert tour.next_button.text() == "Get started"
    qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(win, "welcome", None) is not None, timeout=10_000)  # then: sample or own
    assert json.loads(config.read_text())["first_run_done"] == __version__
    win.close()


def test_the_meter_moves_with_a_real_microphone_and_stops_when_leaving(qtbot, ctx, config, virtual_mic):
    win = _window(qtbot, ctx)
    tour = _tour(qtbot, win)
    tour.go(1)
    mic = tour.mic
    qtbot.waitUntil(lambda: mic.status.text().startswith("Listening to"), timeout=20_000)
    virtual_mic.play(paths.resource("samples", "sample_lecture.ogg"))
    qtbot.waitUntil(lambda: mic.peak > 5, timeout=20_000)
    check = mic.check
    assert check.running
    qtbot.mouseClick(tour.next_button, Qt.MouseButton.LeftButton)  # leaving the page lets go of the device
    assert mic.check is None and mic.last_check is check
    assert check.wait_closed() and not check.running
    qtbot.mouseClick(tour.back_button, Qt.MouseButton.LeftButton)  # back: it listens again
    qtbot.waitUntil(lambda: mic.check is not None and mic.check.running, timeout=20_000)
    check = mic.check
    win.close()  # quitting with the tour open lets go of the device too
    assert mic.check is None and check.wait_closed() and not check.running


def test_settings_shows_the_tour_again(qtbot, ctx, config):
    win = _window(qtbot, ctx, first_run=False)
    win.show_area("settings")
    qtbot.mouseClick(win.pages["settings"].first_run_button, Qt.MouseButton.LeftButton)
    tour = _tour(qtbot, win)
    assert tour.index() == 0
    qtbot.mouseClick(tour.skip_button, Qt.MouseButton.LeftButton)
    win.close()


# -- `lmgpa deck.apkg` ------------------------------------------------------------------------------------------
def test_a_deck_on_the_command_line_opens_the_window_with_it(monkeypatch, tmp_path):
    import lmgpa_desktop.app as app

    asked = []
    monkeypatch.setattr(app, "run_gui", lambda **kw: asked.append(kw) or 0)
    deck = str(tmp_path / "Cells.apkg")
    assert cli.main([deck]) == 0 and cli.main(["--home", str(tmp_path), deck]) == 0
    assert asked == [{"home": None, "open_file": deck}, {"home": str(tmp_path), "open_file": deck}]
    assert cli.deck_to_open(["decks", "import", deck]) is None, "a subcommand keeps its file"
    assert cli.deck_to_open(["x.colpkg"]) == "x.colpkg" and cli.deck_to_open(["notes.pdf"]) is None


def test_the_opened_deck_is_imported_and_a_bad_file_is_explained(qtbot, ctx, shared, tmp_path):
    win = _window(qtbot, ctx, first_run=False)
    finished = []
    win.runner.finished.connect(finished.append)
    jobs = open_anki_file(win, shared / "anki" / "anki-pylib" / "media.apkg")
    assert len(jobs) == 1 and win.current_area() == "review"
    qtbot.waitUntil(lambda: any(j.id == jobs[0] for j in finished), timeout=60_000)
    assert [j.state for j in finished if j.id == jobs[0]] == ["done"]
    page = win.pages["review"]
    qtbot.waitUntil(lambda: page.message.text().startswith("Imported"), timeout=10_000)

    assert open_anki_file(win, tmp_path / "gone.apkg") == []
    box = win.open_file_message
    assert box.isVisible() and "gone.apkg does not exist" in box.text()
    box.close()
    win.close()
