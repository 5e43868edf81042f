"""Synced files: descriptors for pushed rows, encrypted 4 MiB chunk uploads and downloads, both resumable."""

# A file travels as a blob named by blob_id(key, sha256), so equal files are stored once and the server cannot
# tell which known file a student holds. Upload asks the server which chunks it already has and sends the rest;
# download appends to a .part file and goes on from its last whole chunk. A file is only put in place after its
# SHA-256 matches the descriptor, so a damaged or swapped blob never replaces anything.

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import threading
from collections.abc import Generator
from pathlib import Path

from lmgpa_desktop import paths
from lmgpa_desktop.core.capture.media_import import sha256_of
from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.safety.backup_store import write_atomically
from lmgpa_desktop.core.sync import crypto
from lmgpa_desktop.remote.sync_api import SyncApi
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.sync import media_repo
from lmgpa_desktop.storage.sync.media_repo import MediaRow

log = logging.getLogger(__name__)

CHUNK = 4 * 1024 * 1024
_EXT = re.compile(r"^\.[A-Za-z0-9]{1,12}$")


def chunk_count(size: int) -> int:
    """Chunks of a file of this size (an empty file is one empty chunk, so every blob exists)."""
    return max(1, -(-int(size) // CHUNK))


def local_path(home: Path, descriptor: dict) -> str:
    """Where a synced file lives on this device: media/<sha256>/<sha256><original extension>.

    A folder per file, as imports have, so emptying the trash removes only that file's folder."""
    sha = str(descriptor["sha256"]).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise ValueError("a media descriptor needs a SHA-256")
    ext = Path(str(descriptor.get("name") or "")).suffix
    ext = ext.lower() if _EXT.match(ext) else ""
    return str(paths.media_dir(home) / sha / f"{sha}{ext}")


def media_path_for(home: Path, db: Database):
    """media_path(descriptor) for apply: a file already here with that hash (any path), else local_path."""

    def media_path(descriptor: dict) -> str:
        known = media_repo.get(db, str(descriptor.get("sha256") or "").lower())
        if known is not None and known.path and Path(known.path).is_file():
            return known.path
        return local_path(home, descriptor)

    return media_path


class Describer:
    """Turns local paths into wire descriptors during one push, hashing each file once."""

    def __init__(self, db: Database, key: bytes):
        self.db, self.key = db, key
        self._seen: dict[str, dict | str] = {}
        self.queued = 0  # files newly waiting for upload

    def __call__(self, path: str | None) -> dict | str | None:
        """The descriptor of the file at path (None when there is no path). A file that is not here travels as
        its last known descriptor, or, never hashed, as the bare path: there is nothing to send."""
        if not path:
            return None
        if path in self._seen:
            return self._seen[path]
        self._seen[path] = found = self._describe(path)
        return found

    def _describe(self, path: str) -> dict | str:
        p = Path(path)
        known = media_repo.by_path(self.db, path)
        try:
            size = p.stat().st_size
        except OSError:
            log.info("sync: %s is not here; its row syncs without the file", path)
            if known is None:
                return path
            return {"sha256": known.sha256, "size": known.size, "name": known.name,
                    "blob_id": crypto.blob_id(self.key, known.sha256)}
        if known is not None and known.size == size and known.state != "failed":
            sha = known.sha256  # hashed before: files in the profile are never edited in place
        else:
            sha = sha256_of(p)
        blob = crypto.blob_id(self.key, sha)
        before = media_repo.get(self.db, sha)
        if before is not None and before.state in ("missing", "failed") and before.path and before.path != path:
            # Another device's row waits for this very content at its own path (both imported the same file
            # before they synced): give it the local copy, since the sync will not download what is here.
            place_copy(p, Path(before.path))
        row = media_repo.record_local(self.db, sha, blob, size, p.name, path)
        if row.state == "local" and (before is None or before.state != "local"):
            self.queued += 1
        return {"sha256": sha, "size": size, "name": p.name, "blob_id": blob}


def place_copy(source: Path, target: Path) -> None:
    """Put source's content at target (a hard link when the folders share a disk), atomically; kept if present."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(target, lambda tmp: _link_or_copy(source, tmp))


def _link_or_copy(source: Path, tmp: Path) -> None:
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)


# -- upload ---------------------------------------------------------------------------------------------------
def upload_waiting(api: SyncApi, db: Database, key: bytes,
                   cancel: threading.Event) -> Generator[Progress, None, int]:
    """Upload every 'local' file; returns how many are now on the server."""
    return (yield from _each_file(db, "local", "uploading", lambda row: _upload(api, db, key, row, cancel), cancel))


def _each_file(db: Database, state: str, verb: str, transfer, cancel: threading.Event
               ) -> Generator[Progress, None, int]:
    """Run transfer(row) (a generator of bytes done) for every file in state, with one progress over all of them;
    returns how many ended 'uploaded' (on the server, and here)."""
    rows = media_repo.in_state(db, state)
    total = sum(r.size or 0 for r in rows) or 1
    done = finished = 0
    for row in rows:
        if cancel.is_set():
            break
        base = done
        for moved in transfer(row):
            done = base + moved
            yield Progress(done, total, f"{verb} {row.name} ({_mb(moved)} of {_mb(row.size or 0)})")
        done = base + (row.size or 0)
        finished += media_repo.get(db, row.sha256).state == "uploaded"
    return finished


def _upload(api: SyncApi, db: Database, key: bytes, row: MediaRow,
            cancel: threading.Event) -> Generator[int, None, None]:
    """Send the chunks the server lacks, then complete the blob; yields bytes read so far."""
    path = Path(row.path or "")
    if not path.is_file():
        media_repo.set_state(db, row.sha256, "failed")
        log.warning("sync: cannot upload %s: the file is gone", row.path)
        return
    blob = crypto.blob_id(key, row.sha256)  # from the current key: a stored id may predate a new key
    info = api.blob_info(blob)
    if info is not None and info.get("complete"):
        media_repo.set_state(db, row.sha256, "uploaded")
        return
    have = set(info.get("chunks") or []) if info else set()
    h, size, index = hashlib.sha256(), 0, 0
    with open(path, "rb") as f:
        while True:
            data = f.read(CHUNK)
            if not data and index > 0:
                break
            h.update(data)
            size += len(data)
            if index not in have:
                if cancel.is_set():
                    return  # the chunks sent so far stay on the server; the next sync goes on from there
                api.put_chunk(blob, index, crypto.seal_chunk(key, blob, index, data))
            index += 1
            yield size
            if not data:
                break
    if h.hexdigest() != row.sha256:
        # Changed since its rows were pushed: the rows name the old content, which no longer exists anywhere.
        media_repo.set_state(db, row.sha256, "failed")
        log.warning("sync: %s changed after it was described; not uploaded", path)
        return
    api.complete_blob(blob, index, size)
    media_repo.set_state(db, row.sha256, "uploaded")


# -- download -------------------------------------------------------------------------------------------------
def download_waiting(api: SyncApi, db: Database, key: bytes,
                     cancel: threading.Event) -> Generator[Progress, None, int]:
    """Download every 'missing' file the server has complete; returns how many arrived."""
    return (yield from _each_file(db, "missing", "downloading", lambda row: download(api, db, key, row, cancel),
                                  cancel))


def download(api: SyncApi, db: Database, key: bytes, row: MediaRow,
             cancel: threading.Event) -> Generator[int, None, None]:
    """Fetch one file to row.path, resuming a .part file; yields bytes written so far.

    A blob the server does not have complete yet stays 'missing' (its device has not finished uploading)."""
    if not row.path:
        return
    target = Path(row.path)
    if target.is_file() and sha256_of(target) == row.sha256:
        media_repo.set_state(db, row.sha256, "uploaded")
        return
    blob = crypto.blob_id(key, row.sha256)  # from the current key: a stored id may predate a new key
    info = api.blob_info(blob)
    if info is None or not info.get("complete"):
        return
    count = len(info.get("chunks") or []) or chunk_count(int(info.get("size") or 0))
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    start = min(have // CHUNK, count)
    with open(part, "r+b" if part.exists() else "wb") as f:
        f.truncate(start * CHUNK)  # drop a half-written chunk
        f.seek(start * CHUNK)
        written = start * CHUNK
        for index in range(start, count):
            if cancel.is_set():
                return
            try:
                data = crypto.open_chunk(key, blob, index, api.get_chunk(blob, index))
            except crypto.Tampered:
                f.close()
                _fail(db, row, part, "a part of it does not open with your sync key")
                return
            f.write(data)
            f.flush()
            written += len(data)
            yield written
        os.fsync(f.fileno())
    if sha256_of(part) != row.sha256:
        _fail(db, row, part, "its content does not match what was synced")
        return
    os.replace(part, target)
    media_repo.set_state(db, row.sha256, "uploaded")


def _fail(db: Database, row: MediaRow, part: Path, why: str) -> None:
    part.unlink(missing_ok=True)
    media_repo.set_state(db, row.sha256, "failed")
    log.warning("sync: %s was not downloaded: %s", row.name, why)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
