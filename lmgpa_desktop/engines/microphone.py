"""Microphone input through PortAudio; the only module importing sounddevice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

PREFERRED_RATE = 16_000  # what Whisper wants: no resampling and a third of the bytes of 48 kHz
BlockFn = Callable[[np.ndarray, bool], None]


def peak_level(block: np.ndarray) -> float:
    """The loudest sample of an int16 block, 0..1 (what a level meter shows)."""
    return float(np.abs(block).max(initial=0)) / 32768.0


class MicrophoneError(RuntimeError):
    """No usable microphone, or it could not be opened (message is for the student)."""


@dataclass(frozen=True)
class InputDevice:
    """An audio input the student can record from."""

    index: int
    name: str
    is_default: bool
    default_sample_rate: float
    max_input_channels: int


def _sd():
    """The sounddevice module (importing it enumerates devices, so only when needed)."""
    try:
        import sounddevice
    except OSError as exc:  # libportaudio missing
        raise MicrophoneError(f"the audio system (PortAudio) is not available: {exc}") from exc
    return sounddevice


def reinitialize() -> None:
    """Re-scan devices (PortAudio lists them once); call only while no stream is open."""
    sd = _sd()
    try:
        sd._terminate()
        sd._initialize()
    except sd.PortAudioError as exc:
        raise MicrophoneError(f"the sound system could not be restarted: {exc}") from exc


def _default_input_index(sd) -> int | None:
    """Index of the system's default input, or None."""
    try:
        return int(sd.query_devices(kind="input")["index"])
    except (sd.PortAudioError, ValueError, KeyError):
        return None


def list_input_devices() -> list[InputDevice]:
    """Devices with an input channel, from the default host API (Windows lists each microphone once per API)."""
    sd = _sd()
    default = _default_input_index(sd)
    try:
        found = sd.query_devices()
    except sd.PortAudioError as exc:  # the sound system itself is broken: said to the student, not a crash
        raise MicrophoneError(f"the sound system could not list microphones: {exc}") from exc
    inputs = [info for info in found if info["max_input_channels"] > 0]
    preferred = [info for info in inputs if info["hostapi"] == sd.default.hostapi]
    return [InputDevice(int(info["index"]), str(info["name"]), info["index"] == default,
                        float(info["default_samplerate"]), int(info["max_input_channels"]))
            for info in (preferred or inputs)]


def resolve(device: int | None) -> InputDevice:
    """The requested device, or the default input; MicrophoneError when there is none."""
    devices = list_input_devices()
    if not devices:
        raise MicrophoneError("no microphone found: connect one (or allow microphone access) and try again")
    if device is None:
        return next((d for d in devices if d.is_default), devices[0])
    for d in devices:
        if d.index == device:
            return d
    raise MicrophoneError(f"the microphone #{device} could not be opened: it is not connected or has no input")


class InputStream:
    """An open capture stream; on_block gets int16 (frames, channels) copies from the audio thread."""

    def __init__(self, device: InputDevice, on_block: BlockFn, on_finished: Callable[[], None],
                 rate: int = PREFERRED_RATE, channels: int = 1):
        sd = _sd()
        self.device = device
        self.device_name = device.name
        self._on_block, self._on_finished = on_block, on_finished
        self._stop_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        native = int(device.default_sample_rate)
        wanted = min(channels, device.max_input_channels)
        # When the device refuses what we ask for, take its own rate, then its own (stereo) layout.
        attempts = [(rate, wanted), (native, wanted), (native, min(2, device.max_input_channels))]
        errors = []
        for try_rate, try_channels in dict.fromkeys(attempts):
            try:
                self._stream = sd.InputStream(device=device.index, samplerate=try_rate, channels=try_channels,
                                              dtype="int16", callback=self._callback,
                                              finished_callback=self._finished)
            except (sd.PortAudioError, ValueError) as exc:
                errors.append(f"{try_rate} Hz x{try_channels}: {exc}")
                continue
            self.sample_rate, self.channels = int(self._stream.samplerate), int(self._stream.channels)
            return
        raise MicrophoneError(f"the microphone {device.name} could not be opened: {'; '.join(errors)}")

    def _callback(self, indata, frames, _time, status) -> None:
        # Runs on PortAudio's real-time thread: copy and hand over, nothing else.
        self._on_block(indata.copy(), bool(status.input_overflow))

    def _finished(self) -> None:
        self._on_finished()

    def start(self) -> None:
        """Begin capturing."""
        sd = _sd()
        try:
            self._stream.start()
        except sd.PortAudioError as exc:
            raise MicrophoneError(f"the microphone {self.device_name} could not be opened: {exc}") from exc

    @property
    def active(self) -> bool:
        """Whether PortAudio still runs the stream."""
        return bool(self._stream.active)

    def stop(self, timeout: float) -> bool:
        """Stop and close within timeout; False if PortAudio hangs (a suspended device), which is then left behind."""
        with self._lock:
            if self._stop_thread is None:
                self._stop_thread = threading.Thread(target=self._stop_and_close, name="mic-stop", daemon=True)
                self._stop_thread.start()
            thread = self._stop_thread
        thread.join(timeout)
        if thread.is_alive():
            log.warning("the microphone %s did not stop within %.1f s; abandoning it", self.device_name, timeout)
            return False
        return True

    def _stop_and_close(self) -> None:
        try:
            self._stream.stop()
            self._stream.close()
        except Exception as exc:  # noqa: BLE001 - a vanished device may fail to stop; the audio is already ours
            log.warning("closing the microphone %s: %s", self.device_name, exc)


def open_input(device: int | None, on_block: BlockFn, on_finished: Callable[[], None],
               rate: int = PREFERRED_RATE, channels: int = 1) -> InputStream:
    """Open (not start) a capture stream on a device index or the default input."""
    return InputStream(resolve(device), on_block, on_finished, rate, channels)
