"""The lecture recorder: the microphone's audio written crash-safe into segments, watched for a lost device."""

from __future__ import annotations

import errno
import logging
import queue
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lmgpa_desktop import paths
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.core.jobs import owner_token
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.core.capture.segment_files import SegmentFile, write_error
from lmgpa_desktop.engines import microphone
from lmgpa_desktop.engines.microphone import InputDevice, MicrophoneError
from lmgpa_desktop.storage import recordings_repo, sources_repo, transcripts_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)
__all__ = ["InputDevice", "Recorder", "RecorderError", "list_input_devices", "refresh_input_devices"]

LIVE_RATE = 16_000  # listeners (the live transcript) always get Whisper's rate
SEGMENT_S = 30.0  # a closed segment is committed to the database; a crash can only cost the open one's tail
FSYNC_EVERY_S = 1.0  # power loss costs at most this much of the open segment
WATCHDOG_S = 3.0  # PortAudio reports a vanished or suspended device only by going quiet
STOP_TIMEOUT_S = 5.0
HALT_TIMEOUT_S = 1.0  # stopping by ourselves: the device is already gone or fine, waiting longer helps nobody
LISTENER_BLOCK = LIVE_RATE // 4  # listeners get 0.25 s at a time, not PortAudio's ~150 tiny blocks a second
CLOSE_OUT_RETRY_S = 1.0  # how often a recording stopped by a full disk tries again to join the library
MIN_FREE_BYTES = 20 * 1024 * 1024  # refuse to start with less (about 10 minutes of 16 kHz mono)
DEVICE_LOST = "the microphone stopped sending audio (disconnected?)"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic"}

Listener = Callable[[np.ndarray, float], None]


class RecorderError(UserError):
    """The recording cannot start or be changed (message is for the student)."""


def list_input_devices() -> list[InputDevice]:
    """Microphones the student can choose from (the default one has is_default)."""
    try:
        return microphone.list_input_devices()
    except MicrophoneError as exc:
        raise RecorderError(str(exc)) from exc


def refresh_input_devices() -> list[InputDevice]:
    """Re-scan for microphones plugged in since start-up; never call while recording."""
    try:
        microphone.reinitialize()
    except MicrophoneError as exc:
        raise RecorderError(str(exc)) from exc
    return list_input_devices()


def _now() -> datetime:
    return datetime.now(UTC)


class _Resampler:
    """Streaming low-pass plus linear interpolation to 16 kHz: good enough for the live transcript."""

    TAPS = 63

    def __init__(self, rate_in: int, rate_out: int = LIVE_RATE):
        self.step = rate_in / rate_out
        cutoff = 0.45 * rate_out / rate_in  # cycles per input sample, under the new Nyquist frequency
        n = np.arange(self.TAPS) - (self.TAPS - 1) / 2
        h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(self.TAPS)
        self.h = (h / h.sum()).astype(np.float32)
        self.history = np.zeros(self.TAPS - 1, np.float32)
        self.prev = np.float32(0.0)
        self.pos = 0.0  # next output position, counted from self.prev

    def __call__(self, x: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self.history, x])
        self.history = buf[-(self.TAPS - 1):]
        y = np.concatenate([[self.prev], np.convolve(buf, self.h, mode="valid")])
        last = len(y) - 1
        count = int(np.ceil((last - self.pos) / self.step)) if last > self.pos else 0
        t = self.pos + self.step * np.arange(count)
        i = t.astype(np.int64)
        frac = (t - i).astype(np.float32)
        out = y[i] * (1 - frac) + y[np.minimum(i + 1, last)] * frac
        self.pos += self.step * count - last
        self.prev = y[-1]
        return out.astype(np.float32)


@dataclass(frozen=True)
class _Lost:
    """Control message: the device went away (from the watchdog or PortAudio's finished callback)."""

    message: str


_STOP = object()


