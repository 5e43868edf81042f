"""First start: the welcome once per new profile, the bundled sample in one click, and Record without a microphone."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from lmgpa_desktop import paths
from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.capture import recorder as recorder_core
from lmgpa_desktop.core.capture.recorder import InputDevice, RecorderError
from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.study import decks
from lmgpa_desktop.ui.capture.record_page import RecordPage
from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.kit.operations import Operations


def _window(qtbot, ctx, welcome: bool = True):
    win = build_window(ctx, welcome=welcome)
    qtbot.addWidget(win)
    win.show()
    return win


def _settled(qtbot, win) -> None:
    """Everything the window asked off the UI thread has come back."""
    qtbot.waitUntil(lambda: all(ops.pending == 0 for ops in win.findChildren(Operations)), timeout=30_000)


def _welcome(win):
    return getattr(win, "welcome", None)


def test_a_new_profile_is_welcomed_once(qtbot, ctx):
    first = _window(qtbot, ctx)
    qtbot.waitUntil(lambda: _welcome(first) is not None and _welcome(first).isVisible(), timeout=10_000)
    dialog = _welcome(first)
    assert dialog.sample_button.text() == "Try the sample lecture"
    assert {dialog.record_button.text(), dialog.add_button.text()} == {"Record a lecture", "Add files…"}
    assert not dialog.isModal()  # the window behind stays usable
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    first.close()

    second = _window(qtbot, ctx)
    _settled(qtbot, second)
    assert _welcome(second) is None, "shown once per profile, not at every start"
    second.close()


def test_a_profile_with_material_is_not_welcomed(qtbot, ctx):
    decks.create_deck(ctx, "Biology")
    win = _window(qtbot, ctx)
    _settled(qtbot, win)
    assert _welcome(win) is None
    # ... but Settings opens it again on request
    win.show_area("settings")
    qtbot.mouseClick(win.pages["settings"].welcome_button, Qt.MouseButton.LeftButton)
    assert _welcome(win) is not None and _welcome(win).isVisible()
    win.close()


def test_start_with_my_own_material_goes_to_record_or_add_files(qtbot, ctx, monkeypatch):
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (asked.append(a[1]), ([], ""))[1])
    win = _window(qtbot, ctx)
    qtbot.waitUntil(lambda: _welcome(win) is not None, timeout=10_000)
    qtbot.mouseClick(_welcome(win).record_button, Qt.MouseButton.LeftButton)
    assert win.current_area() == "record"
    qtbot.waitUntil(lambda: _welcome(win) is None)  # closed (and deleted) once a way to start is chosen
    from lmgpa_desktop.ui.shell.welcome import show_welcome

    qtbot.mouseClick(show_welcome(win).add_button, Qt.MouseButton.LeftButton)
    assert win.current_area() == "library" and asked == ["Add to your library"]
    win.close()


def test_try_the_sample_imports_the_bundled_lecture_and_pdf(qtbot, ctx):
    win = _window(qtbot, ctx)
    qtbot.waitUntil(lambda: _welcome(win) is not None, timeout=10_000)
    finished = []
    win.runner.finished.connect(finished.append)
    qtbot.mouseClick(_welcome(win).sample_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.current_area() == "library", timeout=10_000)
    assert win.jobs_panel.isVisible()  # the lecture's transcription shows its progress
    qtbot.waitUntil(lambda: {j.kind for j in finished if j.state == "done"} >= {"import.document", "import.media"},
                    timeout=60_000)
    transcribe = [j for j in ctx.jobs.recent(20) if j.kind == "transcribe"]
    assert len(transcribe) == 1, "the lecture is transcribed as a normal job"
    win.runner.cancel(transcribe[0].id)  # the whisper run itself is the transcription tests' business
    sources = {s.title: s for s in library.sources(ctx)}
    pdf = sources["Sample handout: cellular respiration (biology)"]
    lecture = sources["Sample lecture: photosynthesis (biology)"]
    assert pdf.kind == "pdf" and pdf.page_count == 2
    assert lecture.kind == "audio" and 120 < lecture.duration_s < 130
    assert transcribe[0].payload["source_id"] == lecture.id
    page = win.pages["library"]
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10_000)
    # the cancelled job ends before the window does, so nothing reports to a closed window in the next test
    qtbot.waitUntil(lambda: ctx.jobs.get(transcribe[0].id).state in ("cancelled", "done", "failed"), timeout=120_000)
    win.close()


@pytest.mark.slow
def test_the_sample_lecture_is_transcribed_and_searchable_after_one_click(qtbot, ctx):
    win = _window(qtbot, ctx)
    qtbot.waitUntil(lambda: _welcome(win) is not None, timeout=10_000)
    finished = []
    win.runner.finished.connect(finished.append)
    qtbot.mouseClick(_welcome(win).sample_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(j.kind == "transcribe" and j.state == "done" for j in finished), timeout=600_000)
    qtbot.waitUntil(lambda: all(j.state not in ("queued", "running") for j in ctx.jobs.recent(20)), timeout=300_000)
    jobs = ctx.jobs.recent(20)
    assert all(j.state == "done" for j in jobs), [(j.kind, j.state, j.error) for j in jobs]
    win.show_area("search")
    search = win.pages["search"]
    qtbot.keyClicks(search.box, "where does the Calvin cycle take place")
    qtbot.waitUntil(lambda: search.results.count() > 0, timeout=60_000)
    assert search.hits[0].source_title == "Sample lecture: photosynthesis (biology)"
    assert "stroma" in search.hits[0].text.lower()
    win.close()


def test_the_sample_handout_is_our_own_text_typeset_with_a_text_layer():
    """The shipped PDF is the handout written for the app (shared test material may not ship), text and all."""
    from lmgpa_desktop.core.capture import document_text

    pdf = paths.resource("samples", "sample_handout.pdf")
    assert pdf.is_file() and pdf.stat().st_size < 200_000
    assert not list(paths.resource("samples").glob("think*")) and not list(paths.resource("licenses").glob("Think*"))
    pages = list(document_text.extract(pdf))
    assert [p.method for p in pages] == ["text", "text"]  # a text layer: no OCR needed to search or highlight it
    source = paths.resource("samples", "sample_handout.html").read_text(encoding="utf-8")
    words = set(re.findall(r"[a-z]{6,}", re.sub(r"<[^>]+>|&\w+;", " ", source).lower()))
    found = set(re.findall(r"[a-z]{6,}", " ".join(p.text for p in pages).lower()))
    assert len(words) > 60 and words <= found  # every word of the source is in the PDF's text


# -- Record without a microphone --------------------------------------------------------------------------------
@pytest.fixture
def record_page(qtbot, ctx):
    runner = JobRunner(ctx)
    made = []

    def make():
        page = RecordPage(ctx, runner)
        qtbot.addWidget(page)
        page.show()
        made.append(page)
        return page

    yield make
    for page in made:
        page.ops.close()


def test_no_microphone_says_why_and_check_again_finds_one(qtbot, record_page, monkeypatch):
    calls = []
    mic = InputDevice(3, "USB microphone", True, 48_000.0, 1)
    monkeypatch.setattr(recorder_core, "list_input_devices", lambda: calls.append("list") or [])
    monkeypatch.setattr(recorder_core, "refresh_input_devices", lambda: calls.append("rescan") or [mic])
    page = record_page()
    qtbot.waitUntil(lambda: page.no_mic.isVisible(), timeout=10_000)
    assert page.no_mic.title.text() == "No microphone found"
    advice = page.no_mic.text.text()
    assert "Plug one in" in advice and "sound settings" in advice and "privacy" in advice
    assert not page.record_button.isEnabled() and "No microphone" in page.record_button.toolTip()
    assert page.no_mic.buttons["Import audio or video…"].isEnabled()  # importing a recording still works
    assert page.import_button.isEnabled()

    qtbot.mouseClick(page.no_mic.buttons["Check again"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.no_mic.isVisible(), timeout=10_000)
    assert calls == ["list", "rescan"], "Check again asks the sound system again, for devices plugged in since"
    assert page.device.currentData() == 3 and page.device.currentText() == "USB microphone (default)"
    assert page.record_button.isEnabled() and page.record_button.toolTip() == ""


def test_a_failing_sound_system_is_explained_too(qtbot, record_page, monkeypatch):
    def broken():
        raise RecorderError("the sound system could not list microphones: Error querying device -1")

    monkeypatch.setattr(recorder_core, "list_input_devices", broken)
    page = record_page()
    qtbot.waitUntil(lambda: page.no_mic.isVisible(), timeout=10_000)
    assert "Error querying device -1" in page.no_mic.text.text()
    assert not page.record_button.isEnabled()


def test_import_is_offered_beside_the_missing_microphone(qtbot, record_page, monkeypatch):
    monkeypatch.setattr(recorder_core, "list_input_devices", lambda: [])
    asked = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (asked.append(a[1]), ([], ""))[1])
    page = record_page()
    qtbot.waitUntil(lambda: page.no_mic.isVisible(), timeout=10_000)
    qtbot.mouseClick(page.no_mic.buttons["Import audio or video…"], Qt.MouseButton.LeftButton)
    assert asked == ["Import audio or video"]
