"""Recovery after a crash: recordings a dead process left open are closed and queued to be saved."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core.capture.recording_finalize import FINAL_NAME
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.jobs import owner_alive
from lmgpa_desktop.storage import recordings_repo, sources_repo
from lmgpa_desktop.storage.recordings_repo import RecordingRecord

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)


def recover_interrupted(ctx: AppContext) -> list[int]:
    """Close recordings a dead process left open (registering their last segment) and queue finalize, also for
    closed ones it died before queueing; their ids."""
    recovered = []
    for rec in recordings_repo.unfinished(ctx.db):
        if owner_alive(rec.owner):
            continue  # still recording in another window (or on another machine sharing the folder)
        folder = Path(rec.directory)
        if not folder.is_dir():
            reason = f"the recording's audio folder {folder} is missing"
            recordings_repo.update_recording(ctx.db, rec.id, state="failed", error=reason, ended_at=datetime.now(UTC))
            if rec.source_id is not None:
                sources_repo.update(ctx.db, rec.source_id, status="failed", error=reason)
            continue
        total = _register_orphan_segments(ctx, rec)
        last_write = max((p.stat().st_mtime for p in folder.glob("seg-*.pcm")), default=time.time())
        note = f"the app stopped while recording; {clock(total / rec.sample_rate)} of audio was recovered"
        recordings_repo.update_recording(ctx.db, rec.id, state="recovered", error=note,
                                         ended_at=datetime.fromtimestamp(last_write, UTC))
        if rec.source_id is not None:
            sources_repo.update(ctx.db, rec.source_id, status="processing", duration_s=total / rec.sample_rate)
        ctx.jobs.submit("recording.finalize", {"recording_id": rec.id}, title="Saving a recovered recording")
        log.warning("recovered recording %s (%.1f s) left by %s", rec.id, total / rec.sample_rate, rec.owner)
        recovered.append(rec.id)
    recovered += _queue_unsaved(ctx)
    return recovered


def _queue_unsaved(ctx: AppContext) -> list[int]:
    """Queue finalize for closed recordings a crash left between marking them closed and queueing their finalize."""
    # Found by the crash test (tests/safety/crash_harness.py): a kill between the recorder's (or the recovery's)
    # state update and its jobs.submit left a recording that no job would ever save into the library.
    queued = []
    for rec in recordings_repo.closed_without_job(ctx.db, ("stopped", "recovered"), "recording.finalize"):
        if owner_alive(rec.owner) or rec.source_id is None:
            continue  # its process is still about to queue it
        source = sources_repo.get(ctx.db, rec.source_id)
        if source is None or source.stored_path == str(Path(rec.directory) / FINAL_NAME):
            continue
        ctx.jobs.submit("recording.finalize", {"recording_id": rec.id}, title="Saving a recovered recording")
        log.warning("recording %s was closed but never queued to be saved; queued it now", rec.id)
        queued.append(rec.id)
    return queued


def _register_orphan_segments(ctx: AppContext, rec: RecordingRecord) -> int:
    """Add rows for segment files the crash left without one (sized from the file); returns total frames."""
    segments = recordings_repo.segments(ctx.db, rec.id)
    known = {s.seq for s in segments}
    frame_bytes = 2 * rec.channels
    total = sum(s.frames for s in segments)
    for path in sorted(Path(rec.directory).glob("seg-*.pcm")):
        try:
            seq = int(path.stem.split("-")[1])
        except (IndexError, ValueError):
            continue
        if seq in known:
            continue
        frames = path.stat().st_size // frame_bytes
        if not frames:
            path.unlink(missing_ok=True)
            continue
        recordings_repo.add_segment(ctx.db, rec.id, seq, str(path), total / rec.sample_rate, frames)
        total += frames
    return total
