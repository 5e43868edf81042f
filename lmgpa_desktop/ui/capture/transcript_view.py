"""Transcript view: click a word to play from it, highlight, speed, timeline, edits, find, export."""

from __future__ import annotations

import bisect
import html
import re
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QColor, QKeySequence, QPixmap, QTextCursor
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import (
    QComboBox, QDialog, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMenu, QMessageBox,
    QPushButton, QSlider, QTextBrowser, QTextEdit, QToolButton, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.capture.transcript_export import FORMATS, render
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.library import library
from lmgpa_desktop.ui.capture.timeline import Timeline
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.read_aloud import ReadAloudAction, ReadAloudBar
from lmgpa_desktop.ui.sync.media_bar import MissingAudioBar

SPEEDS = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
SKIP_MS = 5000
_NOT_SPOKEN = re.compile(r"\[\d+(?::\d{2}){1,2}\]|✎")  # timestamps and the edit mark in a selection


class TranscriptView(QWidget):
    """Shows one source's transcript with its audio."""

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.source = None
        self.transcript = None
        self.ops = Operations(self, "transcript")
        self._source_id: int | None = None  # asked for; self.source follows once read
        self._generation = 0  # of the last read asked for: an older answer is not shown over a newer one
        self._new_media = False  # the player takes the file once the source is read
        self._model_label = ""
        self._starts: list[float] = []
        self._current = -1
        self._find_hits: list[QTextCursor] = []
        self._find_index = -1

        self.title = QLabel("Choose a recording or audio file")
        self.title.setObjectName("sectionTitle")
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.retranscribe = QPushButton("Transcribe again")
        self.retranscribe.clicked.connect(self._transcribe_again)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        for fmt in FORMATS:
            menu.addAction(fmt.upper(), lambda f=fmt: self.export(f))
        self.export_button.setMenu(menu)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.status)
        header.addWidget(self.retranscribe)
        header.addWidget(self.export_button)

        self.player = QMediaPlayer(self)
        # A position set while the file is still loading is dropped by the player: keep it until the media is in.
        self._pending_ms: int | None = None
        self.player.mediaStatusChanged.connect(self._apply_pending_seek)
        self.audio = QAudioOutput(self)
        self.player.setAudioOutput(self.audio)
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play / pause (Space in the transcript)")
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button = QPushButton("−5 s")
        self.back_button.clicked.connect(lambda: self.skip(-SKIP_MS))
        self.forward_button = QPushButton("+5 s")
        self.forward_button.clicked.connect(lambda: self.skip(SKIP_MS))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setAccessibleName("Playback position")
        self.slider.sliderMoved.connect(self.player.setPosition)
        self.time_label = QLabel("0:00 / 0:00")
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(lambda: self.player.setPlaybackRate(self.speed.currentData()))
        self.speed.setToolTip("Playback speed")
        controls = QHBoxLayout()
        for w in (self.play_button, self.back_button, self.forward_button):
            controls.addWidget(w)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.speed)
        self.timeline = Timeline()
        self.timeline.seek.connect(lambda s: self.seek(s, play=False))
        self.timeline.photo_clicked.connect(self.show_photo)

        self.find_box = QLineEdit()
        self.find_box.setPlaceholderText("Find in transcript (Ctrl+F)")
        self.find_box.textChanged.connect(self._find)
        self.find_box.returnPressed.connect(lambda: self._find_step(1))
        self.find_count = QLabel("")
        prev_button, next_button = QPushButton("◀"), QPushButton("▶")
        prev_button.setToolTip("Previous match")
        next_button.setToolTip("Next match")
        prev_button.clicked.connect(lambda: self._find_step(-1))
        next_button.clicked.connect(lambda: self._find_step(1))
        find_row = QHBoxLayout()
        find_row.addWidget(self.find_box, 1)
        find_row.addWidget(self.find_count)
        find_row.addWidget(prev_button)
        find_row.addWidget(next_button)

        self.body = QTextBrowser()
        self.body.setAccessibleName("Transcript")
        self.body.setOpenLinks(False)
        self.body.anchorClicked.connect(self._anchor)
        self.body.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.body.customContextMenuRequested.connect(self._context_menu)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(controls)
        self.missing_audio = MissingAudioBar(ctx, runner, self)  # synced from another computer, not here yet
        layout.addWidget(self.missing_audio)
        layout.addWidget(self.timeline)
        layout.addLayout(find_row)
        layout.addWidget(self.body, 1)
        self.read_aloud = ReadAloudBar(ctx, self.text_to_read, self)
        self.read_aloud.play_button.setToolTip("Read the selected text (or the current segment) aloud / pause")
        self.read_aloud.started.connect(self._pause_if_playing)  # two voices at once cannot be followed
        layout.addWidget(self.read_aloud)
        self.read_aloud_action = ReadAloudAction(self.read_aloud, self.text_to_read, self)
        self.read_aloud_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.read_aloud_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.read_aloud_action)

        find_action = QAction("Find in the transcript", self, shortcut=QKeySequence.StandardKey.Find)  # `?` lists it
        find_action.triggered.connect(lambda: self.find_box.setFocus())
        self.addAction(find_action)
        play_action = QAction("Play or pause the recording", self, shortcut=QKeySequence("Ctrl+Space"))
        play_action.triggered.connect(self.toggle_play)
        self.addAction(play_action)

        self.player.positionChanged.connect(self._on_position)
        self.player.durationChanged.connect(lambda d: self.slider.setRange(0, d))
        self.player.playbackStateChanged.connect(self._on_state)
        self.follow = QTimer(self)  # a running transcription grows while the student watches
        self.follow.setInterval(1000)
        self.follow.timeout.connect(self._grow)
        runner.finished.connect(self._job_finished)
        self._set_enabled(False)

    # -- loading ---------------------------------------------------------------------------------------------
    def show_source(self, source_id: int | None) -> None:
        """Show a source (None clears the view)."""
        if self.player.playbackState() != QMediaPlayer.PlaybackState.StoppedState:
            self.player.stop()
        if self._source_id is None or self._source_id != source_id:  # a reload of the same source keeps reading
            self.read_aloud.stop()
        self._source_id, self._new_media = source_id, True
        self.reload()

    def _pause_if_playing(self) -> None:
        # Only a playing player: pause() on a stopped one starts FFmpeg's pipeline (and its audio thread), and a
        # later stop() on the UI thread can deadlock with that thread over Qt's connection lock and the GIL.
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()

    def reload(self, then=None) -> None:
        """Read the source and its transcript again (off the UI thread) and render them; then then()."""
        self._generation += 1
        ctx, source_id, generation = self.ctx, self._source_id, self._generation

        def read():
            src = library.get(ctx, source_id) if source_id else None
            if src is None:
                return None, None, [], [], ""
            transcript = transcripts.current(ctx, src.id)
            label = transcripts.model_label(ctx, transcript.model) if transcript else ""
            return src, transcript, transcripts.bookmarks(ctx, src.id), transcripts.photos(ctx, src.id), label

        self.ops.run(read, lambda found: self._loaded(generation, *found, then))

    def _loaded(self, generation: int, src, transcript, bookmarks, photos, model_label: str, then) -> None:
        if generation != self._generation:
            return  # a newer read is on its way
        self.source, self.transcript, self._model_label = src, transcript, model_label
        if self._new_media:
            self._new_media = False
            if src and src.stored_path and Path(src.stored_path).is_file():
                self.player.setSource(QUrl.fromLocalFile(src.stored_path))
            else:
                self.player.setSource(QUrl())
            self.missing_audio.show_for(src)
        self.title.setText(src.title if src else "Choose a recording or audio file")
        self._render()
        if self._pending_ms is not None:  # opened at a citation's second: show its sentence while the audio loads
            self._on_position(self._pending_ms)
        self._update_status()
        self._set_enabled(bool(src))
        playable = bool(src and src.stored_path)
        for w in (self.play_button, self.back_button, self.forward_button, self.slider, self.speed):
            w.setEnabled(playable)
        if src:
            duration = src.duration_s or (self.transcript.duration_s if self.transcript else 0) or 0
            self.timeline.set_marks(duration, bookmarks, photos)
        running = bool(self.transcript and (self.transcript.status == "running" or self.transcript.kind == "live"))
        self.follow.start() if running else self.follow.stop()
        if then is not None:
            then()

    def _set_enabled(self, on: bool) -> None:
        for w in (self.retranscribe, self.export_button, self.find_box):
            w.setEnabled(on)

    def _update_status(self) -> None:
        t = self.transcript
        if self.source is None:
            text = ""
        elif t is None:
            text = {"new": "waiting to be transcribed", "failed": f"failed: {self.source.error}"}.get(
                self.source.status, self.source.status)
        elif t.kind == "live":
            text = "live transcript (a final pass replaces it when the recording stops)"
        elif t.status == "running":
            text = f"transcribing… {len(t.segments)} segments so far"
        elif t.status == "cancelled":
            text = "partial transcript (transcription was stopped)"
        else:
            text = f"{len(t.segments)} segments · {t.language or '?'} · {self._model_label}"
        self.status.setText(text)

    def _segment_html(self, seg) -> str:
        stamp = f'<a href="seek:{seg.start:.3f}" style="color:#7a8092;text-decoration:none">[{clock(seg.start)}]</a>'
        if seg.edited_text is None and seg.words:
            body = "".join(
                f'<a href="seek:{w[0]:.3f}" style="color:inherit;text-decoration:none">{html.escape(w[2])}</a>'
                for w in seg.words)
        else:
            body = " " + html.escape(seg.shown)
        mark = ' <span style="color:#e07a1f" title="edited by you">✎</span>' if seg.edited_text is not None else ""
        return f"{stamp}{body}{mark}"

    def _render(self) -> None:
        segs = self.transcript.segments if self.transcript else []
        self._starts = [s.start for s in segs]
        self._current = -1
        if not segs:
            self.body.setHtml('<p style="color:#7a8092">No transcript yet.</p>' if self.source else "")
        else:
            self.body.setHtml("".join(f"<p>{self._segment_html(s)}</p>" for s in segs))
        self._find(self.find_box.text())

    def _grow(self) -> None:
        """Append segments a running transcription has added since the last look (read off the UI thread)."""
        if not self.source or self.ops.pending:
            return  # nothing shown, or the last look (or a reload) is still on its way
        ctx, source_id, generation = self.ctx, self.source.id, self._generation
        self.ops.run(lambda: transcripts.current(ctx, source_id), lambda fresh: self._grown(generation, fresh))

    def _grown(self, generation: int, fresh) -> None:
        if generation != self._generation:
            return  # the view was reloaded meanwhile
        if fresh is None or self.transcript is None or fresh.id != self.transcript.id:
            self.reload()
            return
        new = fresh.segments[len(self.transcript.segments):]
        self.transcript = fresh
        if new:
            bar = self.body.verticalScrollBar()
            at_bottom = bar.value() >= bar.maximum() - 4
            if not self._starts:
                self.body.clear()  # drop the "No transcript yet" line
            cursor = QTextCursor(self.body.document())
            cursor.movePosition(QTextCursor.MoveOperation.End)
            for seg in new:
                if self._starts:
                    cursor.insertBlock()  # one block per segment, so block number == segment index
                cursor.insertHtml(self._segment_html(seg))
                self._starts.append(seg.start)
            if at_bottom:
                bar.setValue(bar.maximum())
        self._update_status()
        if fresh.status != "running" and fresh.kind != "live":
            self.follow.stop()

    def _job_finished(self, job) -> None:
        if self._source_id is not None and job.payload.get("source_id") == self._source_id:
            self.show_source(self._source_id)

    # -- playback --------------------------------------------------------------------------------------------
    def seek(self, seconds: float, play: bool = True) -> None:
        """Move playback to a second (and play)."""
        ms = int(seconds * 1000)
        loading = self.player.mediaStatus() in (QMediaPlayer.MediaStatus.LoadingMedia,
                                                 QMediaPlayer.MediaStatus.NoMedia)
        # The source being read has no file in the player yet: keep the position for when it is loaded.
        self._pending_ms = ms if self._new_media or loading and self.player.source().isValid() else None
        self.player.setPosition(ms)
        self._on_position(ms)
        if play and self.player.source().isValid() and not self._new_media:
            self.player.play()

    def _apply_pending_seek(self, status) -> None:
        """Seek where a citation or search hit asked, once the player can (it ignores it while loading)."""
        if self._pending_ms is not None and status in (QMediaPlayer.MediaStatus.LoadedMedia,
                                                       QMediaPlayer.MediaStatus.BufferedMedia):
            ms, self._pending_ms = self._pending_ms, None
            self.player.setPosition(ms)
            self._on_position(ms)

    def skip(self, delta_ms: int) -> None:
        """Jump back or forward."""
        self.seek(max(0, self.player.position() + delta_ms) / 1000, play=False)

    def toggle_play(self) -> None:
        """Play or pause."""
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        elif self.player.source().isValid():
            self.player.play()

    def _on_state(self, state) -> None:
        self.play_button.setText("Pause" if state == QMediaPlayer.PlaybackState.PlayingState else "Play")

    def _on_position(self, ms: int) -> None:
        if not self.slider.isSliderDown():
            self.slider.setValue(ms)
        total = max(self.player.duration(), 0)
        self.time_label.setText(f"{clock(ms / 1000)} / {clock(total / 1000)}")
        self.timeline.position = ms / 1000
        self.timeline.update()
        index = bisect.bisect_right(self._starts, ms / 1000 + 1e-3) - 1
        if index != self._current:
            self._current = index
            self._paint_highlights(scroll=True)

    def current_segment(self) -> int:
        """Index of the segment under the playback position (-1 before the first)."""
        return self._current

    def _paint_highlights(self, scroll: bool = False) -> None:
        selections = []
        for cursor in self._find_hits:
            sel = QTextEdit.ExtraSelection()
            sel.cursor = cursor
            sel.format.setBackground(QColor("#ffe58a"))
            selections.append(sel)
        if 0 <= self._current < len(self._starts):
            block = self.body.document().findBlockByNumber(self._current)
            sel = QTextEdit.ExtraSelection()
            whole = QTextCursor(block)
            whole.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = whole
            sel.format.setBackground(QColor(91, 91, 214, 60))
            selections.insert(0, sel)
            if scroll:
                rect = self.body.cursorRect(QTextCursor(block))
                if not self.body.viewport().rect().contains(rect.topLeft()):
                    self.body.setTextCursor(QTextCursor(block))
                    self.body.ensureCursorVisible()
        self.body.setExtraSelections(selections)

    def _anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("seek:"):
            self.seek(float(text[5:]))

    # -- editing and bookmarks -------------------------------------------------------------------------------
    def _segment_at(self, pos: QPoint) -> int:
        return self.body.cursorForPosition(pos).blockNumber()

    def _context_menu(self, pos: QPoint) -> None:
        index = self._segment_at(pos)
        if not self.transcript or not 0 <= index < len(self.transcript.segments):
            return
        seg = self.transcript.segments[index]
        menu = QMenu(self)
        menu.addAction(f"Play from {clock(seg.start)}", lambda: self.seek(seg.start))
        if self.body.textCursor().hasSelection():
            menu.addAction(ReadAloudAction(self.read_aloud, self.text_to_read, menu, "Read the selection aloud"))
        menu.addAction(ReadAloudAction(self.read_aloud, lambda: seg.shown, menu, "Read this segment aloud"))
        menu.addAction("Edit this segment…", lambda: self.edit_segment(index))
        if seg.edited_text is not None:
            menu.addAction("Revert to the transcribed text", lambda: self.set_segment_text(index, None))
        menu.addAction("Bookmark this moment…", lambda: self.add_bookmark(seg.start))
        menu.addSeparator()
        menu.addAction("Copy", self.body.copy)
        menu.exec(self.body.viewport().mapToGlobal(pos))

    def text_to_read(self) -> str:
        """What Read aloud reads: the selected text, else the current segment (the first before playback)."""
        selected = self.body.textCursor().selectedText().replace("\u2029", "\n\n")  # Qt's paragraph mark
        if selected.strip():
            return _NOT_SPOKEN.sub(" ", selected)
        segments = self.transcript.segments if self.transcript else []
        return segments[max(0, self._current)].shown if segments else ""

    def edit_segment(self, index: int) -> None:
        """Ask for new wording of a segment."""
        seg = self.transcript.segments[index]
        text, ok = QInputDialog.getMultiLineText(self, "Edit segment", f"Text at {clock(seg.start)}:", seg.shown)
        if ok:
            self.set_segment_text(index, text)

    def set_segment_text(self, index: int, text: str | None) -> None:
        """Store the student's wording (None or empty reverts) and re-render (on the database lane, in order)."""
        ctx, segment_id = self.ctx, self.transcript.segments[index].id
        self.ops.run(lambda: transcripts.edit_segment(ctx, segment_id, text))
        bar = self.body.verticalScrollBar().value()
        self.reload(then=lambda: self.body.verticalScrollBar().setValue(bar))

    def add_bookmark(self, at_s: float, label: str | None = None) -> None:
        """Bookmark a second of this source (asks for an optional label when none is given)."""
        if label is None:
            label, ok = QInputDialog.getText(self, "Bookmark", f"Label for {clock(at_s)} (optional):")
            if not ok:
                return
        ctx, source_id = self.ctx, self.source.id
        self.ops.run(lambda: transcripts.add_bookmark(ctx, source_id, at_s, label or None))
        self.reload()

    def show_photo(self, path: str) -> None:
        """A photo attached to the recording, in a small window."""
        dialog = QDialog(self)
        dialog.setWindowTitle(Path(path).name)
        label = QLabel()
        pixmap = QPixmap(path)
        label.setPixmap(pixmap.scaled(900, 700, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation) if not pixmap.isNull() else pixmap)
        if pixmap.isNull():
            label.setText(f"The photo {path} cannot be shown (missing or not an image).")
        QVBoxLayout(dialog).addWidget(label)
        dialog.open()

    # -- find and export -------------------------------------------------------------------------------------
    def _find(self, needle: str) -> None:
        self._find_hits, self._find_index = [], -1
        if needle.strip():
            doc = self.body.document()
            cursor = doc.find(needle, 0)
            while not cursor.isNull():
                self._find_hits.append(cursor)
                cursor = doc.find(needle, cursor)
        self.find_count.setText(f"{len(self._find_hits)} found" if needle.strip() else "")
        self._paint_highlights()

    def _find_step(self, step: int) -> None:
        if not self._find_hits:
            return
        self._find_index = (self._find_index + step) % len(self._find_hits)
        hit = self._find_hits[self._find_index]
        self.body.setTextCursor(hit)
        self.body.ensureCursorVisible()
        self.find_count.setText(f"{self._find_index + 1} of {len(self._find_hits)}")

    def export(self, fmt: str, target: str | None = None) -> Path | None:
        """Save the transcript (with the student's edits) as fmt."""
        if not self.transcript or not self.transcript.segments:
            QMessageBox.information(self, "Export", "There is no transcript to export yet.")
            return None
        if target is None:
            suggested = str(Path.home() / f"{self.source.title}.{fmt}")
            target, _ = QFileDialog.getSaveFileName(self, "Export transcript", suggested, f"*.{fmt}")
            if not target:
                return None
        path = Path(target)
        try:
            path.write_text(render(self.transcript, fmt, self.source.title), encoding="utf-8")
        except OSError as exc:
            QMessageBox.warning(self, "Export", f"Could not write {path}: {exc.strerror or exc}")
            return None
        return path

    def _transcribe_again(self) -> None:
        if self.source:
            self.runner.submit("transcribe", {"source_id": self.source.id}, f"Transcribing {self.source.title}")
            self.status.setText("queued for transcription")
