"""Where encrypted media chunks live: a small BlobStore interface, a folder implementation, room for S3."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Protocol

import platformdirs
from sqlalchemy import make_url

from sync_server.settings import ServerSettings


class BlobStore(Protocol):
    """Chunk bytes by (user, blob, index). Ids reach it validated (letters, digits, '-' and '_'); the database keeps
    which chunks exist and their sizes, so a store only has to hold bytes (an S3 bucket can serve several servers)."""

    def put(self, user_id: str, blob_id: str, index: int, data: bytes) -> None:
        """Store (or replace) one chunk; a reader sees the old bytes or the new ones, never a mix."""

    def get(self, user_id: str, blob_id: str, index: int) -> bytes | None:
        """A chunk's bytes, or None."""

    def exists(self, user_id: str, blob_id: str, index: int) -> bool:
        """Whether the chunk is stored."""

    def size(self, user_id: str, blob_id: str, index: int) -> int | None:
        """A stored chunk's size in bytes, or None."""

    def delete_user(self, user_id: str) -> None:
        """Remove every chunk of a user."""


class FolderBlobStore:
    """Chunks as files: ROOT/<user>/<blob[:2]>/<blob>/<index>, written to a temporary name and renamed into place."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _user(self, user_id: str) -> Path:
        return self.root / _safe(user_id)

    def _path(self, user_id: str, blob_id: str, index: int) -> Path:
        blob = _safe(blob_id)
        return self._user(user_id) / blob[:2] / blob / str(int(index))

    def put(self, user_id: str, blob_id: str, index: int, data: bytes) -> None:
        """Write, flush to disk, then rename over any earlier copy (atomic on one file system)."""
        path = self._path(user_id, blob_id, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
        try:
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())  # the database row that names this chunk commits right after
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def get(self, user_id: str, blob_id: str, index: int) -> bytes | None:
        """The file's bytes, or None."""
        try:
            return self._path(user_id, blob_id, index).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, user_id: str, blob_id: str, index: int) -> bool:
        """Whether the file is there."""
        return self._path(user_id, blob_id, index).is_file()

    def size(self, user_id: str, blob_id: str, index: int) -> int | None:
        """The file's size, or None."""
        try:
            return self._path(user_id, blob_id, index).stat().st_size
        except FileNotFoundError:
            return None

    def delete_user(self, user_id: str) -> None:
        """Move the user's folder aside first, so a failure half-way leaves nothing under the live name."""
        folder = self._user(user_id)
        if not folder.exists():
            return
        doomed = self.root / f".deleted-{folder.name}-{uuid.uuid4().hex}"
        os.replace(folder, doomed)
        shutil.rmtree(doomed, ignore_errors=True)


def _safe(name: str) -> str:
    """A path part as the routes validated it; anything else is a bug, never a path."""
    if not name or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in name):
        raise ValueError(f"not a safe blob store name: {name[:40]!r}")
    return name


def default_folder(settings: ServerSettings) -> Path:
    """SYNC_BLOB_DIR; else beside a SQLite database file (<file>-sync-blobs); else the server's user data folder."""
    if settings.sync_blob_dir:
        return Path(settings.sync_blob_dir).expanduser()
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(f"{url.database}-sync-blobs")
    return Path(platformdirs.user_data_dir("lmgpa-server", appauthor=False)) / "sync-blobs"


def from_settings(settings: ServerSettings) -> BlobStore:
    """The store the settings ask for (a folder; an S3-compatible store would be chosen here)."""
    return FolderBlobStore(default_folder(settings))
