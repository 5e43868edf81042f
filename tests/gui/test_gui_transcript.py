"""Record page and transcript view: click a word or timestamp and playback moves there; highlight, speed,
skip, find, edit, bookmarks, export, drag-and-drop import."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QTextCursor
from PySide6.QtMultimedia import QMediaPlayer

from lmgpa_desktop.app import build_window
from lmgpa_desktop.core.capture.media_import import import_media

pytestmark = pytest.mark.slow


@pytest.fixture
def transcribed(ctx, shared):
    source = import_media(ctx, shared / "audio" / "jfk.flac").source
    assert ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": source.id})).state == "done"
    return source


@pytest.fixture
def page(qtbot, ctx, transcribed):
    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    win.show_area("record")
    record = win.pages["record"]
    record.select_source(transcribed.id)
    view = record.view
    qtbot.waitUntil(lambda: record.ops.pending == 0 and view.ops.pending == 0
                    and view.player.mediaStatus() == QMediaPlayer.MediaStatus.LoadedMedia, timeout=20_000)
    yield record
    view.player.stop()
    win.close()


def _point_of(view, text: str, occurrence: int = 0) -> QPoint:
    """Viewport position of the middle of the n-th occurrence of text in the transcript."""
    cursor = QTextCursor(view.body.document())
    for _ in range(occurrence + 1):
        cursor = view.body.document().find(text, cursor)
        assert not cursor.isNull(), text
    middle = QTextCursor(cursor)
    middle.setPosition((cursor.selectionStart() + cursor.selectionEnd()) // 2)
    return view.body.cursorRect(middle).center()


def test_clicking_a_word_moves_the_player_there_and_highlights_its_segment(page, qtbot):
    view = page.view
    segments = view.transcript.segments
    assert segments and "segments" in view.status.text()
    hits = [(i, w) for i, seg in enumerate(segments) for w in seg.words if "country" in w[2].lower()]
    assert len(hits) == 2  # "...what your country can do for you, ask what you can do for your country."
    target_seg, word = hits[1]
    qtbot.mouseClick(view.body.viewport(), Qt.MouseButton.LeftButton, pos=_point_of(view, "country", 1))
    assert abs(view.player.position() - word[0] * 1000) < 80
    assert view.current_segment() == target_seg
    assert view.body.extraSelections()  # the current segment is highlighted
    view.player.pause()


def test_clicking_a_timestamp_plays_from_the_segment_start(page, qtbot):
    view = page.view
    seg = view.transcript.segments[-1]
    stamp = f"[0:{int(seg.start):02d}]"
    qtbot.mouseClick(view.body.viewport(), Qt.MouseButton.LeftButton, pos=_point_of(view, stamp))
    assert abs(view.player.position() - seg.start * 1000) < 80
    qtbot.waitUntil(lambda: view.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState, timeout=5000)
    view.toggle_play()
    assert view.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState


def test_speed_skip_and_find(page, qtbot):
    view = page.view
    view.speed.setCurrentIndex(view.speed.findData(1.5))
    assert view.player.playbackRate() == 1.5
    view.seek(2.0, play=False)
    qtbot.mouseClick(view.forward_button, Qt.MouseButton.LeftButton)
    assert abs(view.player.position() - 7000) < 80
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
    assert view.player.position() == 0
    qtbot.keyClicks(view.find_box, "country")
    assert view.find_count.text() == "2 found"
    qtbot.keyClick(view.find_box, Qt.Key.Key_Return)
    assert view.find_count.text() == "1 of 2"


def test_edit_bookmark_and_export(page, ctx, qtbot, tmp_path):
    view = page.view
    original = view.transcript.segments[0].text
    view.set_segment_text(0, "And so, my fellow students")
    qtbot.waitUntil(lambda: view.ops.pending == 0)
    assert "my fellow students" in view.body.toPlainText() and "✎" in view.body.toPlainText()
    assert view.transcript.segments[0].text == original  # the model's words are kept apart
    out = view.export("srt", str(tmp_path / "jfk.srt"))
    assert "my fellow students" in out.read_text()
    view.add_bookmark(3.5, "inaugural line")
    qtbot.waitUntil(lambda: view.ops.pending == 0)
    assert (3.5, "inaugural line") in view.timeline.bookmarks
    page.mark_label.setText("second look")
    view.seek(6.0, play=False)
    page.mark()
    qtbot.waitUntil(lambda: view.ops.pending == 0)
    assert any(label == "second look" and abs(at - 6.0) < 0.2 for at, label in view.timeline.bookmarks)


def test_dropping_files_imports_media_and_rejects_others(page, qtbot, shared, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(shared / "audio" / "2412-153948-0000.flac")),
                  QUrl.fromLocalFile(str(notes))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    page.dropEvent(event)
    assert "notes.txt" in page.message.text()
    qtbot.waitUntil(lambda: page.sources.count() == 2, timeout=30_000)
    titles = [page.sources.item(i).text() for i in range(page.sources.count())]
    assert any(t.startswith("2412-153948-0000") for t in titles)


def test_a_bad_file_import_fails_with_a_clear_job_error(page, qtbot, tmp_path):
    bad = tmp_path / "lecture.mp3"
    bad.write_bytes(b"\x00garbage" * 100)
    finished = []
    page.runner.finished.connect(finished.append)
    job_id = page.import_files([Path(bad)])[0]
    qtbot.waitUntil(lambda: any(j.id == job_id for j in finished), timeout=30_000)
    job = next(j for j in finished if j.id == job_id)
    assert job.state == "failed" and "not a readable audio or video file" in job.error
