"""Backups of a profile: verified, compressed database copies plus a shared store of media content; restore."""

# A backup copies the live database with SQLite's backup API (a consistent snapshot; writers go on), checks the copy
# with PRAGMA integrity_check, zstd-compresses it and records the media files (backup_media.py). Files are written
# to temporary names and renamed once flushed; the manifest comes last, so only finished backups are listed. After
# each backup the rotation (backup_rotation.py) removes old ones, then store files no kept backup records.
# backup_store.py describes the folder's layout.

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import zstandard

from lmgpa_desktop import __version__, paths
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.jobs import Cancelled
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.core.safety import backup_media
from lmgpa_desktop.core.safety.backup_rotation import Policy, obsolete
from lmgpa_desktop.core.safety.backup_store import (
    FORMAT, PART, SUFFIX, FolderLock, compress, expand, legacy_files, manifest_path, new_id, parse_stamp,
    read_manifest, remove_with_journal, stamp, write_manifest,
)
from lmgpa_desktop.storage import db_copy, settings_repo
from lmgpa_desktop.storage.database import Database, StorageError
from lmgpa_desktop.storage.db_copy import fsync_dir, fsync_file

log = logging.getLogger(__name__)
REASONS = ("auto", "manual", "quit", "before-restore", "before-migration", "before-import")
__all__ = ["REASONS", "BackupInfo", "back_up", "list_backups", "move_damaged_aside", "newest_verified_backup",
           "restore_backup", "verify_backup"]


@dataclass(frozen=True)
class BackupInfo:
    """One backup as listed to the student."""

    id: str  # stable, sortable, filename-safe, e.g. "20261205-034127-auto"
    path: Path  # the backup's file (compressed database copy)
    created: datetime  # aware UTC
    reason: str  # one of REASONS
    size: int  # bytes on disk for this backup (not counting the shared media store)
    verified: bool | None  # integrity_check result when made or last verified; None = never checked
    media_files: int  # media files this backup records


# -- listing -----------------------------------------------------------------------------------------------------------

def _size(*files: Path) -> int:
    total = 0
    for f in files:
        try:
            total += f.stat().st_size
        except OSError:
            pass
    return total


def _reason_of(backup_id: str) -> str:
    """The reason written into an id ("<stamp>-<reason>[-n]"), for a backup whose manifest cannot be read."""
    rest = backup_id[16:]
    return next((r for r in sorted(REASONS, key=len, reverse=True) if rest.startswith(r)), "manual")


def _created_of(backup_id: str, fallback: Path) -> datetime:
    try:
        return parse_stamp(backup_id[:15])
    except ValueError:
        try:
            return datetime.fromtimestamp(fallback.stat().st_mtime, UTC)
        except OSError:
            return datetime.fromtimestamp(0, UTC)


def _scan(folder: Path) -> list[tuple[BackupInfo, dict | None]]:
    """Every backup in the folder with its manifest (None when missing or unreadable), newest first."""
    found: list[tuple[BackupInfo, dict | None]] = []
    claimed: set[str] = set()
    if not folder.is_dir():
        return found
    for path in folder.glob("*.json"):
        try:
            data = read_manifest(path)
        except FileNotFoundError:
            continue  # removed by a rotation since the folder was read
        except (OSError, ValueError) as exc:  # a damaged manifest: listed as a damaged backup
            log.warning("backup manifest %s cannot be read: %s", path, exc)
            backup_id = path.name[:-len(".json")]
            data_file = folder / f"{backup_id}{SUFFIX}"
            claimed.add(data_file.name)
            found.append((BackupInfo(backup_id, data_file, _created_of(backup_id, path), _reason_of(backup_id),
                                     _size(data_file, path), False, 0), None))
            continue
        data_file = folder / data["file"]
        claimed.add(data_file.name)
        legacy = not data_file.name.endswith(SUFFIX)
        if legacy and not data_file.exists():
            continue  # an older plain copy the migration step pruned (it keeps its newest few)
        try:
            created = datetime.fromisoformat(data["created"]).astimezone(UTC)
        except (KeyError, TypeError, ValueError):
            created = _created_of(data["id"], path)
        verified = data.get("verified") if data_file.exists() else False
        found.append((BackupInfo(data["id"], data_file, created, str(data.get("reason", "manual")),
                                 _size(data_file, path), verified if verified in (True, False) else None,
                                 len(data.get("media") or [])), data))
    for name, (reason, created) in legacy_files(folder).items():
        if name not in claimed:
            data_file = folder / name
            found.append((BackupInfo(f"{stamp(created)}-{reason}", data_file, created, reason, _size(data_file),
                                     None, 0), None))
    found.sort(key=lambda item: (item[0].created, item[0].id), reverse=True)
    return found


