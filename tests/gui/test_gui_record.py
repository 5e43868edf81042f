"""Record page end to end through real PortAudio: a virtual microphone hears real speech; the page records,
bookmarks, shows live text, stops, and the recording is finalized and transcribed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.text_metrics import word_error_rate
from lmgpa_desktop.storage import sources_repo

pytestmark = pytest.mark.slow


def test_record_mark_stop_then_final_transcript(qtbot, virtual_mic, ctx, shared, tmp_path):
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    win.show_area("record")
    page = win.pages["record"]
    page.refresh_devices()  # read off the UI thread
    qtbot.waitUntil(lambda: page.device.currentData() is not None, timeout=10_000)  # the virtual microphone
    page.name.setText("Test lecture")
    qtbot.mouseClick(page.record_button, Qt.MouseButton.LeftButton)
    assert page.recorder is not None and page.record_button.text() == "■ Stop"
    player = virtual_mic.play(shared / "audio" / "2412-153948-0000.flac")
    qtbot.waitUntil(lambda: page.recorder.elapsed_s > 4, timeout=30_000)
    qtbot.waitUntil(lambda: page.level.value() > 5, timeout=10_000)  # the meter moves with the speech
    page.mark_label.setText("important")
    qtbot.keyClick(page, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert "important" in page.message.text()
    player.wait(60)
    qtbot.waitUntil(lambda: page.recorder.elapsed_s > 13, timeout=30_000)
    source_id = page.recorder.source_id
    live = transcripts.current(ctx, source_id)
    qtbot.waitUntil(lambda: bool(transcripts.current(ctx, source_id).segments), timeout=60_000)
    assert transcripts.current(ctx, source_id).kind == "live"

    finished = []
    win.runner.finished.connect(finished.append)
    qtbot.mouseClick(page.record_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.recorder is None, timeout=30_000)
    qtbot.waitUntil(lambda: any(j.kind == "transcribe" and j.state == "done" for j in finished), timeout=180_000)
    source = sources_repo.get(ctx.db, source_id)
    assert source.title == "Test lecture" and source.status == "ready" and source.duration_s > 12
    final = transcripts.current(ctx, source_id)
    assert final.kind == "final" and live is not None
    reference = (shared / "audio" / "2412-153948-0000.reference.txt").read_text()
    assert word_error_rate(reference, " ".join(s.text for s in final.segments)) < 0.15
    marks = transcripts.bookmarks(ctx, source_id)
    assert [label for _, _, label in marks] == ["important"] and 3 < marks[0][1] < 8
    qtbot.waitUntil(lambda: page.ops.pending == 0)
    assert page.current_source_id() == source_id
    qtbot.waitUntil(lambda: "segments" in page.view.status.text(), timeout=10_000)
    win.close()
