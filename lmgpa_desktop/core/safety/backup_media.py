"""Media in backups: each content file is stored once by its SHA-256; a backup only records which files it had."""

# Recordings, imported documents and Anki media do not change once written, so copying them into every backup would
# multiply gigabytes. A backup lists (relative path, size, SHA-256, mtime); the content goes into
# backups/media-store/<first two hex>/<sha256> the first time it is seen. A file whose size and mtime match the
# previous backup's record is not read again. Restore copies back the recorded files that are missing.

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
from collections.abc import Generator, Iterable
from pathlib import Path, PurePosixPath

from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.safety.backup_store import CHUNK, PART, write_atomically
from lmgpa_desktop.storage.db_copy import fsync_dir

log = logging.getLogger(__name__)
STORE = "media-store"


def store_dir(folder: Path) -> Path:
    """The shared content store inside a backups folder."""
    return folder / STORE


def stored_file(folder: Path, sha: str) -> Path:
    """Where the content with this SHA-256 lives in the store."""
    return store_dir(folder) / sha[:2] / sha


def scan(media: Path) -> list[tuple[str, Path, os.stat_result]]:
    """Every regular file under the media folder: (relative POSIX path, path, stat), sorted; symlinks are skipped."""
    found = []
    if not media.is_dir():
        return found
    for root, dirs, files in os.walk(media):
        dirs.sort()
        for name in files:
            path = Path(root) / name
            try:
                st = path.lstat()
            except OSError:
                continue  # removed while we walked
            if path.is_symlink() or not path.is_file():
                continue
            found.append((path.relative_to(media).as_posix(), path, st))
    found.sort(key=lambda item: item[0])
    return found


def _store(folder: Path, path: Path) -> tuple[str, int]:
    """Copy a file into the store (temp, flush, rename) unless its content is there; returns its (sha, size).

    One read: the file is copied while it is hashed (a file not seen before is usually new content), and the copy is
    dropped when the store already holds that content.
    """
    store = store_dir(folder)
    store.mkdir(parents=True, exist_ok=True)
    tmp = store / f".{threading.get_ident()}{PART}"
    digest, size = hashlib.sha256(), 0
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
            sha = digest.hexdigest()
            target = stored_file(folder, sha)
            if target.exists():
                return sha, size
            dst.flush()
            os.fsync(dst.fileno())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
        return sha, size
    finally:
        tmp.unlink(missing_ok=True)


def record(home_media: Path, folder: Path, previous: dict[str, dict], cancelled) -> Generator[Progress, None, list]:
    """Store what is new under home_media and return the records of every media file: [{path, size, sha256, mtime_ns}].

    previous maps relative paths to the newest backup's records: a file with the same size and mtime is not read.
    """
    files = scan(home_media)
    records, total_bytes, done_bytes = [], sum(st.st_size for *_, st in files) or 1, 0
    dirs_touched: set[Path] = set()
    for i, (rel, path, st) in enumerate(files):
        if cancelled():
            raise InterruptedError("cancelled")
        old = previous.get(rel)
        if (old and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns
                and stored_file(folder, old["sha256"]).exists()):
            records.append(dict(old))
        else:
            try:
                sha, size = _store(folder, path)
            except FileNotFoundError:
                continue  # removed since the scan: nothing to record
            dirs_touched.add(stored_file(folder, sha).parent)
            records.append({"path": rel, "size": size, "sha256": sha, "mtime_ns": st.st_mtime_ns})
            done_bytes += size
        if i % 50 == 0 or i == len(files) - 1:
            yield Progress(min(done_bytes, total_bytes), total_bytes, f"media files: {i + 1} of {len(files)}")
    for d in dirs_touched | ({store_dir(folder)} if dirs_touched else set()):
        fsync_dir(d)
    return records


def safe_relative(rel: str) -> PurePosixPath | None:
    """A recorded path as a relative path inside the media folder, or None for one that would leave it."""
    p = PurePosixPath(rel)
    if p.is_absolute() or not p.parts or any(part in ("..", "") for part in p.parts) or ":" in p.parts[0]:
        return None
    return p


def put_back(records: Iterable[dict], home_media: Path, folder: Path) -> tuple[int, list[str]]:
    """Copy the recorded files that are missing from the media folder back from the store; never overwrites.

    Returns (files put back, recorded paths whose content is not in the store).
    """
    restored, unavailable = 0, []
    for rec in records:
        rel = safe_relative(str(rec.get("path", "")))
        if rel is None:
            log.warning("backup manifest names a media path outside the media folder: %r", rec.get("path"))
            continue
        target = home_media.joinpath(*rel.parts)
        if target.exists():
            continue
        source = stored_file(folder, str(rec.get("sha256", "")))
        if not source.is_file():
            unavailable.append(str(rel))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, lambda tmp, source=source: shutil.copyfile(source, tmp))
        restored += 1
    return restored, unavailable


def sweep(folder: Path, keep: set[str]) -> int:
    """Remove store files no kept backup records, and temporary files left by an interrupted copy; returns how many.

    Only call while holding the folder's lock, with `keep` from every manifest (a backup being written holds the lock).
    """
    removed = 0
    store = store_dir(folder)
    if not store.is_dir():
        return 0
    for sub in store.iterdir():
        if not sub.is_dir():
            if sub.name.endswith(PART):
                sub.unlink(missing_ok=True)
                removed += 1
            continue
        for path in sub.iterdir():
            if path.name.endswith(PART) or path.name not in keep:
                path.unlink(missing_ok=True)
                removed += 1
        try:
            sub.rmdir()  # only when empty
        except OSError:
            pass
    return removed
