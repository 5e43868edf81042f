"""The lecture recorder: crash-safe writing, pause, marks and photos, device loss, full disk, recovery, CLI."""

from __future__ import annotations

import argparse
import errno
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from support import TESTS
from lmgpa_desktop.core.capture import recorder as recorder_mod
from lmgpa_desktop.core.capture.recorder import DEVICE_LOST, Recorder, RecorderError
from lmgpa_desktop.core.capture.recording_recovery import recover_interrupted
from lmgpa_desktop.engines import audio_decode
from lmgpa_desktop.storage import recordings_repo, sources_repo
from virtual_mic import FileStream, PulseServer

SPEECH = "2412-153948-0000.flac"  # 11.7 s of read speech, 16 kHz mono
RATE = 16_000


@pytest.fixture(autouse=True)
def recorder_job_kinds(monkeypatch):
    monkeypatch.setenv("LMGPA_JOB_MODULES", "lmgpa_desktop.core.capture.recording_finalize")


def _wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached")


def _speech_int16(shared) -> np.ndarray:
    """The shared speech file as the int16 samples a 16 kHz mono microphone would deliver."""
    audio = audio_decode.decode_all(shared / "audio" / SPEECH)
    return np.round(audio * 32768).clip(-32768, 32767).astype(np.int16).reshape(-1, 1)


def _finalize(ctx, rec_or_job_id):
    job_id = rec_or_job_id if isinstance(rec_or_job_id, int) else rec_or_job_id.finalize_job_id
    final = ctx.jobs.run_now(job_id)
    assert final.state == "done", final.error
    return final


