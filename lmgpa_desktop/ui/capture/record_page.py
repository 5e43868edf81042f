"""Record: capture a lecture with live transcript, import audio and video, browse recordings and transcripts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox,
    QProgressBar, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from lmgpa_desktop.core.capture import recorder as recorder_core
from lmgpa_desktop.core.capture.media_import import MEDIA_SUFFIXES
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.library import library
from lmgpa_desktop.ui.capture.transcript_view import TranscriptView
from lmgpa_desktop.ui.kit.empty_state import EmptyState
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.kit.status_line import StatusLine

MEDIA_KINDS = ("audio", "video", "recording")
STATUS_TEXT = {"new": "waiting", "processing": "transcribing", "ready": "ready", "failed": "failed",
               "recording": "recording"}


class RecordPage(QWidget):
    """The capture area of the app."""

    def __init__(self, ctx, runner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.recorder = None
        self.live = None
        self._stopping = False
        self._wanted: int | None = None  # selected before the list that holds it arrived
        self._listing = False  # the device list is being read
        self.ops = Operations(self, "record")
        self.setAcceptDrops(True)

        title = QLabel("Record")
        title.setObjectName("pageTitle")
        self.device = QComboBox()
        self.device.setMinimumWidth(220)
        refresh = self.refresh_button = QPushButton("↻")
        refresh.setToolTip("Look for microphones again")
        refresh.setAccessibleName("Look for microphones again")
        refresh.clicked.connect(lambda: self.refresh_devices(rescan=True))
        self.name = QLineEdit()
        self.name.setPlaceholderText("Lecture title (optional)")
        self.record_button = QPushButton("● Record")
        self.record_button.setObjectName("primary")
        self.record_button.clicked.connect(self.toggle_record)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.elapsed = QLabel("0:00")
        self.elapsed.setObjectName("elapsed")
        self.level = QProgressBar()
        self.level.setRange(0, 100)
        self.level.setTextVisible(False)
        self.level.setFixedWidth(140)
        self.level.setToolTip("Input level")
        self.mark_label = QLineEdit()
        self.mark_label.setPlaceholderText("Bookmark label (optional)")
        self.mark_button = QPushButton("⚑ Mark moment")
        self.mark_button.setToolTip("Bookmark the current second (Ctrl+M)")
        self.mark_button.clicked.connect(self.mark)
        self.photo_button = QPushButton("Add photo…")
        self.photo_button.setToolTip("Attach a photo of the board or slides at the current second")
        self.photo_button.clicked.connect(self.attach_photo)
        self.import_button = QPushButton("Import audio or video…")
        self.import_button.clicked.connect(self.choose_files)
        self.message = StatusLine(name="recordMessage")  # "Bookmarked …" clears itself; "Recording…" stays
        self.live_text = QLabel("")
        self.live_text.setWordWrap(True)
        self.live_text.setObjectName("muted")

        row1 = QHBoxLayout()
        row1.addWidget(QLabel("Microphone"))
        row1.addWidget(self.device)
        row1.addWidget(refresh)
        row1.addWidget(self.name, 1)
        row2 = QHBoxLayout()
        for w in (self.record_button, self.pause_button, self.elapsed, self.level, self.mark_label, self.mark_button,
                  self.photo_button):
            row2.addWidget(w)
        row2.addStretch(1)
        box = QGroupBox("New recording")
        box_layout = QVBoxLayout(box)
        box_layout.addLayout(row1)
        box_layout.addLayout(row2)
        self.no_mic = EmptyState(compact=True)  # why Record cannot record and how to fix it, not just a dimmed button
        self.no_mic.hide()
        box_layout.addWidget(self.no_mic)
        box_layout.addWidget(self.message)
        box_layout.addWidget(self.live_text)

        self.sources = QListWidget()
        self.sources.setWordWrap(True)  # a long title wraps instead of giving the list a horizontal scrollbar
        self.sources.currentItemChanged.connect(self._source_selected)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Recordings and audio (drop files here)"))
        left_layout.addWidget(self.sources, 1)
        left_layout.addWidget(self.import_button)
        self.view = TranscriptView(ctx, runner)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.view)
        split.setStretchFactor(1, 3)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(box)
        layout.addWidget(split, 1)

        mark_action = QAction("Mark this moment", self, shortcut=QKeySequence("Ctrl+M"))  # the text is what `?` lists
        mark_action.triggered.connect(self.mark)
        self.addAction(mark_action)
        self.meter = QTimer(self)  # level meter and clock, 20 times a second while recording
        self.meter.setInterval(50)
        self.meter.timeout.connect(self._tick)
        runner.finished.connect(lambda _job: self.refresh_sources())
        self.refresh_devices()
        self.refresh_sources()
        self._update_buttons()

    # -- devices and sources ---------------------------------------------------------------------------------
    def first_focus(self):
        """Where the keyboard goes when the page is opened by keyboard: Record, or Import without a microphone."""
        return self.record_button if self.record_button.isEnabled() else self.import_button

    def refresh_devices(self, rescan: bool = False) -> None:
        """List the microphones off the UI thread; rescan also finds ones plugged in since the app started."""
        if self.recorder is not None:
            return  # a re-scan restarts PortAudio under the running stream
        self._listing = True
        self._update_buttons()
        query = recorder_core.refresh_input_devices if rescan else recorder_core.list_input_devices
        # The compute lane: PortAudio can take a while to probe the sound system, and database reads need not wait.
        self.ops.run(query, self._show_devices, lambda exc: self._show_devices([], str(exc)), lane="compute")

    def _show_devices(self, devices, error: str = "") -> None:
        self._listing = False
        chosen = self.device.currentData()
        self.device.clear()
        for dev in devices:
            self.device.addItem(dev.name + (" (default)" if dev.is_default else ""), dev.index)
        index = self.device.findData(chosen) if chosen is not None else -1
        if index < 0:
            index = next((i for i, dev in enumerate(devices) if dev.is_default), 0)
        self.device.setCurrentIndex(index)
        if not devices:
            self.device.addItem("No microphone found", None)
        self._explain_no_microphone(not devices, error)
        self._update_buttons()

    def _explain_no_microphone(self, missing: bool, error: str) -> None:
        """With no microphone, say why Record cannot record and how to fix it; importing still works."""
        self.no_mic.setVisible(missing)
        if not missing:
            return
        said = f" (the sound system said: {error})" if error else ""
        self.no_mic.set("No microphone found",
                        f"Recording needs a microphone{said}. Plug one in (a headset works too), check in your "
                        "system's sound settings that it is the input device in use and not muted, and that this "
                        "app may use the microphone (privacy settings). Then press Check again. You can still "
                        "import a recording you already have.",
                        [("Check again", lambda: self.refresh_devices(rescan=True)),
                         ("Import audio or video…", self.choose_files)])

    def refresh_sources(self) -> None:
        """Reload the list of recordings and audio, keeping the selection (read off the UI thread)."""
        ctx = self.ctx
        self.ops.run(lambda: library.sources(ctx, kinds=MEDIA_KINDS), self._show_sources)

    def _show_sources(self, sources) -> None:
        selected = self.current_source_id() if self._wanted is None else self._wanted
        self._wanted = None
        self.sources.blockSignals(True)
        self.sources.clear()
        for src in sources:
            length = clock(src.duration_s) if src.duration_s else "…"
            item = QListWidgetItem(f"{src.title}\n{src.kind} · {length} · {STATUS_TEXT.get(src.status, src.status)}")
            item.setData(Qt.ItemDataRole.UserRole, src.id)
            self.sources.addItem(item)
            if src.id == selected:
                self.sources.setCurrentItem(item)
        self.sources.blockSignals(False)

    def current_source_id(self) -> int | None:
        """The source shown on the right."""
        item = self.sources.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def select_source(self, source_id: int) -> None:
        """Show a source's transcript."""
        for row in range(self.sources.count()):
            if self.sources.item(row).data(Qt.ItemDataRole.UserRole) == source_id:
                self.sources.setCurrentRow(row)
                return
        if self.ops.pending:
            self._wanted = source_id  # a new recording, or the page just opened: the list on its way selects it
        self.view.show_source(source_id)

    def _source_selected(self, item, _previous) -> None:
        self._wanted = None
        self.view.show_source(item.data(Qt.ItemDataRole.UserRole) if item else None)

    # -- importing -------------------------------------------------------------------------------------------
    def choose_files(self) -> None:
        """Pick audio or video files to import."""
        pattern = " ".join(f"*{s}" for s in sorted(MEDIA_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(self, "Import audio or video", str(Path.home()),
                                                f"Audio and video ({pattern});;All files (*)")
        self.import_files([Path(f) for f in files])

    def import_files(self, files: list[Path]) -> list[int]:
        """Queue an import job per file (each is checked, copied and then transcribed)."""
        jobs = [self.runner.submit("import.media", {"path": str(f)}, f"Importing {f.name}") for f in files]
        if jobs:
            self.message.setText(f"Importing {len(jobs)} file(s); transcripts follow automatically.")
        return jobs

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        skipped = [f.name for f in files if f.suffix.lower() not in MEDIA_SUFFIXES]
        self.import_files([f for f in files if f.suffix.lower() in MEDIA_SUFFIXES])
        if skipped:
            self.message.setText("Not audio or video, so not imported here: " + ", ".join(skipped))
        event.acceptProposedAction()

    # -- recording -------------------------------------------------------------------------------------------
    def toggle_record(self) -> None:
        """Start a recording, or stop the one running."""
        if self.recorder is None:
            self.start_recording()
        else:
            self.stop_recording()

    def start_recording(self) -> None:
        """Open the chosen microphone and start writing audio to disk at once."""
        # Starting stays on the UI thread (a few ms of inserts): the source row and its live transcript exist before
        # the first audio block, and a device that refuses is said at once, while the student is looking.
        device = self.device.currentData()
        rec = recorder_core.Recorder(self.ctx, device=device, title=self.name.text().strip() or None)
        try:
            rec.start()
        except recorder_core.RecorderError as exc:
            QMessageBox.warning(self, "Cannot record", plain_message(exc))
            return
        self.recorder = rec
        self.message.setText("Everything is saved to disk as it arrives. Recording…")
        self._start_live(rec)
        self.refresh_sources()
        self.select_source(rec.source_id)
        self.meter.start()
        self._update_buttons()

    def _start_live(self, rec) -> None:
        from lmgpa_desktop.core.capture.live_transcription import LiveTranscriber

        try:
            self.live = LiveTranscriber(self.ctx, rec.source_id)
        except Exception as exc:  # noqa: BLE001 - recording goes on without live text
            self.live_text.setText(f"Live transcript unavailable: {plain_message(exc)}")
            return
        rec.add_listener(self.live.feed)
        self.live.start()

    def stop_recording(self) -> None:
        """Stop off the UI thread; the final transcript is queued when the audio is closed."""
        if self.recorder is None or self._stopping:
            return
        self._stopping = True
        self.record_button.setEnabled(False)
        self.message.setText("Stopping…")
        rec, live = self.recorder, self.live

        def stop() -> int:
            try:
                return rec.stop()
            finally:
                if live is not None:
                    live.stop()  # waits for the live pass under way (seconds of whisper), then marks its text done

        # The compute lane, not the database one: a suspended device can make PortAudio's stop block.
        self.ops.run(stop, lambda _recording_id: self._stopped(""),
                     lambda exc: self._stopped(str(exc)),  # reported to the student, the audio is already on disk
                     lane="compute")

    def _stopped(self, error: str) -> None:
        rec, self.recorder = self.recorder, None
        self._stopping = False
        self.meter.stop()
        self.live = None  # stopped with the recorder, off the UI thread
        self.level.setValue(0)
        self.live_text.setText("")
        why = rec.error if rec and rec.error else error
        if why:
            self.message.show_error(f"Recording stopped: {plain_message(why)} What was captured is kept.")
        else:
            self.message.setText(f"Saved {clock(rec.elapsed_s)}. The final transcript is being made.")
        self.refresh_sources()
        if rec and rec.source_id:
            self.select_source(rec.source_id)
        self._update_buttons()

    def toggle_pause(self) -> None:
        """Pause or resume (paused time is not recorded)."""
        if self.recorder is None:
            return
        if self.recorder.state == "paused":
            self.recorder.resume()
        else:
            self.recorder.pause()
        self._update_buttons()

    def mark(self) -> None:
        """Bookmark the current second of the recording (or of playback)."""
        label = self.mark_label.text().strip() or None
        if self.recorder is not None:
            at = self.recorder.mark(label)  # now, on the UI thread: a queued mark would land seconds late
        elif self.view.source is not None:
            at = self.view.player.position() / 1000
            self.view.add_bookmark(at, label or "")
        else:
            return
        self.mark_label.clear()
        self.message.setText(f"Bookmarked {clock(at)}" + (f": {label}" if label else ""))
        self.view.reload()

    def attach_photo(self) -> None:
        """Attach an image at the current second of the recording."""
        if self.recorder is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Attach a photo", str(Path.home()),
                                              "Images (*.png *.jpg *.jpeg *.tif *.tiff *.heic *.webp)")
        if path:
            try:
                self.recorder.attach_photo(Path(path))
            except (recorder_core.RecorderError, OSError, ValueError) as exc:
                QMessageBox.warning(self, "Photo", f"Could not attach {Path(path).name}: {exc}")
                return
            self.message.setText(f"Photo attached at {clock(self.recorder.elapsed_s)}")
            self.view.reload()

    def _tick(self) -> None:
        rec = self.recorder
        if rec is None:
            return
        self.elapsed.setText(clock(rec.elapsed_s))
        self.level.setValue(int(min(1.0, rec.level) * 100))
        if self.live is not None:
            self.live_text.setText(f"Now: {self.live.pending_text}" if self.live.pending_text else "")
        if rec.state in ("stopped", "failed") and not self._stopping:
            self.stop_recording()  # the recorder stopped itself (device lost, disk full)

    def _update_buttons(self) -> None:
        recording = self.recorder is not None
        has_device = self.device.currentData() is not None
        self.record_button.setText("■ Stop" if recording else "● Record")
        self.record_button.setEnabled(recording or (has_device and not self._listing))  # not while PortAudio restarts
        self.record_button.setToolTip("" if recording or (has_device and not self._listing) else
                                      "Looking for microphones…" if self._listing else
                                      "No microphone found: see below how to fix it")
        self.refresh_button.setEnabled(not recording and not self._listing)
        check = self.no_mic.buttons.get("Check again")
        if check is not None:
            check.setEnabled(not self._listing)
        self.pause_button.setEnabled(recording)
        self.pause_button.setText("Resume" if recording and self.recorder.state == "paused" else "Pause")
        self.photo_button.setEnabled(recording)
        self.device.setEnabled(not recording)
