"""Read-aloud bar: speaks any text sentence by sentence, playing as soon as the first sentence exists."""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices, QtAudio
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from lmgpa_desktop.core.study import read_aloud
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.plain_errors import plain_message

log = logging.getLogger(__name__)

SPEEDS = [0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
FEED_MS = 20  # how often queued speech is handed to the sound card
SINK_BUFFER_S = 0.5  # the sound card's own buffer: rides out a busy UI thread without a gap
AHEAD_S = 60.0  # synthesis waits while this much speech is queued and unplayed (bounded memory on long texts)
NO_OUTPUT = "no audio output"


class _Bridge(QObject):
    """Carries a synthesis thread's results to the UI thread (queued signals)."""

    chunk = Signal(int, object)  # generation, read_aloud.AudioChunk
    failed = Signal(int, str)
    done = Signal(int)


class _Synthesis(threading.Thread):
    """Speaks one text on a worker thread, handing each sentence's audio to the bridge."""

    # Its own thread rather than an operation or a job: it streams sentences to the player for as long as the text
    # lasts (minutes) and waits on `room` while a minute of speech is queued, so on a shared lane it would hold up
    # the lane's other work; and the player needs each sentence as it is made, not one result at the end. Saving a
    # whole note as audio is the "speech.export" job.

    def __init__(self, ctx, text: str, speed: float, start: int, generation: int, bridge: _Bridge):
        super().__init__(name="read-aloud", daemon=True)
        self.ctx, self.text, self.speed, self.start_at = ctx, text, speed, start
        self.generation, self.bridge = generation, bridge
        self.cancel = threading.Event()
        self.room = threading.Event()  # cleared by the UI while enough speech is queued
        self.room.set()

    def stop(self) -> None:
        """Stop after the sentence being synthesized."""
        self.cancel.set()
        self.room.set()

    def run(self) -> None:
        try:
            for chunk in read_aloud.speak(self.ctx, self.text, self.speed, self.cancel, self.start_at):
                self.bridge.chunk.emit(self.generation, chunk)
                while not self.room.wait(0.1):
                    if self.cancel.is_set():
                        break
            self.bridge.done.emit(self.generation)
        except RuntimeError as exc:
            if "already deleted" not in str(exc):  # the bar was closed while speaking: nobody to tell
                self._fail(exc)
        except Exception as exc:  # noqa: BLE001 - shown in the bar's status label
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        log.warning("read-aloud failed: %s", exc)
        try:
            self.bridge.failed.emit(self.generation, str(exc))
        except RuntimeError:
            pass  # the bar is gone


class ReadAloudBar(QWidget):
    """Read aloud / Pause / Stop, a speed choice and a status line for the text text_provider returns."""

    started = Signal()
    finished = Signal(str)  # "done", "stopped" or "failed"

    def __init__(self, ctx, text_provider: Callable[[], str], parent=None, audio_device: QAudioDevice | None = None):
        super().__init__(parent)
        self.ctx, self.text_provider = ctx, text_provider
        self.audio_device = audio_device  # None = the system default; a null device means no output
        self.state = "idle"  # idle, loading (no audio yet), playing, paused
        self.sentences_synthesized = 0
        self.sentence_count = 0
        self.bytes_queued = 0  # speech received from synthesis
        self.bytes_written = 0  # speech handed to the sound card
        self.first_audio_ms: float | None = None  # Read aloud pressed -> first speech at the sound card
        self.last_error = ""
        self._generation = 0
        self._worker: _Synthesis | None = None
        self._workers: list[_Synthesis] = []
        self._text = ""
        self._pressed_at = 0.0
        self._pending = bytearray()
        self._marks: list[tuple[int, int]] = []  # (byte offset in the stream, sentence index)
        self._sink: QAudioSink | None = None
        self._io = None
        self._rate = 0
        self._no_output = False
        self._synth_done = False

        self._bridge = _Bridge(self)
        self._bridge.chunk.connect(self._on_chunk)
        self._bridge.failed.connect(self._on_failed)
        self._bridge.done.connect(self._on_synth_done)
        self._timer = QTimer(self)
        self._timer.setInterval(FEED_MS)
        self._timer.timeout.connect(self._tick)

        self.play_button = QPushButton("▶ Read aloud")
        self.play_button.setToolTip("Read aloud with the offline voice / pause")
        self.play_button.clicked.connect(self.toggle)
        self.play_button.installEventFilter(self)  # pointing at the button starts loading the voice
        self.ops = Operations(self, "read-aloud", lane="compute")
        self._warming: Future | None = None
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop reading")
        self.stop_button.clicked.connect(self.stop)
        self.speed = QComboBox()
        self.speed.setToolTip("Reading speed")
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.speed.setCurrentIndex(self._speed_index(self.ctx.settings.get(read_aloud.SPEED_SETTING)))
        self.speed.currentIndexChanged.connect(self._on_speed)
        self.status = QLabel("")
        self.status.setObjectName("muted")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.play_button)
        layout.addWidget(self.stop_button)
        layout.addWidget(self.speed)
        layout.addWidget(self.status, 1)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._update_buttons()

    # -- public ------------------------------------------------------------------------------------------------
    @property
    def played_ms(self) -> float:
        """Speech the sound card has played since the last start."""
        return self._sink.processedUSecs() / 1000 if self._sink is not None else 0.0

    @property
    def active(self) -> bool:
        """Whether something is being read (or is paused)."""
        return self.state != "idle"

    def toggle(self) -> None:
        """Read aloud, pause or resume, depending on the state."""
        if self.state == "paused":
            self.resume()
        elif self.state in ("loading", "playing"):
            self.pause()
        else:
            self.play_text(self.text_provider() or "")

    def play_text(self, text: str, start: int = 0) -> None:
        """Read text (Markdown or plain) from its sentence start, replacing anything being read."""
        self._halt()
        if not read_aloud.sentences(text):
            self._say("Nothing to read")
            self._update_buttons()
            return
        self._text = text
        self._generation += 1
        self._reset_counters()
        self._pressed_at = time.monotonic()
        self.state = "loading"
        self._say("Preparing speech…")
        worker = _Synthesis(self.ctx, text, self._speed(), start, self._generation, self._bridge)
        self._worker = worker
        self._workers = [w for w in self._workers if w.is_alive()] + [worker]
        worker.start()
        self._timer.start()
        self._update_buttons()
        self.started.emit()

    def pause(self) -> None:
        """Pause playback (synthesis carries on ahead)."""
        if self.state not in ("loading", "playing"):
            return
        self.state = "paused"
        if self._sink is not None:
            self._sink.suspend()
        self._say("Paused" + (f" ({NO_OUTPUT})" if self._no_output else ""))
        self._update_buttons()

    def resume(self) -> None:
        """Carry on from where it was paused."""
        if self.state != "paused":
            return
        self.state = "playing" if self.first_audio_ms is not None else "loading"
        if self._sink is not None:
            self._sink.resume()
        self._say(NO_OUTPUT if self._no_output else "Preparing speech…" if self.state == "loading" else "")
        self._tick()
        self._update_buttons()

    def stop(self) -> None:
        """Stop reading: synthesis is cancelled and the sound card stops at once."""
        if self.state == "idle":
            return
        self._halt()
        self._finish("stopped", "Stopped")

    def shutdown(self) -> None:
        """Stop and wait for the synthesis threads and the voice's loading (the window is closing)."""
        self._halt()
        for worker in self._workers:
            worker.join()
        self._workers.clear()
        if self._warming is not None:
            self._warming.result()

    def warm_up(self) -> None:
        """Load the voice off the UI thread ahead of the first Read aloud (once)."""
        if self._warming is None:
            self._warming = self.ops.run(self._warm)

    def _warm(self) -> None:
        try:
            read_aloud.warm_up(self.ctx)
        except Exception as exc:  # noqa: BLE001 - Read aloud itself reports a missing or broken voice
            log.info("voice warm-up failed: %s", exc)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.play_button and event.type() in (QEvent.Type.Enter, QEvent.Type.FocusIn):
            self.warm_up()
        return super().eventFilter(watched, event)

    # -- synthesis results -------------------------------------------------------------------------------------
    def _on_chunk(self, generation: int, chunk) -> None:
        if generation != self._generation or self.state == "idle":
            return  # audio of a text that was stopped or replaced
        data = chunk.samples.tobytes()
        first = self.first_audio_ms is None
        if first:
            self._open_sink(chunk.sample_rate)
            if self.state == "loading":
                self.state = "playing"
        self.sentences_synthesized = chunk.sentence_index + 1
        self.sentence_count = chunk.sentence_count
        self.bytes_queued += len(data)
        if not self._no_output:
            self._marks.append((self.bytes_written + len(self._pending), chunk.sentence_index))
            self._pending.extend(data)
        self._tick()
        if first:
            self.first_audio_ms = (time.monotonic() - self._pressed_at) * 1000
            self._update_buttons()

    def _on_synth_done(self, generation: int) -> None:
        if generation == self._generation:
            self._synth_done = True
            self._tick()

    def _on_failed(self, generation: int, message: str) -> None:
        if generation != self._generation or self.state == "idle":
            return
        self.last_error = message
        self._halt()
        self._finish("failed", f"Could not read aloud: {plain_message(message)}")

    # -- playback ---------------------------------------------------------------------------------------------
    def _open_sink(self, rate: int) -> None:
        """A sound card stream for the voice's format, or no-output mode when there is none."""
        self._rate = rate
        device = self.audio_device if self.audio_device is not None else QMediaDevices.defaultAudioOutput()
        fmt = QAudioFormat()
        fmt.setSampleRate(rate)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if device.isNull() or not device.isFormatSupported(fmt):
            self._set_no_output()
            return
        sink = QAudioSink(device, fmt, self)
        sink.setBufferSize(int(rate * 2 * SINK_BUFFER_S))
        io = sink.start()
        if io is None or sink.error() not in (QtAudio.Error.NoError, QtAudio.Error.UnderrunError):
            log.warning("audio output %s could not start: %s", device.description(), sink.error())
            sink.deleteLater()
            self._set_no_output()
            return
        if self.state == "paused":
            sink.suspend()
        self._sink, self._io = sink, io

    def _set_no_output(self) -> None:
        """Keep going without sound: counters still move and the label says why nothing is heard."""
        self._no_output = True
        self._pending.clear()
        self._close_sink()
        self._say(NO_OUTPUT)

    def _tick(self) -> None:
        """Hand queued speech to the sound card, keep synthesis within AHEAD_S, update the label, notice the end."""
        if self.state == "idle":
            return
        sink, io = self._sink, self._io
        # Polled rather than connected: PySide6 cannot pass QAudioSink.stateChanged's enum to Python slots.
        if sink is not None and sink.error() not in (QtAudio.Error.NoError, QtAudio.Error.UnderrunError):
            log.warning("audio output failed while reading aloud: %s", sink.error())
            self._set_no_output()
            sink = io = None
        if sink is not None and io is not None and self.state != "paused" and self._pending:
            free = min(sink.bytesFree(), len(self._pending)) & ~1  # whole 16-bit samples only
            if free > 0:
                written = io.write(bytes(self._pending[:free]))
                if written > 0:
                    del self._pending[:written]
                    self.bytes_written += written
        worker = self._worker
        if worker is not None:
            ahead = len(self._pending) + max(0, self.bytes_written - self._played_bytes())
            if self._rate and ahead > AHEAD_S * self._rate * 2:
                worker.room.clear()
            else:
                worker.room.set()
        if self.state == "playing" and not self._no_output:
            self._say(f"Reading {self._current_sentence() + 1} of {self.sentence_count}")
        if self._synth_done and not self._pending and self.state != "paused":
            if self._no_output or sink is None:
                self._timer.stop()
                self._finish("done", NO_OUTPUT)
            elif (self._played_bytes() >= self.bytes_written - self._rate * 2 * 0.02
                  or (sink.state() == QtAudio.State.IdleState and sink.bytesFree() >= sink.bufferSize())):
                # The sink stays open to play out its last few milliseconds; the next start closes it.
                self._timer.stop()
                self._finish("done", "Finished")

    def _played_bytes(self) -> int:
        return int(self.played_ms * self._rate * 2 / 1000) if self._sink is not None else 0

    def _current_sentence(self) -> int:
        """Index of the sentence being heard."""
        if not self._marks:
            return 0
        at = bisect.bisect_right([offset for offset, _ in self._marks], self._played_bytes()) - 1
        return self._marks[max(0, at)][1]

    # -- speed ------------------------------------------------------------------------------------------------
    @staticmethod
    def _speed_index(value) -> int:
        speed = float(value or read_aloud.DEFAULT_SPEED)
        return min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))

    def _speed(self) -> float:
        return float(self.speed.currentData())

    def _on_speed(self) -> None:
        """Remember the speed; while reading, carry on from the sentence being heard at the new speed."""
        self.ctx.settings.set(read_aloud.SPEED_SETTING, self._speed())
        if self.state != "idle":
            paused = self.state == "paused"
            self.play_text(self._text, start=self._current_sentence() if self.first_audio_ms is not None else 0)
            if paused:
                self.pause()

    def _say(self, message: str) -> None:
        """Show a status message (only when it changes: the label is refreshed on every playback tick)."""
        if self.status.text() != message:
            self.status.setText(message)

    # -- housekeeping -----------------------------------------------------------------------------------------
    def _reset_counters(self) -> None:
        self.sentences_synthesized = self.sentence_count = 0
        self.bytes_queued = self.bytes_written = 0
        self.first_audio_ms = None
        self.last_error = ""
        self._pending.clear()
        self._marks.clear()
        self._no_output = False
        self._synth_done = False

    def _halt(self) -> None:
        """Cancel synthesis and silence the sound card (no waiting: the thread ends after its sentence)."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        self._generation += 1
        self._timer.stop()
        self._close_sink()
        self._pending.clear()

    def _close_sink(self) -> None:
        if self._sink is not None:
            self._sink.stop()
            self._sink.deleteLater()
        self._sink, self._io = None, None

    def _finish(self, outcome: str, message: str) -> None:
        self.state = "idle"
        self._say(message)
        self._update_buttons()
        self.finished.emit(outcome)

    def _update_buttons(self) -> None:
        playing = self.state in ("loading", "playing")
        self.play_button.setText("❚❚ Pause" if playing else "▶ Resume" if self.state == "paused" else "▶ Read aloud")
        self.stop_button.setEnabled(self.state != "idle")


class ReadAloudAction(QAction):
    """A menu or toolbar action that reads text_provider()'s text with a ReadAloudBar (e.g. a selection)."""

    def __init__(self, bar: ReadAloudBar, text_provider: Callable[[], str], parent=None, text: str = "Read aloud"):
        super().__init__(text, parent or bar)
        self.bar, self.text_provider = bar, text_provider
        self.triggered.connect(lambda: self.bar.play_text(self.text_provider() or ""))