def list_backups(home: Path) -> list[BackupInfo]:
    """Every backup, newest first; a damaged one is listed with verified=False (never raises)."""
    try:
        return [info for info, _ in _scan(paths.backups_dir(Path(home)))]
    except Exception:  # noqa: BLE001 - listing is how the student finds a way out: it must not fail
        log.exception("listing the backups of %s failed", home)
        return []


def _find(folder: Path, backup_id: str) -> tuple[BackupInfo, dict | None]:
    for info, data in _scan(folder):
        if info.id == backup_id:
            return info, data
    raise UserError(f"There is no backup {backup_id!r}; `lmgpa backup list` shows them.")


# -- backing up --------------------------------------------------------------------------------------------------------

def _cancel_check(cancel: threading.Event | None):
    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()
    return cancelled


def _previous_media(scanned: list[tuple[BackupInfo, dict | None]]) -> dict[str, dict]:
    """The newest backup's media records by path (their size and mtime spare re-reading unchanged files)."""
    for _info, data in scanned:
        if data and isinstance(data.get("media"), list) and data.get("file", "").endswith(SUFFIX):
            return {rec["path"]: rec for rec in data["media"] if isinstance(rec, dict) and "path" in rec}
    return {}


def _scaled(gen: Generator[Progress, None, object], start: float, end: float):
    """Re-yield a sub-step's progress within [start, end] of a 0-100 scale; returns its value."""
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            return stop.value
        yield Progress(start + (end - start) * (p.fraction or 0.0), 100, p.message)


def _make(db: Database, home: Path, folder: Path, reason: str,
          cancel: threading.Event | None) -> Generator[Progress, None, BackupInfo]:
    """Make one backup (the caller holds the folder's lock); nothing is listed unless it is complete."""
    cancelled = _cancel_check(cancel)
    scanned = _scan(folder)
    created = datetime.now(UTC)
    backup_id = new_id(folder, created, reason, {info.id for info, _ in scanned})
    data_file, manifest = folder / f"{backup_id}{SUFFIX}", folder / f"{backup_id}.json"
    tmp_db, tmp_zst = folder / f".{backup_id}.sqlite3{PART}", folder / f".{data_file.name}{PART}"
    finished = False
    try:
        with disk_space.plain_errors(folder, "back up your data"):
            # The copy and its compressed form are on the disk together for a moment.
            disk_space.ensure_free(folder, int(_size(db.path, Path(f"{db.path}-wal")) * 1.4), "back up your data")
            yield Progress(0, 100, "copying the database")
            db.backup_to(tmp_db)
            if cancelled():
                raise Cancelled
            yield Progress(25, 100, "checking the copy")
            problems = db_copy.integrity_check(tmp_db)
            if problems:
                raise UserError(f"No backup was made: the copy of your database failed SQLite's integrity check "
                                f"({problems[0]}), so the database itself may be damaged. Earlier backups are kept; "
                                "`lmgpa check` checks the database.")
            yield Progress(45, 100, "compressing the copy")
            db_bytes, db_sha = compress(tmp_db, tmp_zst, cancelled)
            remove_with_journal(tmp_db)
            fsync_file(tmp_zst)
            os.replace(tmp_zst, data_file)
            yield Progress(60, 100, "recording media files")
            media = yield from _scaled(backup_media.record(paths.media_dir(home), folder, _previous_media(scanned),
                                                           cancelled), 60, 98)
            now = datetime.now(UTC).isoformat()
            write_manifest(manifest, {
                "format": FORMAT, "id": backup_id, "file": data_file.name, "reason": reason,
                "created": created.isoformat(), "app_version": __version__,
                "database": {"bytes": db_bytes, "sha256": db_sha, "compressed_bytes": data_file.stat().st_size},
                "verified": True, "verified_at": now, "problems": [], "media": media,
            })
            finished = True
    except InterruptedError as exc:  # the compression or the media copy saw the cancel
        raise Cancelled from exc
    finally:
        remove_with_journal(tmp_db)
        tmp_zst.unlink(missing_ok=True)
        if not finished:
            data_file.unlink(missing_ok=True)
    info = BackupInfo(backup_id, data_file, created, reason, _size(data_file, manifest), True, len(media))
    log.info("backed up %s to %s (%s bytes, %d media files)", db.path, data_file, info.size, len(media))
    return info