class Recorder:
    """Records one lecture from a microphone into fsynced segment files and a library source."""

    segment_s = SEGMENT_S
    fsync_every_s = FSYNC_EVERY_S
    watchdog_s = WATCHDOG_S

    def __init__(self, ctx: AppContext, device: int | None = None, title: str | None = None,
                 course_id: int | None = None, *, open_stream: Callable | None = None,
                 open_file: Callable[[Path], object] | None = None):
        # open_stream and open_file are seams: a file-fed stream and a failing file in tests.
        self.ctx, self.device, self.course_id = ctx, device, course_id
        self.title = title or f"Recording {datetime.now():%Y-%m-%d %H:%M}"
        self._open_stream = open_stream or microphone.open_input
        self._open_file = open_file or (lambda path: open(path, "xb"))
        self.source_id: int | None = None
        self.recording_id: int | None = None
        self.finalize_job_id: int | None = None
        self.state = "idle"
        self.error: str | None = None
        self.level = 0.0
        self.sample_rate = 0
        self.channels = 0
        self.device_name: str | None = None
        self.callbacks = 0
        self.overflows = 0
        self._captured = 0  # frames captured while not paused; written only by the audio thread
        self._final_frames: int | None = None
        self._paused = False
        self._stopping = False
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._listeners: list[Listener] = []
        self._live_parts: list[np.ndarray] = []
        self._live_start = 0.0
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._last_block = 0.0
        self._stream = None
        self._segment: SegmentFile | None = None
        self._folder: Path | None = None

    # ---- public API -------------------------------------------------------------------------------------------

    @property
    def elapsed_s(self) -> float:
        """Seconds captured so far, pauses excluded (after a stop: seconds kept)."""
        if not self.sample_rate:
            return 0.0
        frames = self._final_frames if self._final_frames is not None else self._captured
        return frames / self.sample_rate

    def start(self) -> None:
        """Open the microphone, create the source and recording rows, and begin writing."""
        if self.state != "idle":
            raise RecorderError("this recorder was already started; make a new one for the next recording")
        try:
            stream = self._open_stream(self.device, self._on_block, self._on_finished)
        except MicrophoneError as exc:
            raise RecorderError(str(exc)) from exc
        folder = paths.media_dir(self.ctx.home) / "recordings" / str(uuid.uuid4())
        frame_bytes = 2 * stream.channels
        try:
            folder.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(folder).free
            if free < MIN_FREE_BYTES:
                raise OSError(errno.ENOSPC, f"only {human_size(free)} free")
            segment = SegmentFile(self._open_file, folder, 0, 0, frame_bytes)
        except OSError as exc:
            stream.stop(STOP_TIMEOUT_S)
            shutil.rmtree(folder, ignore_errors=True)
            if exc.errno == errno.ENOSPC:
                raise RecorderError(disk_space.message(folder.parent, "start a recording", MIN_FREE_BYTES)) from exc
            raise RecorderError(f"the recording cannot be written to {folder.parent}: {exc.strerror or exc}") from exc
        self.sample_rate, self.channels, self.device_name = stream.sample_rate, stream.channels, stream.device_name
        self._stream, self._segment, self._folder = stream, segment, folder
        try:
            rec = recordings_repo.create(
                self.ctx.db, title=self.title, course_id=self.course_id, directory=str(folder),
                device_name=self.device_name, sample_rate=self.sample_rate, channels=self.channels,
                owner=owner_token())
            self.recording_id, self.source_id = rec.id, rec.source_id
            self._last_block = time.monotonic()
            stream.start()
        except BaseException as exc:
            self._abandon_start(exc)
            if isinstance(exc, MicrophoneError):
                raise RecorderError(str(exc)) from exc
            raise
        self.state = "recording"
        threading.Thread(target=self._write_loop, name="recorder-writer", daemon=True).start()
        threading.Thread(target=self._watch, name="recorder-watchdog", daemon=True).start()
        log.info("recording %s started on %s at %d Hz x%d into %s", self.recording_id, self.device_name,
                 self.sample_rate, self.channels, folder)

    def pause(self) -> None:
        """Stop keeping audio until resume() (the microphone stays open, so resuming is instant)."""
        self._set_paused(True)

    def resume(self) -> None:
        """Keep audio again after pause()."""
        self._set_paused(False)

    def mark(self, label: str | None = None) -> float:
        """Bookmark the current second of the recording; returns it."""
        self._require_started()
        at = round(self.elapsed_s, 3)
        transcripts_repo.add_bookmark(self.ctx.db, self.source_id, self.recording_id, at, label)
        return at

    def attach_photo(self, path) -> int:
        """Copy a photo into the recording's folder, pinned to the current second; returns the photo id."""
        self._require_started()
        src = Path(path).expanduser()
        if not src.is_file():
            raise RecorderError(f"{src} does not exist or is not a file")
        if src.suffix.lower() not in IMAGE_SUFFIXES:
            raise RecorderError(f"{src.name} is not a supported image (use JPEG, PNG, WebP, HEIC, TIFF, BMP or GIF)")
        at = round(self.elapsed_s, 3)
        photos = self._folder / "photos"
        target = photos / f"{uuid.uuid4().hex[:8]}-{src.name}"
        partial = target.with_name(target.name + ".part")
        try:
            photos.mkdir(exist_ok=True)
            shutil.copyfile(src, partial)
            partial.replace(target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise RecorderError(f"the photo {src.name} could not be copied: {exc.strerror or exc}") from exc
        return transcripts_repo.add_photo(self.ctx.db, self.source_id, self.recording_id, at, str(target))

    def add_listener(self, fn: Listener) -> None:
        """Call fn(float32 16 kHz mono audio, start second) from the writer thread for all kept audio, 0.25 s a call."""
        self._listeners = [*self._listeners, fn]  # replaced, not mutated: the writer iterates without a lock

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """Stop (a hung device is abandoned after timeout), close the last segment, queue finalize; the recording id."""
        if self.recording_id is None:
            raise RecorderError("the recording was not started")
        with self._lock:
            first = not self._stopping
            self._stopping = True
        if first:
            self._stream.stop(timeout)
            self._queue.put(_STOP)
        self._done.wait()
        return self.recording_id

    # ---- audio thread -----------------------------------------------------------------------------------------

    def _on_block(self, block: np.ndarray, overflow: bool) -> None:
        # PortAudio's real-time thread: count, copy (already done) and enqueue; never block or touch files.
        paused = self._paused
        self._last_block = time.monotonic()
        self.callbacks += 1
        if overflow:
            self.overflows += 1
        if not paused:
            self._captured += len(block)
        self._queue.put((block, paused))

    def _on_finished(self) -> None:
        if not self._stopping:
            self._queue.put(_Lost(DEVICE_LOST))

    # ---- writer and watchdog threads --------------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._done.wait(0.25):
            if self._stopping:
                return
            if time.monotonic() - self._last_block > self.watchdog_s:
                self._queue.put(_Lost(DEVICE_LOST))
                return

    def _write_loop(self) -> None:
        try:
            self._pump()
            self._flush_live()
        except Exception as exc:  # noqa: BLE001 - a bug must still close the files and keep the audio
            log.exception("recording %s: writer crashed", self.recording_id)
            self.error = self.error or f"the recording stopped because of an internal error ({exc})"
            self._halt()
        finally:
            self._finish()

    def _pump(self) -> None:
        resampler = _Resampler(self.sample_rate) if self.sample_rate != LIVE_RATE else None
        written = 0
        last_sync = time.monotonic()
        while True:
            try:
                item = self._queue.get(timeout=0.2)
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            try:
                if isinstance(item, _Lost):
                    if self._claim_stop(item.message):
                        self._keep_drained(written, resampler)
                        return
                elif item is not None:
                    block, paused = item
                    self.level = microphone.peak_level(block)
                    if not paused:
                        written = self._keep(block, written, resampler)
                if self._segment.dirty and time.monotonic() - last_sync >= self.fsync_every_s:
                    self._segment.sync()
                    last_sync = time.monotonic()
            except Exception as exc:
                if not isinstance(exc, OSError) and not disk_space.is_disk_full(exc):
                    raise
                log.error("recording %s: write failed: %s", self.recording_id, exc)
                if self._claim_stop(write_error(exc)):
                    return
                self.error = self.error or write_error(exc)  # a stop was already under way: keep the reason

    def _keep(self, block: np.ndarray, written: int, resampler: _Resampler | None) -> int:
        """Write a block (rotating segments), then hand it to listeners; returns frames written."""
        if self._segment.frames >= self.segment_s * self.sample_rate:
            self._rotate()
        self._segment.write(block)
        if self._listeners:
            mono = (block[:, 0] if self.channels == 1 else block.mean(axis=1)).astype(np.float32) / 32768.0
            if not self._live_parts:
                self._live_start = written / self.sample_rate
            self._live_parts.append(resampler(mono) if resampler else mono)
            if sum(len(p) for p in self._live_parts) >= LISTENER_BLOCK:
                self._flush_live()
        return written + len(block)

    def _flush_live(self) -> None:
        """Hand the gathered 16 kHz audio to every listener."""
        if not self._live_parts:
            return
        live, self._live_parts = np.concatenate(self._live_parts), []
        for fn in self._listeners:
            try:
                fn(live, self._live_start)
            except Exception:  # noqa: BLE001 - a live-transcript bug must not stop the recording
                log.exception("recording listener %r failed; removing it", fn)
                self._listeners = [f for f in self._listeners if f is not fn]

    def _rotate(self) -> None:
        """Close the current segment, commit its row, open the next one."""
        seg = self._segment
        seg.close()
        recordings_repo.add_segment(self.ctx.db, self.recording_id, seg.seq, str(seg.path),
                                    seg.start_frame / self.sample_rate, seg.frames)
        seg.registered = True
        self._segment = SegmentFile(self._open_file, self._folder, seg.seq + 1, seg.start_frame + seg.frames,
                                     seg.frame_bytes)

    def _claim_stop(self, reason: str) -> bool:
        """Stop by ourselves with a reason, unless the student is already stopping; True if we stopped."""
        with self._lock:
            if self._stopping:
                return False
            self._stopping = True
        self.error = reason
        self._halt()
        return True

    def _halt(self) -> None:
        self._stopping = True
        self._stream.stop(HALT_TIMEOUT_S)

    def _keep_drained(self, written: int, resampler: _Resampler | None) -> None:
        """Write the audio still queued after the stream stopped by itself (no stop message will follow)."""
        try:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    return
                if isinstance(item, tuple) and not item[1]:
                    written = self._keep(item[0], written, resampler)
        except OSError as exc:
            log.error("recording %s: write failed after the device stopped: %s", self.recording_id, exc)

    def _finish(self) -> None:
        """Close the last segment, record the outcome and queue finalize; always runs."""
        seg = self._segment
        total = seg.start_frame
        try:
            if seg.registered:  # opening the next segment failed right after this one was committed
                total += seg.frames
            else:
                try:
                    seg.close()
                except OSError as exc:
                    self.error = self.error or write_error(exc)
                total += seg.frames_on_disk()
            self._close_out(seg, total)
        except Exception as exc:  # noqa: BLE001 - the files stay; recover_interrupted finishes this at next start
            log.exception("recording %s could not be closed in the database", self.recording_id)
            self.error = self.error or (f"the recording could not be saved in the library ({exc}); "
                                        "its audio is kept and is recovered at the next start")
            if disk_space.is_disk_full(exc):  # saved as soon as the student frees some space
                threading.Thread(target=self._close_out_later, args=(seg, total), name="recorder-close-out",
                                 daemon=True).start()
        log.info("recording %s ended: %.1f s kept, %d callbacks, %d overflows, error=%s", self.recording_id,
                 total / self.sample_rate, self.callbacks, self.overflows, self.error)
        with self._lock:
            self._final_frames = total
            self.state = "failed" if self.error else "stopped"
            self.level = 0.0
        self._done.set()

    # ---- helpers ----------------------------------------------------------------------------------------------

    def _close_out(self, seg: SegmentFile, total: int) -> None:
        """Register the last segment, mark the recording stopped and queue finalize (safe to call again)."""
        if not seg.registered:
            frames = total - seg.start_frame
            if frames:
                recordings_repo.add_segment(self.ctx.db, self.recording_id, seg.seq, str(seg.path),
                                            seg.start_frame / self.sample_rate, frames)
            else:
                seg.path.unlink(missing_ok=True)
            seg.registered = True
        with self._lock:
            recordings_repo.update_recording(self.ctx.db, self.recording_id, state="stopped", ended_at=_now(),
                                             error=self.error)
        sources_repo.update(self.ctx.db, self.source_id, status="processing", duration_s=total / self.sample_rate)
        self.finalize_job_id = self.ctx.jobs.submit("recording.finalize", {"recording_id": self.recording_id},
                                                    title=f"Saving {self.title}")

    def _close_out_later(self, seg: SegmentFile, total: int) -> None:
        """Retry the close-out while the disk stays full; the recording joins the library once there is room."""
        while True:
            time.sleep(CLOSE_OUT_RETRY_S)
            try:
                self._close_out(seg, total)
            except Exception as exc:  # noqa: BLE001 - anything but a full disk: recovered at the next start
                if disk_space.is_disk_full(exc):
                    continue
                log.warning("recording %s: closing it in the database failed again: %s", self.recording_id, exc)
                return
            log.info("recording %s saved in the database once there was room", self.recording_id)
            return

    def _set_paused(self, paused: bool) -> None:
        with self._lock:
            wanted_from = "recording" if paused else "paused"
            if self.state != wanted_from or self._stopping:
                return  # already there, or stopping by itself: a late click is harmless
            self._paused = paused
            self.state = "paused" if paused else "recording"
            recordings_repo.update_recording(self.ctx.db, self.recording_id, state=self.state)

    def _require_started(self) -> None:
        if self.recording_id is None:
            raise RecorderError("start the recording first")

    def _abandon_start(self, exc: BaseException) -> None:
        """Undo a start that failed after the rows were made: the source says why, nothing is left open."""
        self._stopping = True
        self._stream.stop(STOP_TIMEOUT_S)
        try:
            self._segment.close()
        except OSError:
            pass
        shutil.rmtree(self._folder, ignore_errors=True)
        if self.recording_id is not None:
            reason = f"the recording could not start: {exc}"
            recordings_repo.update_recording(self.ctx.db, self.recording_id, state="failed", error=reason,
                                             ended_at=_now())
            sources_repo.update(self.ctx.db, self.source_id, status="failed", error=reason)
        self.state, self.error = "failed", str(exc)
        self._done.set()
