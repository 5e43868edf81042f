"""Saving a recording: its segments joined into one FLAC in the library (the finalize job), and exported copies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lmgpa_desktop.core import activity
from lmgpa_desktop.core.capture.media_import import sha256_of
from lmgpa_desktop.core.capture.segment_files import fsync_dir
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.storage import recordings_repo, sources_repo
from lmgpa_desktop.storage.recordings_repo import RecordingRecord, SegmentRecord

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

JOIN_BLOCK_FRAMES = 1 << 16  # finalize reads this much at a time: memory stays flat for a 3-hour lecture
FINAL_NAME = "recording.flac"
EXPORT_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS")}


def _join_segments(segments: list[SegmentRecord], rec: RecordingRecord, target: Path) -> Iterator[Progress]:
    """Stream the segments in order into target as FLAC (through a .part file, fsynced before the rename)."""
    import soundfile

    total = sum(s.frames for s in segments)
    partial = target.with_name(target.name + ".part")
    done, finished = 0, False
    try:
        with soundfile.SoundFile(partial, "w", samplerate=rec.sample_rate, channels=rec.channels, format="FLAC",
                                 subtype="PCM_16") as out:
            for seg in segments:
                with open(seg.path, "rb") as f:
                    left = seg.frames
                    while left:
                        data = np.fromfile(f, dtype="<i2", count=min(left, JOIN_BLOCK_FRAMES) * rec.channels)
                        got = len(data) // rec.channels
                        if not got:
                            break  # shorter than its row says (a damaged disk): keep what is there
                        out.write(data[: got * rec.channels].reshape(got, rec.channels))
                        left -= got
                        done += got
                        yield Progress(done / rec.sample_rate, total / rec.sample_rate,
                                       f"saving the recording: {clock(done / rec.sample_rate)} of "
                                       f"{clock(total / rec.sample_rate)}")
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        partial.replace(target)
        fsync_dir(target.parent)
        finished = True
    finally:
        if not finished:
            partial.unlink(missing_ok=True)


def _gave_up(services, job, reason: str) -> None:
    """Crashes stopped saving this recording too often: its library entry says so (the segments stay on disk)."""
    rec = recordings_repo.get(services.db, job.payload["recording_id"])
    if rec is not None and rec.source_id is not None:
        sources_repo.update(services.db, rec.source_id, status="failed", error=f"saving the recording {reason}")


@job_kind("recording.finalize", queue="default", on_give_up=_gave_up)
def finalize_job(run: JobRun, payload: dict):
    """Join a stopped or recovered recording into one FLAC, put it in the library, then queue its transcript."""
    db = run.services.db
    rec = recordings_repo.get(db, payload["recording_id"])
    if rec is None:
        raise JobError(f"recording {payload['recording_id']} no longer exists")
    source = sources_repo.get(db, rec.source_id) if rec.source_id is not None else None
    if source is None:
        raise JobError(f"the library entry of recording {rec.id} was deleted")
    target = Path(rec.directory) / FINAL_NAME
    segments = recordings_repo.segments(db, rec.id)
    already = source.stored_path == str(target) and target.is_file()  # a re-run after the FLAC was saved
    if not already:
        missing = [s.path for s in segments if not Path(s.path).is_file()]
        if missing or not segments:
            reason = (f"the audio of this recording is missing ({missing[0]})" if missing
                      else "nothing was recorded (the microphone sent no audio)")
            recordings_repo.update_recording(db, rec.id, state="failed", error=rec.error or reason)
            sources_repo.update(db, source.id, status="failed", error=reason)
            raise JobError(reason)
        try:
            yield from _join_segments(segments, rec, target)
        except OSError as exc:
            raise JobError(f"the recording could not be saved: {exc.strerror or exc} (its segments are kept; "
                           "free some space and retry this job)") from exc
    import soundfile

    info = soundfile.info(str(target))
    duration = info.frames / info.samplerate
    state = "recovered" if rec.state == "recovered" else "stopped"
    recordings_repo.update_recording(db, rec.id, state=state, ended_at=rec.ended_at or datetime.now(UTC))
    recordings_repo.link_media_to_source(db, rec.id)
    sources_repo.update(db, source.id, stored_path=str(target), duration_s=duration, sha256=sha256_of(target),
                        size_bytes=target.stat().st_size, mime="audio/flac", status="new", error=None)
    if not already:  # a re-run after a crash must not count the same lecture twice
        activity.record(run.services, "recording", course_id=source.course_id, ref_id=source.id,
                        amount=round(duration), at=rec.ended_at or datetime.now(UTC),
                        details={"started_at": rec.started_at.isoformat() if rec.started_at else None})
    for seg in segments:  # only now: the FLAC is durable and the library points at it
        Path(seg.path).unlink(missing_ok=True)
    recordings_repo.delete_segments(db, rec.id)
    check = dict(run.checkpoint or {})
    if "transcribe_job_id" not in check:
        check["transcribe_job_id"] = run.queue.submit("transcribe", {"source_id": source.id},
                                                      title=f"Transcribing {source.title}")
        run.save_checkpoint(check)
    yield Progress(duration, duration, f"saved {clock(duration)} of audio")
    return {"source_id": source.id, "path": str(target), "duration": duration,
            "transcribe_job_id": check["transcribe_job_id"]}


def export_recording(ctx: AppContext, source_id: int, path: Path, block_frames: int = JOIN_BLOCK_FRAMES) -> Path:
    """Copy a finalized recording to path, converting by suffix (.wav, .flac, .ogg) in bounded memory."""
    import soundfile

    path = Path(path).expanduser()
    fmt = EXPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path.name}: choose a .wav, .flac or .ogg file name")
    source = sources_repo.get(ctx.db, source_id)
    if source is None or not source.stored_path or not Path(source.stored_path).is_file():
        raise ValueError(f"source {source_id} has no saved audio yet")
    partial = path.with_name(path.name + ".part")
    try:
        with soundfile.SoundFile(source.stored_path) as src, \
                soundfile.SoundFile(partial, "w", samplerate=src.samplerate, channels=src.channels,
                                    format=fmt[0], subtype=fmt[1]) as out:
            for block in src.blocks(blocksize=block_frames, dtype="int16" if fmt[1] == "PCM_16" else "float32"):
                out.write(block)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