def _rotate(folder: Path, policy: Policy) -> list[str]:
    """Remove the backups the policy no longer keeps, then the store files no kept backup records; their ids."""
    scanned = _scan(folder)
    ours = [(info, data) for info, data in scanned if info.path.name.endswith(SUFFIX) and data is not None]
    drop = obsolete(((info.id, info.created, info.reason) for info, _ in ours), policy)
    for info, _ in ours:
        if info.id in drop:
            manifest_path(folder, info.path.name).unlink(missing_ok=True)  # unlisted first, then its file
            info.path.unlink(missing_ok=True)
    for leftover in folder.glob(f".*{PART}"):
        remove_with_journal(leftover)  # from a backup cut short by a crash (we hold the lock: none is running)
    if any(data is None and info.path.name.endswith(SUFFIX) for info, data in scanned):
        log.warning("a backup manifest in %s cannot be read: media files are not swept", folder)
        return sorted(drop)
    keep = {rec.get("sha256") for info, data in ours if info.id not in drop
            for rec in (data.get("media") or []) if isinstance(rec, dict)}
    removed = backup_media.sweep(folder, {k for k in keep if isinstance(k, str)})
    if drop or removed:
        log.info("backup rotation removed %d backup(s) and %d media store file(s)", len(drop), removed)
    return sorted(drop)


def back_up(db: Database, home: Path, reason: str = "manual",
            cancel: threading.Event | None = None) -> Generator[Progress, None, BackupInfo]:
    """Copy, verify and compress the database, record the media; yields Progress, returns the new BackupInfo.

    A full disk raises disk_space.DiskFull (a UserError with the plain message) and leaves no partial backup.
    """
    if reason not in REASONS:
        raise ValueError(f"unknown backup reason {reason!r}; one of {REASONS}")
    folder = paths.backups_dir(Path(home))
    with FolderLock(folder):
        info = yield from _make(db, Path(home), folder, reason, cancel)
        try:
            _rotate(folder, Policy.from_settings(settings_repo.load_all(db)))
        except Exception:  # noqa: BLE001 - the backup is made; a rotation problem must not undo that
            log.exception("backup rotation in %s failed", folder)
    yield Progress(100, 100, f"backed up ({info.id})")
    return info


# -- checking ----------------------------------------------------------------------------------------------------------

def _expand_checked(folder: Path, info: BackupInfo, data: dict | None, target: Path) -> list[str]:
    """Write the backup's database to target and check it: SHA-256 against the manifest, then integrity_check."""
    try:
        _size_unused, sha = expand(info.path, target)
    except FileNotFoundError:
        return ["the backup file is missing"]
    except zstandard.ZstdError as exc:
        return [f"the compressed file is damaged ({exc})"]
    expected = (data or {}).get("database", {}).get("sha256")
    if expected and sha != expected:
        return ["the database in the backup does not match the SHA-256 recorded when it was made"]
    try:
        return db_copy.integrity_check(target)
    except StorageError as exc:
        return [str(exc)]


def _record_check(folder: Path, info: BackupInfo, data: dict | None, problems: list[str]) -> None:
    """Write a check's result into the backup's manifest (an older plain copy gets one beside it)."""
    if data is None:
        if info.path.name.endswith(SUFFIX):
            return  # its manifest is damaged: rewriting it would lose the media records it may still hold
        data = {"format": FORMAT, "id": info.id, "file": info.path.name, "reason": info.reason,
                "created": info.created.isoformat(), "media": []}
    data = {**data, "verified": not problems, "verified_at": datetime.now(UTC).isoformat(), "problems": problems[:20]}
    write_manifest(manifest_path(folder, info.path.name), data)


def verify_backup(home: Path, backup_id: str) -> BackupInfo:
    """integrity_check on a decompressed temporary copy; records and returns the result."""
    folder = paths.backups_dir(Path(home))
    with FolderLock(folder):
        info, data = _find(folder, backup_id)
        tmp = folder / f".verify-{backup_id}.sqlite3{PART}"
        try:
            with disk_space.plain_errors(folder, "check the backup"):
                problems = _expand_checked(folder, info, data, tmp)
                if data is None and info.path.name.endswith(SUFFIX):
                    problems = problems or ["its manifest (the list of what it holds) is damaged"]
                _record_check(folder, info, data, problems)
        finally:
            remove_with_journal(tmp)
        if problems:
            log.warning("backup %s failed its check: %s", backup_id, "; ".join(problems[:3]))
        return _find(folder, backup_id)[0]