def _read(path) -> tuple[np.ndarray, int]:
    data, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    return data, rate


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    a, b = a[:n].astype(np.float64).ravel(), b[:n].astype(np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def _upsample(x: np.ndarray, factor: int) -> np.ndarray:
    return np.fft.irfft(np.fft.rfft(x), len(x) * factor) * factor


def _aligned_correlation(recorded: np.ndarray, reference: np.ndarray, factor: int = 1) -> tuple[float, int]:
    """Normalized correlation of reference with recorded at the lag where they match best (on a grid factor x finer)."""
    r, x = recorded.astype(np.float64).ravel(), reference.astype(np.float64).ravel()
    if factor > 1:  # the sound server resamples 16 -> 48 -> 16 kHz: the copy may sit a third of a sample off
        r, x = _upsample(r, factor), _upsample(x, factor)
    n = 1 << int(np.ceil(np.log2(len(r) + len(x))))
    lag = int(np.argmax(np.fft.irfft(np.fft.rfft(r, n) * np.conj(np.fft.rfft(x, n)), n)[: len(r)]))
    overlap = min(len(x), len(r) - lag)
    return _correlation(r[lag:lag + overlap], x[:overlap]), lag


def _file_recorder(ctx, audio, rate, **kw) -> tuple[Recorder, FileStream]:
    stream = FileStream(audio, rate)
    rec = Recorder(ctx, title="file lecture", open_stream=stream.open, **kw)
    rec.watchdog_s = 3600.0  # the test thread is the "device": it pauses whenever it likes
    return rec, stream


# ---- (a) the writer and finalize with the data a device gives ---------------------------------------------------


def test_recording_is_written_as_it_arrives_and_finalized_to_the_same_audio(ctx, shared, tmp_path):
    audio = _speech_int16(shared)
    rec, stream = _file_recorder(ctx, audio, RATE)
    rec.segment_s = 2.0
    photo = tmp_path / "board.png"
    photo.write_bytes((shared / "ocr" / "phototest-rotated-L.png").read_bytes())
    rec.start()
    assert rec.state == "recording" and rec.sample_rate == RATE and rec.channels == 1
    source = sources_repo.get(ctx.db, rec.source_id)
    assert source.kind == "recording" and source.status == "recording" and source.title == "file lecture"
    assert recover_interrupted(ctx) == []  # our own live recording is not "interrupted"

    stream.feed(int(3.0 * RATE))
    assert rec.mark("definition") == pytest.approx(3.0)
    stream.feed(int(2.5 * RATE))
    photo_id = rec.attach_photo(photo)
    # Closed segments are committed while recording goes on; the open one is on disk already.
    _wait_for(lambda: len(recordings_repo.segments(ctx.db, rec.recording_id)) >= 2, what="segment rows")
    rows = recordings_repo.segments(ctx.db, rec.recording_id)
    assert [r.seq for r in rows[:2]] == [0, 1] and rows[1].start_s == pytest.approx(rows[0].frames / RATE)
    open_seg = Path(recordings_repo.get(ctx.db, rec.recording_id).directory) / f"seg-{len(rows):05d}.pcm"
    _wait_for(lambda: open_seg.exists() and open_seg.stat().st_size > 0, what="open segment written")
    stream.feed(len(audio))
    assert rec.mark() == pytest.approx(len(audio) / RATE)
    assert rec.stop() == rec.recording_id
    assert rec.state == "stopped" and rec.error is None
    assert rec.elapsed_s == pytest.approx(len(audio) / RATE)

    result = _finalize(ctx, rec).result
    flac, flac_rate = _read(result["path"])
    assert flac_rate == RATE and abs(len(flac) - len(audio)) <= max(FileStream.BLOCKS)
    assert _correlation(flac, audio) > 0.99
    assert np.array_equal(flac, audio)  # FLAC is lossless: not one sample lost or moved
    source = sources_repo.get(ctx.db, rec.source_id)
    assert source.status == "new" and source.stored_path == result["path"] and source.mime == "audio/flac"
    assert source.duration_s == pytest.approx(len(audio) / RATE) and source.size_bytes > 0 and source.sha256
    record = recordings_repo.get(ctx.db, rec.recording_id)
    assert record.state == "stopped" and record.sample_rate == RATE and record.channels == 1
    assert record.device_name == "file microphone" and record.ended_at is not None
    assert not list(Path(record.directory).glob("seg-*.pcm")) and not recordings_repo.segments(ctx.db, record.id)
    marks = [(round(at, 3), label) for _, at, label in recordings_repo.bookmarks(ctx.db, rec.recording_id)]
    assert marks == [(3.0, "definition"), (round(len(audio) / RATE, 3), None)]
    [(pid, at, path)] = recordings_repo.photos(ctx.db, rec.recording_id)
    assert pid == photo_id and at == pytest.approx(5.5) and Path(path).read_bytes() == photo.read_bytes()
    assert Path(path).parent.parent == Path(record.directory)
    transcribe = ctx.jobs.get(result["transcribe_job_id"])
    assert transcribe.kind == "transcribe" and transcribe.payload == {"source_id": rec.source_id}


def test_pause_leaves_the_paused_audio_out(ctx, shared):
    audio = _speech_int16(shared)
    rec, stream = _file_recorder(ctx, audio, RATE)
    rec.start()
    first = stream.feed(3 * RATE)
    rec.pause()
    assert rec.state == "paused" and recordings_repo.get(ctx.db, rec.recording_id).state == "paused"
    stream.feed(2 * RATE)  # the lecturer's aside nobody wanted
    at_pause = rec.mark("while paused")
    rec.resume()
    assert rec.state == "recording"
    rest = stream.feed(len(audio))
    rec.stop()
    flac, _ = _read(_finalize(ctx, rec).result["path"])
    kept = np.concatenate([first, rest])
    assert abs(len(flac) - len(kept)) <= max(FileStream.BLOCKS) and _correlation(flac, kept) > 0.99
    assert np.array_equal(flac, kept)
    assert at_pause == pytest.approx(3.0)
    assert rec.elapsed_s == pytest.approx(len(kept) / RATE)


def test_a_device_at_44k_stereo_is_kept_as_is_and_listeners_get_16k_mono(ctx, shared):
    audio, rate = soundfile.read(str(shared / "audio" / "jfk.flac"), dtype="int16", always_2d=True)
    assert (rate, audio.shape[1]) == (44100, 2)
    rec, stream = _file_recorder(ctx, audio, rate)
    heard: list[tuple[float, np.ndarray]] = []
    rec.add_listener(lambda block, start_s: heard.append((start_s, block)))
    rec.start()
    stream.feed(len(audio))
    rec.stop()
    flac, flac_rate = _read(_finalize(ctx, rec).result["path"])
    assert flac_rate == 44100 and flac.shape[1] == 2 and np.array_equal(flac, audio)
    record = recordings_repo.get(ctx.db, rec.recording_id)
    assert (record.sample_rate, record.channels) == (44100, 2)
    starts = [s for s, _ in heard]
    assert starts[0] == 0.0 and starts == sorted(starts) and starts[-1] < len(audio) / rate
    assert all(len(b) >= RATE // 4 for _, b in heard[:-1])  # a few calls a second, not one per PortAudio block
    ends = [s + len(b) / RATE for s, b in heard]
    assert np.allclose(starts[1:], ends[:-1], atol=2 / RATE)  # each start second follows on from the last block
    live = np.concatenate([b for _, b in heard])
    assert live.dtype == np.float32 and abs(len(live) - len(audio) * RATE / rate) <= 2
    reference = audio_decode.decode_all(shared / "audio" / "jfk.flac")  # PyAV's resampler, as Whisper gets it
    corr, lag = _aligned_correlation(live, reference)
    assert corr > 0.95 and lag < 40


# ---- (d) a full disk ---------------------------------------------------------------------------------------------


class _FullDisk:
    """A segment file on a disk that fills up after `room` bytes (the first part of the failing block lands)."""

    def __init__(self, path: Path, room: list[int]):
        self.f, self.room = open(path, "xb"), room

    def write(self, data: bytes) -> int:
        if len(data) > self.room[0]:
            self.f.write(data[: self.room[0]])
            self.room[0] = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room[0] -= len(data)
        return self.f.write(data)

    def flush(self):
        self.f.flush()

    def fileno(self):
        return self.f.fileno()

    def close(self):
        self.f.close()


def test_a_full_disk_stops_the_recording_cleanly_and_keeps_what_was_written(ctx, shared):
    audio = _speech_int16(shared)
    room = [int(4.3 * RATE) * 2 + 1]  # 4.3 s fit, then half a sample
    rec, stream = _file_recorder(ctx, audio, RATE, open_file=lambda p: _FullDisk(p, room))
    rec.segment_s = 3.0  # the disk fills in the second segment
    rec.start()
    stream.feed(len(audio))
    _wait_for(lambda: rec.state == "failed", what="the recorder to stop by itself")
    assert rec.error.startswith("Not enough disk space: the recording stopped and keeps everything recorded")
    assert stream.stopped  # the microphone was released
    assert rec.stop() == rec.recording_id  # a late Stop click is harmless
    record = recordings_repo.get(ctx.db, rec.recording_id)
    assert record.state == "stopped" and record.error == rec.error
    flac, _ = _read(_finalize(ctx, rec).result["path"])
    assert len(flac) == int(4.3 * RATE)
    assert np.array_equal(flac, audio[: len(flac)])
    assert rec.elapsed_s == pytest.approx(4.3)


def test_a_folder_that_cannot_be_written_refuses_to_start_and_leaves_nothing(ctx, shared):
    media = ctx.home / "media"
    media.mkdir(parents=True, exist_ok=True)
    (media / "recordings").write_text("not a folder")
    rec, stream = _file_recorder(ctx, _speech_int16(shared), RATE)
    with pytest.raises(RecorderError, match="the recording cannot be written to"):
        rec.start()
    assert stream.stopped and rec.state == "idle" and rec.recording_id is None
    assert sources_repo.listing(ctx.db) == []


def test_a_silent_device_trips_the_watchdog_and_keeps_the_audio(ctx, shared):
    audio = _speech_int16(shared)
    rec, stream = _file_recorder(ctx, audio, RATE)
    rec.watchdog_s = 0.5
    rec.start()
    fed = stream.feed(2 * RATE)  # then the "device" goes quiet without a word, as PortAudio does
    _wait_for(lambda: rec.state == "failed", what="the watchdog")
    assert rec.error == DEVICE_LOST and stream.stopped
    flac, _ = _read(_finalize(ctx, rec).result["path"])
    assert np.array_equal(flac, fed)


# ---- (b) crash recovery, (c) device loss, (e) devices: through real PortAudio and PulseAudio -----------------------


def _kill_a_recording(home: Path, segment_s: float, audio_file: Path | None = None, mic: PulseServer | None = None,
                      kill_at: float = 7.0) -> tuple[int, float]:
    """Record in a subprocess (from mic, playing audio_file into it, or fed from audio_file) and SIGKILL it."""
    argv = [sys.executable, str(TESTS / "virtual_mic.py"), "record", str(segment_s)]
    feed_from_file = audio_file is not None and mic is None
    proc = subprocess.Popen(argv + ([str(audio_file)] if feed_from_file else []), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "LMGPA_HOME": str(home)})
    elapsed = 0.0
    try:
        first = proc.stdout.readline()
        assert first.startswith("started"), first + proc.stderr.read()
        if mic:
            mic.play(Path(audio_file))
        for line in proc.stdout:
            elapsed = float(line.split()[1])
            if elapsed >= kill_at:
                break
        proc.send_signal(signal.SIGKILL)  # no chance to flush, close or commit anything
    finally:
        proc.kill()
        proc.wait(30)  # reaped: a zombie would still look alive to the owner check
    assert elapsed >= kill_at
    return int(first.split()[1]), elapsed


def test_a_recording_fed_from_a_file_and_killed_is_recovered(ctx, home, shared):
    recording_id, elapsed = _kill_a_recording(home, 3.0, shared / "audio" / SPEECH, kill_at=5.0)
    assert len(recordings_repo.segments(ctx.db, recording_id)) == 1  # the second one was open: only its file tells
    assert recover_interrupted(ctx) == [recording_id]
    [job] = [j for j in ctx.jobs.recent() if j.kind == "recording.finalize"]
    flac, _ = _read(_finalize(ctx, job.id).result["path"])
    print(f"\nfile-fed: killed at {elapsed:.3f} s captured; recovered {len(flac) / RATE:.3f} s")
    assert len(flac) / RATE >= elapsed - 1.0
    assert np.array_equal(flac, _speech_int16(shared)[: len(flac)])  # in order, nothing doubled at the seams


@pytest.mark.slow
def test_a_recording_killed_mid_way_is_recovered_on_the_next_start(virtual_mic, ctx, home, shared):
    recording_id, elapsed = _kill_a_recording(home, 2.0, shared / "audio" / SPEECH, mic=virtual_mic)
    left = recordings_repo.get(ctx.db, recording_id)
    assert left.state == "recording" and left.sample_rate == RATE
    closed = recordings_repo.segments(ctx.db, recording_id)
    assert len(closed) >= 2  # 2 s segments were committed as they closed; the open one has no row yet

    assert recover_interrupted(ctx) == [recording_id]
    assert recover_interrupted(ctx) == []  # once only
    [job] = [j for j in ctx.jobs.recent() if j.kind == "recording.finalize"]
    result = _finalize(ctx, job.id).result
    flac, _ = _read(result["path"])
    duration = len(flac) / RATE
    print(f"\nkilled at {elapsed:.3f} s captured; recovered {duration:.3f} s; lost {elapsed - duration:.3f} s")
    assert duration >= elapsed - 1.5
    assert recordings_repo.get(ctx.db, recording_id).state == "recovered"
    source = sources_repo.get(ctx.db, left.source_id)
    assert source.status == "new" and source.duration_s == pytest.approx(duration)
    corr, _ = _aligned_correlation(flac, _speech_int16(shared)[: int((duration - 1.0) * RATE)], factor=3)
    assert corr > 0.95  # the speech played into the microphone, not noise


@pytest.mark.slow
def test_real_capture_matches_what_was_played(virtual_mic, ctx, shared):
    rec = Recorder(ctx, title="virtual lecture")
    rec.start()
    player = virtual_mic.play(shared / "audio" / SPEECH)
    player.wait(60)
    _wait_for(lambda: rec.elapsed_s >= 13.0, what="13 s of audio")
    rec.stop()
    print(f"\n{rec.callbacks} callbacks in {rec.elapsed_s:.2f} s ({rec.callbacks / rec.elapsed_s:.0f}/s), "
          f"{rec.overflows} overflows, device {rec.device_name!r} at {rec.sample_rate} Hz")
    assert rec.state == "stopped" and rec.sample_rate == RATE and rec.overflows == 0
    flac, _ = _read(_finalize(ctx, rec).result["path"])
    corr, _ = _aligned_correlation(flac, _speech_int16(shared), factor=3)
    assert corr > 0.99


@pytest.mark.slow
def test_microphone_server_killed_stops_with_the_device_lost_error_and_keeps_the_audio(virtual_mic, ctx, shared):
    rec = Recorder(ctx)
    rec.start()
    virtual_mic.play(shared / "audio" / SPEECH)
    _wait_for(lambda: rec.elapsed_s >= 3.0, what="3 s of audio")
    before = rec.elapsed_s
    virtual_mic.kill()
    killed = time.monotonic()
    _wait_for(lambda: rec.state == "failed", what="the recorder to notice")
    print(f"\ndevice loss noticed {time.monotonic() - killed:.2f} s after the server died")
    assert rec.error == DEVICE_LOST
    assert rec.stop() == rec.recording_id
    flac, _ = _read(_finalize(ctx, rec).result["path"])
    assert len(flac) / RATE >= before and len(flac) / RATE == pytest.approx(rec.elapsed_s)
    assert recordings_repo.get(ctx.db, rec.recording_id).error == DEVICE_LOST


def _suspend(server: PulseServer, on: bool) -> None:
    subprocess.run(["pactl", "suspend-sink", "lecture_sink", "1" if on else "0"], env=server.env, check=True)


def _wait_for_abandoned_stops() -> None:
    _wait_for(lambda: not any(t.name == "mic-stop" and t.is_alive() for t in threading.enumerate()),
              what="PortAudio to let go of the resumed device")


@pytest.mark.slow
def test_a_suspended_microphone_trips_the_watchdog_without_hanging(virtual_mic, ctx, shared):
    rec = Recorder(ctx)
    rec.start()
    virtual_mic.play(shared / "audio" / SPEECH)
    _wait_for(lambda: rec.elapsed_s >= 2.0, what="2 s of audio")
    _suspend(virtual_mic, True)  # callbacks stop, the stream stays "active", and PortAudio's stop() blocks
    suspended = time.monotonic()
    try:
        _wait_for(lambda: rec.state == "failed", what="the watchdog")
        print(f"\nsuspended microphone reported after {time.monotonic() - suspended:.2f} s")
        assert rec.error == DEVICE_LOST
        flac, _ = _read(_finalize(ctx, rec).result["path"])
        assert len(flac) / RATE == pytest.approx(rec.elapsed_s) and rec.elapsed_s >= 2.0
    finally:
        _suspend(virtual_mic, False)
        _wait_for_abandoned_stops()


@pytest.mark.slow
def test_stopping_a_suspended_microphone_returns_after_the_timeout(virtual_mic, ctx, shared):
    rec = Recorder(ctx)
    rec.start()
    _wait_for(lambda: rec.elapsed_s >= 1.0, what="1 s of audio")
    _suspend(virtual_mic, True)
    try:
        done = {}
        stopper = threading.Thread(target=lambda: done.update(id=rec.stop(timeout=0.5)))
        stopper.start()
        stopper.join(60)  # a hang fails the test instead of blocking the run
        assert done.get("id") == rec.recording_id
        assert rec.state == "stopped" and rec.error is None
        assert _finalize(ctx, rec).state == "done"
    finally:
        _suspend(virtual_mic, False)
        _wait_for_abandoned_stops()


@pytest.mark.slow
def test_the_virtual_microphone_is_listed_and_a_missing_device_is_explained(virtual_mic, ctx):
    devices = recorder_mod.list_input_devices()
    names = {d.name for d in devices}
    assert {"pulse", "default"} & names, names
    assert sum(d.is_default for d in devices) == 1
    default = next(d for d in devices if d.is_default)
    assert default.max_input_channels >= 1 and default.default_sample_rate > 0
    with pytest.raises(RecorderError, match=r"the microphone #999 could not be opened"):
        Recorder(ctx, device=999).start()
    assert sources_repo.listing(ctx.db) == []


def test_no_microphone_at_all_gives_a_clear_error(ctx, home, tmp_path):
    env = {**os.environ, "LMGPA_HOME": str(home), "PULSE_SERVER": f"unix:{tmp_path / 'no-server'}"}  # no sound server
    script = ("from lmgpa_desktop.core.profile import open_app\n"
              "from lmgpa_desktop.core.capture.recorder import Recorder, RecorderError, list_input_devices\n"
              "ctx = open_app()\n"
              "print('devices', len(list_input_devices()))\n"
              "try:\n    Recorder(ctx).start()\nexcept RecorderError as exc:\n    print('error', exc)\n")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    if "devices 0" not in out.stdout:
        pytest.skip("this machine has sound hardware, so 'no microphone' cannot be arranged (CI has none)")
    assert "error no microphone found: connect one" in out.stdout
    assert sources_repo.listing(ctx.db) == []


# ---- the command line ------------------------------------------------------------------------------------------


def _record_cli(home: Path, *argv: str) -> int:
    from lmgpa_desktop.cli import commands_record, run_handler

    parser = argparse.ArgumentParser(prog="lmgpa")  # until cli/__init__.py registers the module
    parser.add_argument("--home")
    commands_record.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--home", str(home), "record", *argv])
    return run_handler(args.handler, args)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".wav", ".ogg"])
