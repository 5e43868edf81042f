"""A microphone test: open the input, keep its peak level for a meter, nothing recorded or written."""

# Made cheaply on the UI thread, opened on a worker (PortAudio probes the sound system) and closed from the UI
# thread at any time, even while it is still opening: open() checks under the lock whether close() came first, so a
# page left during the opening never leaves a stream running.

from __future__ import annotations

import threading

import numpy as np

from lmgpa_desktop.core.capture.recorder import RecorderError
from lmgpa_desktop.engines import microphone
from lmgpa_desktop.engines.microphone import MicrophoneError

STOP_TIMEOUT_S = 2.0
DECAY = 0.85  # the meter falls back smoothly between blocks instead of flickering to zero


class MicCheck:
    """The default (or a chosen) input's level, 0..1, while open."""

    def __init__(self, device: int | None = None):
        self.device = device
        self.device_name = ""
        self._level = 0.0
        self._stream: microphone.InputStream | None = None
        self._closed = False
        self._stopper: threading.Thread | None = None
        self._lock = threading.Lock()

    def open(self) -> str:
        """Open and start the input (on a worker thread); returns its name. RecorderError: no usable microphone."""
        try:
            stream = microphone.open_input(self.device, self._on_block, lambda: None)
        except MicrophoneError as exc:
            raise RecorderError(str(exc)) from exc
        with self._lock:
            if self._closed:  # the page was left while PortAudio was opening the device
                self._stopper = _stop_later(stream)
                return stream.device_name
            self._stream = stream
            try:
                stream.start()
            except MicrophoneError as exc:
                self._stream = None
                self._stopper = _stop_later(stream)
                raise RecorderError(str(exc)) from exc
        self.device_name = stream.device_name
        return stream.device_name

    def _on_block(self, block: np.ndarray, _overflow: bool) -> None:
        # PortAudio's real-time thread: one float write, read by the meter's timer.
        self._level = max(microphone.peak_level(block), self._level * DECAY)

    @property
    def level(self) -> float:
        """The recent peak, 0..1."""
        return self._level

    @property
    def running(self) -> bool:
        """Whether a stream is open and PortAudio still runs it."""
        with self._lock:
            return self._stream is not None and self._stream.active

    def close(self) -> None:
        """Stop the input without waiting for PortAudio (safe to call from the UI thread, and more than once)."""
        with self._lock:
            self._closed = True
            stream, self._stream = self._stream, None
            if stream is not None:
                self._stopper = _stop_later(stream)
        self._level = 0.0

    def wait_closed(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """After close(): whether PortAudio let go of the device within timeout (for shutdown and the tests)."""
        with self._lock:
            stopper = self._stopper
        if stopper is not None:
            stopper.join(timeout)
        return stopper is None or not stopper.is_alive()


def _stop_later(stream: microphone.InputStream) -> threading.Thread:
    """Stop and close on a thread of its own: a suspended device can hang PortAudio's stop."""
    thread = threading.Thread(target=stream.stop, args=(STOP_TIMEOUT_S,), name="mic-check-stop", daemon=True)
    thread.start()
    return thread