def newest_verified_backup(home: Path) -> BackupInfo | None:
    """The newest backup that passes integrity_check now (each candidate is checked again), or None."""
    for info in list_backups(home):
        if info.verified is False:
            continue
        try:
            checked = verify_backup(home, info.id)
        except UserError:
            continue
        if checked.verified:
            return checked
    return None


# -- restoring ---------------------------------------------------------------------------------------------------------

def move_damaged_aside(home: Path) -> Path:
    """Move lmgpa.sqlite3 (+ -wal/-shm/-journal) untouched into home/damaged/<stamp>/; returns that folder."""
    home = Path(home)
    db_path = paths.database_path(home)
    base = home / "damaged" / stamp(datetime.now(UTC))
    target, n = base, 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    target.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm", "-journal"):  # the journal files belong to the file: they move with it
        path = Path(f"{db_path}{suffix}")
        if path.exists():
            os.replace(path, target / path.name)
    fsync_dir(target)
    fsync_dir(home)
    log.warning("moved the damaged database %s aside to %s", db_path, target)
    return target


IN_USE_WAIT_S = 5.0  # a closing profile's pages and workers hand their connections back within this


def _in_use_error(db_path: Path) -> UserError:
    return UserError(f"{db_path} is open in Little Monster GPA or another lmgpa command: close it, then restore.")


def _save_current(home: Path, folder: Path, cancel) -> Generator[Progress, None, str]:
    """Keep the current database before it is replaced: a backup when sound, else moved aside; says which."""
    db_path = paths.database_path(home)
    strays = [Path(f"{db_path}{s}") for s in ("-wal", "-shm", "-journal") if Path(f"{db_path}{s}").exists()]
    if not db_path.exists():
        if strays:  # journal files of a database that is gone would be replayed onto the restored one
            return f"moved leftover journal files to {move_damaged_aside(home)}"
        return "there was no database to keep"
    try:
        problems = db_copy.quick_check(db_path)
    except StorageError as exc:
        problems = [str(exc)]
    if problems:
        return f"the current database failed its check and was moved to {move_damaged_aside(home)}"
    if db_copy.in_use(db_path, wait_s=IN_USE_WAIT_S):
        raise _in_use_error(db_path)
    db = Database(db_path)
    try:
        kept = yield from _scaled(_make(db, home, folder, "before-restore", cancel), 0, 100)
    finally:
        db.dispose()
    return f"the current database was backed up first ({kept.id})"


def restore_backup(home: Path, backup_id: str,
                   cancel: threading.Event | None = None) -> Generator[Progress, None, Path]:
    """Put a backup back in place of the (closed) profile's database; returns the database path.

    First keeps the current database (a "before-restore" backup when it passes quick_check, else moved aside with
    move_damaged_aside), checks the backup, renames its database into place and copies back the media files it
    records that are missing. Never deletes anything.
    """
    home = Path(home)
    folder, db_path = paths.backups_dir(home), paths.database_path(home)
    cancelled = _cancel_check(cancel)
    with FolderLock(folder):
        info, data = _find(folder, backup_id)
        tmp = home / f".{db_path.name}.restoring{PART}"
        try:
            with disk_space.plain_errors(home, "restore the backup"):
                yield Progress(0, 100, f"checking backup {backup_id}")
                problems = _expand_checked(folder, info, data, tmp)
                _record_check(folder, info, data, problems)
                if problems:
                    raise UserError(f"Backup {backup_id} is damaged ({problems[0]}), so it was not restored; choose "
                                    "another backup. Nothing was changed.")
                if cancelled():
                    raise Cancelled
                yield Progress(30, 100, "keeping the current database")
                kept = yield from _scaled(_save_current(home, folder, cancel), 30, 80)
                if cancelled():
                    raise Cancelled
                if db_path.exists() and db_copy.in_use(db_path, wait_s=IN_USE_WAIT_S):
                    raise _in_use_error(db_path)
                yield Progress(80, 100, "putting the backup in place")
                fsync_file(tmp)
                os.replace(tmp, db_path)
                fsync_dir(home)
                log.warning("restored backup %s into %s; %s", backup_id, db_path, kept)
                yield Progress(90, 100, "putting back missing media files")
                put, unavailable = backup_media.put_back((data or {}).get("media") or [], paths.media_dir(home),
                                                         folder)
        finally:
            remove_with_journal(tmp)
    if unavailable:
        log.warning("restore of %s: %d media file(s) not in the store: %s", backup_id, len(unavailable),
                    ", ".join(unavailable[:5]))
    yield Progress(100, 100, f"restored {backup_id}; {kept}; {put} media file(s) put back")
    return db_path
