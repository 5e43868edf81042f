"""Bring audio and video files into the library: check they decode, de-duplicate, copy into the profile."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop import paths
from lmgpa_desktop.core import activity
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.engines import audio_decode
from lmgpa_desktop.storage import sources_repo
from lmgpa_desktop.storage.base import new_uuid
from lmgpa_desktop.storage.sources_repo import SourceRecord

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

MEDIA_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".webm", ".mp4", ".mkv",
                  ".mov", ".avi", ".wma"}


@dataclass(frozen=True)
class Imported:
    """The source a file became, and whether it was already in the library."""

    source: SourceRecord
    duplicate: bool


def sha256_of(path: Path) -> str:
    """Content hash, read in blocks (large lectures)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_into_profile(ctx: AppContext, path: Path) -> Path:
    """Copy a file into media/<uuid>/ atomically; a failure (full disk) leaves nothing behind."""
    folder = paths.media_dir(ctx.home) / new_uuid()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    partial = folder / (path.name + ".part")
    try:
        shutil.copyfile(path, partial)
        partial.replace(target)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise OSError(f"could not copy {path.name} into {folder.parent}: {exc.strerror or exc}") from exc
    return target


def import_media(ctx: AppContext, path: Path, course_id: int | None = None, title: str | None = None) -> Imported:
    """Add an audio or video file; raises ValueError with a clear message for bad files."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file")
    if path.suffix.lower() not in MEDIA_SUFFIXES:
        kinds = ", ".join(sorted(s.lstrip(".") for s in MEDIA_SUFFIXES))
        raise ValueError(f"{path.name} is not a supported audio or video type (supported: {kinds})")
    info = audio_decode.probe(path)  # DecodeError (a ValueError) for unreadable files
    sha = sha256_of(path)
    existing = sources_repo.find_by_sha256(ctx.db, sha)
    if existing is not None:
        return Imported(existing, True)
    stored = copy_into_profile(ctx, path)
    source = sources_repo.create(
        ctx.db, kind="video" if info.has_video else "audio", title=title or path.stem, course_id=course_id,
        original_path=str(path.resolve()), stored_path=str(stored), sha256=sha, size_bytes=path.stat().st_size,
        mime=info.codec, status="new", duration_s=info.duration_s,
    )
    return Imported(source, False)


@job_kind("import.media")
def import_media_job(run: JobRun, payload: dict):
    """Import a dropped or chosen file, then queue its transcription."""
    path = Path(payload["path"])
    yield Progress(0, 2, f"checking {path.name}")
    try:
        imported = import_media(run.services, path, payload.get("course_id"), payload.get("title"))
    except (ValueError, OSError) as exc:
        raise JobError(str(exc)) from exc
    yield Progress(1, 2, "already in your library" if imported.duplicate else f"added {path.name}")
    transcribe_id = None
    if not imported.duplicate or imported.source.status in ("new", "failed"):
        transcribe_id = run.queue.submit("transcribe", {"source_id": imported.source.id},
                                         title=f"Transcribing {imported.source.title}")
    yield Progress(2, 2, "queued for transcription" if transcribe_id else "already transcribed")
    if not imported.duplicate:
        activity.record(run.services, "import", course_id=imported.source.course_id, ref_id=imported.source.id)
    return {"source_id": imported.source.id, "duplicate": imported.duplicate, "transcribe_job": transcribe_id}
