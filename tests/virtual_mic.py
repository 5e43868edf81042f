"""Test microphones: a throwaway PulseAudio server (real PortAudio capture) and a file-fed stream."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TEST_PA = """\
load-module module-native-protocol-unix auth-anonymous=1
load-module module-null-sink sink_name=lecture_sink rate=48000 channels=1
load-module module-null-sink sink_name=keepalive_sink
load-module module-loopback source=lecture_sink.monitor sink=keepalive_sink latency_msec=20
set-default-sink lecture_sink
set-default-source lecture_sink.monitor
"""
# An idle null sink renders in 2 s blocks; the loopback keeps it at 20 ms so a new capture gets audio at once.


def pulse_available() -> bool:
    """Whether the PulseAudio server and tools are installed."""
    return all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "paplay"))


class PulseServer:
    """A private PulseAudio server with a null sink whose monitor is the default "microphone"."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="lmgpa-pulse-"))
        self.env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
        self.env.update(HOME=str(self.dir), XDG_RUNTIME_DIR=str(self.dir), PULSE_RUNTIME_PATH=str(self.dir / "pulse"),
                        PULSE_SERVER=f"unix:{self.dir / 'pulse' / 'native'}")
        (self.dir / "test.pa").write_text(TEST_PA, encoding="utf-8")
        self.proc: subprocess.Popen | None = None
        self.players: list[subprocess.Popen] = []

    def start(self, ready_within: float = 60.0) -> None:
        """Start the server and wait until it answers with low latency."""
        self.proc = subprocess.Popen(
            ["pulseaudio", "-n", "-F", str(self.dir / "test.pa"), "--daemonize=no", "--exit-idle-time=-1",
             "--use-pid-file=no", f"--log-target=file:{self.dir / 'pa.log'}"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pulseaudio exited: {self.log()}")
            if self._ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"pulseaudio did not become ready: {self.log()}")

    def _ready(self) -> bool:
        info = subprocess.run(["pactl", "info"], env=self.env, capture_output=True, text=True)
        if info.returncode != 0:
            return False
        sinks = subprocess.run(["pactl", "list", "sinks"], env=self.env, capture_output=True, text=True).stdout
        latencies = [int(x) for x in re.findall(r"Latency: (\d+) usec", sinks)]
        return bool(latencies) and all(x < 50_000 for x in latencies)

    def play(self, path: Path) -> subprocess.Popen:
        """Play a file into the sink, i.e. speak into the virtual microphone."""
        player = subprocess.Popen(["paplay", "--device=lecture_sink", str(path)], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.players.append(player)
        return player

    def kill(self) -> None:
        """Pull the plug: the server dies at once, as when a USB microphone is yanked."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        """Stop players and the server, remove the folder."""
        for player in self.players:
            if player.poll() is None:
                player.kill()
            player.wait(30)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.dir / "pa.log").read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            return "(no log)"


class FileStream:
    """Stands in for engines.microphone.InputStream: hands file audio to the callback the way PortAudio does."""

    BLOCKS = (160, 100, 75, 320, 47, 256)  # PortAudio's "optimal" block sizes vary from call to call

    def __init__(self, audio: np.ndarray, sample_rate: int, name: str = "file microphone"):
        self.audio = audio if audio.ndim == 2 else audio.reshape(-1, 1)
        self.sample_rate, self.channels, self.device_name = sample_rate, self.audio.shape[1], name
        self.pos, self.calls, self.stopped, self.started = 0, 0, False, False
        self._on_block = self._on_finished = None

    def open(self, device, on_block, on_finished) -> FileStream:
        """The open_stream seam of Recorder."""
        self._on_block, self._on_finished = on_block, on_finished
        return self

    def start(self) -> None:
        self.started = True

    def stop(self, timeout: float) -> bool:
        if not self.stopped:
            self.stopped = True
            self._on_finished()  # PortAudio calls finished_callback after a stop too
        return True

    def feed(self, frames: int) -> np.ndarray:
        """Deliver the next frames as callbacks (nothing once stopped); returns what was delivered."""
        start = self.pos
        end = min(len(self.audio), self.pos + frames)
        while self.pos < end and not self.stopped:
            size = min(self.BLOCKS[self.calls % len(self.BLOCKS)], end - self.pos)
            self._on_block(self.audio[self.pos:self.pos + size].copy(), False)
            self.pos += size
            self.calls += 1
        return self.audio[start:self.pos]


def record_until_killed(segment_s: float, audio_file: str | None = None) -> None:
    """Subprocess body: record into LMGPA_HOME (default microphone, or a file fed in real time), printing progress."""
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.capture.recorder import Recorder
    from lmgpa_desktop.engines import audio_decode

    ctx = open_app(Path(os.environ["LMGPA_HOME"]))
    stream = None
    if audio_file:
        audio = np.round(audio_decode.decode_all(Path(audio_file)) * 32768).clip(-32768, 32767).astype(np.int16)
        stream = FileStream(audio, audio_decode.SAMPLE_RATE)
    rec = Recorder(ctx, title="killed lecture", open_stream=stream.open if stream else None)
    rec.segment_s = segment_s
    rec.start()
    print(f"started {rec.recording_id} {rec.sample_rate}", flush=True)
    began = time.monotonic()
    while True:
        if stream:  # a real-time "device": deliver what a microphone would have by now
            stream.feed(int((time.monotonic() - began) * stream.sample_rate) - stream.pos)
        print(f"elapsed {rec.elapsed_s:.3f} {rec.state}", flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record_until_killed(float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
