"""The backups folder on disk: manifests, compressed database files, atomic writes and the folder's lock."""

# Layout of home/backups/:
#   <id>.sqlite3.zst      the database copy, zstd-compressed (with zstd's own content checksum)
#   <id>.json             its manifest: when, why, the copy's size and SHA-256, the check result, the media it records
#   media-store/ab/<sha>  media content, one file per SHA-256 shared by every backup (see backup_media.py)
#   lmgpa-<stamp>-before-<rev>.sqlite3, manual-<stamp>.sqlite3
#                         plain copies written by older versions and by the migration step (storage/migrate.py);
#                         listed as backups too, their check result in a "<file>.json" manifest once verified
# A backup exists once its manifest does: the manifest is written last, so a backup cut short (cancel, full disk,
# crash) is never listed. Files are written to a temporary name, flushed and renamed.

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import zstandard
from filelock import FileLock, Timeout

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.storage.db_copy import fsync_dir, fsync_file

FORMAT = 1
SUFFIX = ".sqlite3.zst"
PART = ".part"  # temporary files; swept by rotation while the folder is locked
LEVEL = 3  # zstd level: 3 compresses a study database about 3x at several hundred MB/s (benchmarks/backup.py)
CHUNK = 1 << 20
LOCK_WAIT_S = 600.0
LEGACY = (  # plain copies of older versions: pattern -> reason
    (re.compile(r"^lmgpa-(\d{8}-\d{6})-before-.+\.sqlite3$"), "before-migration"),
    (re.compile(r"^manual-(\d{8}-\d{6})\.sqlite3$"), "manual"),
)


def stamp(created: datetime) -> str:
    """A sortable, filename-safe UTC time stamp."""
    return created.astimezone(UTC).strftime("%Y%m%d-%H%M%S")


def parse_stamp(text: str) -> datetime:
    """The aware UTC time of a stamp."""
    return datetime.strptime(text, "%Y%m%d-%H%M%S").replace(tzinfo=UTC)


def new_id(folder: Path, created: datetime, reason: str, taken: set[str]) -> str:
    """An id not used yet: "<stamp>-<reason>", with "-2", "-3"... when two backups share the second."""
    base = f"{stamp(created)}-{reason}"
    candidate, n = base, 1
    while candidate in taken or (folder / f"{candidate}.json").exists() or (folder / f"{candidate}{SUFFIX}").exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def manifest_path(folder: Path, data_file: str) -> Path:
    """Where a backup's manifest lives: <id>.json for ours, <file>.json beside an older plain copy."""
    if data_file.endswith(SUFFIX):
        return folder / f"{data_file[:-len(SUFFIX)]}.json"
    return folder / f"{data_file}.json"


def read_manifest(path: Path) -> dict:
    """A manifest's contents (raises OSError or ValueError when it is missing or damaged)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("file"), str):
        raise ValueError(f"{path.name} is not a backup manifest")
    return data


def legacy_files(folder: Path) -> dict[str, tuple[str, datetime]]:
    """Plain copies of older versions: file name -> (reason, created)."""
    found = {}
    for path in folder.glob("*.sqlite3"):
        for pattern, reason in LEGACY:
            match = pattern.match(path.name)
            if match:
                try:
                    found[path.name] = (reason, parse_stamp(match.group(1)))
                except ValueError:
                    pass
                break
    return found


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call write(temp) and rename temp over path once it is on the disk; the temp file goes on any failure."""
    tmp = path.with_name(f".{path.name}{PART}")
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def write_manifest(path: Path, data: dict) -> None:
    """Write a manifest atomically."""
    text = json.dumps(data, indent=1, sort_keys=True)
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def compress(source: Path, target: Path, cancelled: Callable[[], bool] = lambda: False) -> tuple[int, str]:
    """zstd-compress source into target (with zstd's checksum); returns the source's size and SHA-256."""
    digest, size = hashlib.sha256(), source.stat().st_size
    cctx = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
    with open(source, "rb") as src, open(target, "wb") as dst, cctx.stream_writer(dst, size=size, closefd=False) as zw:
        while chunk := src.read(CHUNK):
            if cancelled():
                raise InterruptedError("cancelled")
            digest.update(chunk)
            zw.write(chunk)
    return size, digest.hexdigest()


def expand(source: Path, target: Path) -> tuple[int, str]:
    """Write the database held by a backup file to target; returns its size and SHA-256.

    A .zst is decompressed (zstd checks its checksum: a damaged file raises zstandard.ZstdError); a plain copy of an
    older version is copied as it is.
    """
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, open(target, "wb") as dst:
        reader = zstandard.ZstdDecompressor().stream_reader(src) if source.name.endswith(SUFFIX) else src
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            dst.write(chunk)
            size += len(chunk)
    fsync_file(target)
    return size, digest.hexdigest()


def remove_with_journal(path: Path) -> None:
    """Remove a temporary database file and any -wal, -shm or -journal SQLite left beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class FolderLock:
    """The backups folder's lock: one backup, check, rotation or restore at a time, across threads and processes."""

    def __init__(self, folder: Path, wait_s: float = LOCK_WAIT_S):
        folder.mkdir(parents=True, exist_ok=True)
        # A new FileLock per use: each holds its own file descriptor, so two threads of one process exclude each
        # other as two processes do.
        self._lock = FileLock(str(folder / ".lock"), timeout=wait_s, thread_local=False)

    def __enter__(self) -> FolderLock:
        try:
            self._lock.acquire()
        except Timeout as exc:
            raise UserError("Another backup or restore of this profile is still running; try again when it has "
                            "finished.") from exc
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()