def test_lmgpa_record_writes_the_file_and_prints_the_source(virtual_mic, ctx, home, shared, tmp_path, capsys, suffix):
    out = tmp_path / f"lecture{suffix}"
    virtual_mic.play(shared / "audio" / SPEECH)
    assert _record_cli(home, "--seconds", "3", "-o", str(out)) == 0
    printed = capsys.readouterr().out
    source_id = int(re.search(r"library source #(\d+)", printed).group(1))
    source = sources_repo.get(ctx.db, source_id)
    assert source.kind == "recording" and source.status == "new"
    data, rate = soundfile.read(str(out), always_2d=True)
    assert rate == RATE and 3.0 <= len(data) / rate < 3.5
    library, _ = soundfile.read(source.stored_path, always_2d=True)
    if suffix == ".wav":
        assert np.array_equal(np.round(data * 32768), np.round(library * 32768))
    else:
        assert _correlation(data, library) > 0.99


def test_lmgpa_record_finishes_a_recording_left_by_a_crash_first(ctx, home, shared, tmp_path, capsys):
    recording_id, elapsed = _kill_a_recording(home, 1.0, shared / "audio" / SPEECH)
    assert _record_cli(home, "--seconds", "1", "-o", str(tmp_path / "x.txt")) == 1
    assert "choose a .wav" in capsys.readouterr().err
    assert recordings_repo.get(ctx.db, recording_id).state == "recording"  # refused before touching anything

    assert _record_cli(home, "--seconds", "1", "-o", str(tmp_path / "y.wav"), "--device", "99999") == 1
    err = capsys.readouterr().err
    assert f"recovering recording #{recording_id}" in err
    assert re.search(r"no microphone found|the microphone #99999 could not be opened", err)
    record = recordings_repo.get(ctx.db, recording_id)
    assert record.state == "recovered" and "recovered" in record.error
    flac, _ = _read(sources_repo.get(ctx.db, record.source_id).stored_path)
    assert len(flac) / RATE >= elapsed - 1.5
    assert np.array_equal(flac, _speech_int16(shared)[: len(flac)])
