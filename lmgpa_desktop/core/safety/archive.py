"""Move or archive everything: one portable file with the database (settings included) and every media file, and back."""

# export_all snapshots the live database through SQLite's backup API (the app keeps running), packs it with every file
# under media/ into a zip (archive_format.py) and writes the manifest last; the file appears under its name only when
# complete. import_all treats the archive as hostile: it checks every name, kind and size before writing a byte,
# unpacks into a temporary folder beside (or inside an empty) target, verifies each member's SHA-256, checks the
# database is ours and sound, migrates an older schema with the start-up's own migration (backed up first), rewrites
# the absolute media paths the rows hold to the new folder, and only then moves it into place. On any failure the
# temporary folder is removed: there is never a half profile.

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import stat
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop import __version__, paths
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core.jobs import Cancelled, JobRun, job_kind
from lmgpa_desktop.core.safety import archive_format as fmt
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.core.safety import integrity
from lmgpa_desktop.core.safety.archive_format import ArchiveError, Member
from lmgpa_desktop.storage import archive_db, db_copy, jobs_repo, migrate, recordings_repo
from lmgpa_desktop.storage.database import Database, StorageError
from lmgpa_desktop.storage.sync import outbox_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)
__all__ = ["ArchiveCancelled", "ArchiveError", "export_all", "import_all"]

EXPORT_KIND = "archive.export"
CHUNK = 1 << 20
REPORT_EVERY = 4 << 20  # bytes between progress reports (and cancel checks that end a job)
WORK_PREFIX = ".importing-"
RESERVE = 64 << 20  # room an import leaves: the database grows a little while migrating, and logs need some
ZIP64_FROM = 1 << 30


class ArchiveCancelled(UserError):
    """The student cancelled an export or import; nothing was kept."""


class _Meter:
    """Counts bytes and hands out a Progress report every REPORT_EVERY bytes."""

    def __init__(self, total: int, verb: str):
        self.total, self.verb, self.done, self._next = total, verb, 0, REPORT_EVERY

    def add(self, count: int, name: str) -> Progress | None:
        self.done += count
        if self.done < self._next:
            return None
        self._next = self.done + REPORT_EVERY
        return Progress(self.done, self.total, f"{self.verb} {name}")


# ---- export ---------------------------------------------------------------------------------------------------------


def export_all(ctx: AppContext, target: Path, cancel: threading.Event | None = None, overwrite: bool = False):
    """Write the whole profile to one archive at target (generator yielding Progress; returns the archive's Path)."""
    target = Path(target).expanduser().absolute()
    media = paths.media_dir(ctx.home)
    if _within(target, media):
        raise UserError(f"Save the archive outside the profile's media folder ({media}): it would hold itself.")
    if target.is_dir():
        raise UserError(f"{target} is a folder; give the archive a file name.")
    if target.exists() and not overwrite:
        raise UserError(f"{target} already exists; choose another name (nothing was written).")
    if not target.parent.is_dir():
        raise UserError(f"The folder {target.parent} does not exist.")
    files, skipped = _media_files(media)
    db_bytes = sum(p.stat().st_size for p in _database_files(ctx.db.path))
    content = db_bytes + sum(size for _, _, size in files)
    needed = content + db_bytes  # the database snapshot waits beside the archive until it is packed
    disk_space.ensure_free(target.parent, needed, "export everything")
    stamp = uuid.uuid4().hex[:8]
    part = target.with_name(f".{target.name}.{stamp}.part")
    snapshot = target.with_name(f".{target.name}.{stamp}.sqlite3")
    meter = _Meter(content, "packing")
    try:
        with disk_space.plain_errors(target.parent, "export everything", needed):
            yield Progress(0, content, "copying the database")
            ctx.db.backup_to(snapshot)  # one step: a stepwise copy restarts on every write
            if cancel is not None and cancel.is_set():
                raise ArchiveCancelled("Export cancelled; nothing was written.")
            revision = archive_db.schema_revision(snapshot)
            members: list[Member] = []
            with zipfile.ZipFile(part, "x", allowZip64=True) as zf:
                snap_size = snapshot.stat().st_size
                meter.total += snap_size - db_bytes  # the snapshot, not the live file and its WAL, is packed
                members.append((yield from _pack(zf, snapshot, fmt.DATABASE, snap_size, meter, cancel)))
                snapshot.unlink()
                for path, name, size in files:
                    try:
                        members.append((yield from _pack(zf, path, name, size, meter, cancel)))
                    except FileNotFoundError:  # deleted (emptied from the trash) while we packed: not in the snapshot
                        log.info("export: %s disappeared while packing", path)
                zf.writestr(fmt.MANIFEST, fmt.manifest_json(
                    members, app_version=__version__, created=datetime.now(UTC).isoformat(timespec="seconds"),
                    schema_revision=revision, home=str(ctx.home),
                    media_roots=sorted({str(media), os.path.realpath(media)}),
                    settings="in the database (table settings)", skipped=skipped), zipfile.ZIP_DEFLATED)
            yield Progress(meter.total, meter.total, f"saving {target.name}")  # the last chance to cancel
            db_copy.fsync_file(part)
            os.replace(part, target)
            db_copy.fsync_dir(target.parent)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        snapshot.unlink(missing_ok=True)
    if skipped:
        log.warning("export: %d media files with names no archive can hold were left out: %s", len(skipped),
                    skipped[:5])
    log.info("exported the profile %s to %s (%d members)", ctx.home, target, len(members))
    return target


def _pack(zf: zipfile.ZipFile, src: Path, name: str, size: int, meter: _Meter,
          cancel: threading.Event | None) -> Iterator[Progress]:
    """Add one file (at most the size it had when listed) and return its Member with the SHA-256 of what was packed."""
    info = zipfile.ZipInfo(name, date_time=_zip_time(src))
    info.compress_type = fmt.compression_for(name)
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    digest, written = hashlib.sha256(), 0
    with src.open("rb") as f, zf.open(info, "w", force_zip64=size >= ZIP64_FROM) as out:
        while written < size:  # a recording still being written grows: keep what it had when listed
            block = f.read(min(CHUNK, size - written))
            if not block:
                break
            out.write(block)
            digest.update(block)
            written += len(block)
            if cancel is not None and cancel.is_set():
                raise ArchiveCancelled("Export cancelled; nothing was written.")
            report = meter.add(len(block), name)
            if report is not None:
                yield report
    return Member(name, written, digest.hexdigest())


def _zip_time(path: Path) -> tuple:
    """The file's modification time as zip stores it (zip holds years 1980 to 2107)."""
    moment = datetime.fromtimestamp(min(max(path.stat().st_mtime, 315532800 + 86400), 4102444800))
    return moment.timetuple()[:6]


def _media_files(media: Path) -> tuple[list[tuple[Path, str, int]], list[str]]:
    """(path, member name, size) of every plain file under media/, and the names no archive member can have."""
    files, skipped = [], []
    if not media.is_dir():
        return files, skipped
    for root, dirs, names in os.walk(media):  # links to folders are not followed
        dirs.sort()
        for entry in sorted(names):
            path = Path(root) / entry
            try:
                info = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):  # links, sockets
                continue
            name = f"{fmt.MEDIA}/{path.relative_to(media).as_posix()}"
            try:
                name.encode("utf-8")
                fmt.name_parts(name)
            except (UnicodeEncodeError, ArchiveError):
                skipped.append(name.encode("utf-8", "replace").decode("utf-8"))
                continue
            files.append((path, name, info.st_size))
    return files, skipped


def _database_files(db_path: Path) -> list[Path]:
    """The database file and its WAL, as far as they exist."""
    return [p for p in (db_path, Path(f"{db_path}-wal")) if p.exists()]


@job_kind(EXPORT_KIND, queue="archive", max_attempts=1)
def export_job(run: JobRun, payload: dict):
    """Export everything to payload["path"] (payload["overwrite"]: replace a file the student chose to replace)."""
    started = time.monotonic()
    try:
        path = yield from export_all(run.services, Path(payload["path"]), run.cancel_event,
                                     overwrite=bool(payload.get("overwrite")))
    except ArchiveCancelled:
        raise Cancelled from None
    except UserError as exc:
        raise JobError(str(exc)) from exc
    size = path.stat().st_size
    run.log(f"saved everything to {path}")
    return {"path": str(path), "size": size, "seconds": round(time.monotonic() - started, 2)}


# ---- import ---------------------------------------------------------------------------------------------------------


def import_all(archive: Path, home: Path | None = None, cancel: threading.Event | None = None):
    """Restore an archive into a new profile folder (generator yielding Progress; returns the folder's Path).

    home defaults to the configured data folder; it must not exist yet or be empty. Raises ArchiveError (a UserError)
    for anything that is not a sound archive of ours, DiskFull when it would not fit, ArchiveCancelled on cancel.
    """
    archive = Path(archive).expanduser().absolute()
    home = Path(home).expanduser().absolute() if home else paths.data_dir()
    check_target(home)
    try:
        zf = zipfile.ZipFile(archive)
    except FileNotFoundError:
        raise UserError(f"{archive} does not exist.") from None
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ArchiveError(f"{archive.name} is not a Little Monster GPA archive, or it is damaged or incomplete "
                           f"(was it copied completely?): {exc}") from exc
    except OSError as exc:
        raise UserError(f"cannot read {archive}: {exc.strerror or exc}") from exc
    with zf:
        manifest = fmt.read_manifest(zf)
        pairs = fmt.check_members(zf, manifest)
        declared = sum(member.size for _, member in pairs)
        fmt.check_size(declared, archive.stat().st_size, disk_space.free_bytes(home), RESERVE)
        work = _work_folder(home)
        try:
            with disk_space.plain_errors(work, "import this archive", declared + RESERVE):
                yield from _unpack(zf, pairs, work, declared, cancel)
                yield Progress(declared, declared, "checking the database")
                _stop_if_cancelled(cancel)
                _check_database(paths.database_path(work))
                yield Progress(declared, declared, "moving the file paths to this folder")
                _stop_if_cancelled(cancel)
                _open_and_relocate(work, home, manifest, [member.name for _, member in pairs])
                _move_into_place(work, home)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    log.info("imported %s into the new profile %s (%d members)", archive, home, len(pairs))
    yield Progress(declared, declared, f"imported into {home}")
    return home


def holds_profile(home: Path) -> bool:
    """Whether a folder already holds a profile's database."""
    db = paths.database_path(home)
    return any(Path(f"{db}{suffix}").exists() for suffix in ("", "-wal", "-journal"))


def check_target(home: Path) -> None:
    """UserError unless home is a new or empty folder (a logs folder the CLI made there is allowed)."""
    if home.exists() and not home.is_dir():
        raise UserError(f"{home} is a file; choose a folder for the imported profile.")
    if holds_profile(home):
        raise UserError(f"{home} already holds a Little Monster GPA profile; import into a new or empty folder "
                        "(an import never replaces a profile).")
    if home.is_dir():
        others = [p.name for p in home.iterdir() if p.name != "logs" and not p.name.startswith(WORK_PREFIX)]
        if others:
            raise UserError(f"{home} is not empty; choose a new or empty folder for the imported profile.")


def _work_folder(home: Path) -> Path:
    """A fresh folder on the target's disk to unpack into: inside home when it exists (empty), else beside it."""
    name = f"{WORK_PREFIX}{uuid.uuid4().hex[:8]}"
    if home.is_dir():
        work = home / name
    else:
        home.parent.mkdir(parents=True, exist_ok=True)
        work = home.parent / f".{home.name}{name}"
    work.mkdir()
    return work


def _unpack(zf: zipfile.ZipFile, pairs: list[tuple[zipfile.ZipInfo, Member]], work: Path, declared: int,
            cancel: threading.Event | None):
    """Write each member under work, checking its size and SHA-256 against the manifest as it streams."""
    meter = _Meter(declared, "unpacking")
    root = work.resolve()
    for info, member in pairs:
        target = _member_path(work, member.name)
        if not _within(target.resolve(), root):  # cannot happen after name_parts; a second lock on the same door
            raise ArchiveError(f"{member.name!r} would be written outside the new profile; nothing was imported")
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        digest, size = hashlib.sha256(), 0
        src = fmt.reading(member.name, lambda: zf.open(info))
        with src, os.fdopen(os.open(target, flags, 0o644), "wb") as out:
            while block := fmt.reading(member.name, lambda: src.read(CHUNK)):
                size += len(block)
                if size > member.size:
                    raise ArchiveError(f"{member.name!r} is larger than the archive says; it is not ours")
                digest.update(block)
                out.write(block)
                _stop_if_cancelled(cancel)
                report = meter.add(len(block), member.name)
                if report is not None:
                    yield report
            out.flush()
            os.fsync(out.fileno())
        if size != member.size or digest.hexdigest() != member.sha256:
            raise ArchiveError(f"{member.name!r} does not match its checksum: the archive is damaged; nothing was "
                               "imported")


def _stop_if_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ArchiveCancelled("Import cancelled; nothing was kept.")


def _member_path(work: Path, name: str) -> Path:
    """Where a member goes in the new profile."""
    parts = fmt.name_parts(name)
    if name == fmt.DATABASE:
        return paths.database_path(work)
    return paths.media_dir(work).joinpath(*parts[1:])


def _check_database(db_path: Path) -> None:
    """ArchiveError unless the unpacked database is ours, from a schema this app knows, and passes integrity_check."""
    try:
        revision = archive_db.schema_revision(db_path)
    except StorageError as exc:
        raise ArchiveError(f"the archive's database is not a Little Monster GPA database ({exc}); nothing was "
                           "imported") from exc
    if revision not in archive_db.known_revisions():
        raise ArchiveError(f"this archive was made by a newer version of Little Monster GPA (schema {revision}); "
                           "update the app, then import it")
    try:
        result = integrity.full_check(db_path)
    except StorageError as exc:
        raise ArchiveError(f"the archive's database cannot be checked ({exc}); nothing was imported") from exc
    if not result.ok:
        raise ArchiveError(f"the archive's database is damaged (SQLite's check found \"{result.problems[0]}\"); "
                           "nothing was imported")


def _open_and_relocate(work: Path, home: Path, manifest: dict, names: list[str]) -> None:
    """Open the unpacked database as a profile opens it (migrating an older schema, backed up first), point its media
    paths at home, and release the work the other computer was doing."""
    # Not core.context.open_context: that would point the running app's log at the new folder. Its database steps
    # are these two, the same code.
    try:
        db = Database(paths.database_path(work))
        try:
            migrate.upgrade(db, paths.backups_dir(work))
            changed, kept = archive_db.relocate_paths(db, relocator(manifest, names, paths.media_dir(home)))
            _release_running_work(db)
            archive_db.forget_scheduler_jobs(db)  # pickles: never loaded from an archive; remade at start
            # A computer of its own for sync: the old one may keep syncing, and two devices with one id would
            # stamp equal clocks. This one asks for the sync passphrase (its key is kept per device).
            outbox_repo.reset_device(db)
        finally:
            db.dispose()
    except StorageError as exc:
        raise ArchiveError(f"the archive's database could not be opened: {exc}") from exc
    if kept:
        log.warning("import: %d paths point outside the archive's media and were kept as they were, e.g. %s",
                    len(kept), kept[:3])
    log.info("import: %d media paths now point into %s", changed, paths.media_dir(home))


def relocator(manifest: dict, names: list[str], new_media: Path) -> Callable[[str], str | None]:
    """old path -> the same file under new_media, or None for a path outside the archived media folder."""
    roots = sorted({r.rstrip("/\\") for r in manifest.get("media_roots") or [] if isinstance(r, str)} - {""},
                   key=len, reverse=True)
    known: set[str] = set()  # "uuid/file.pdf" and "uuid": every file and folder the archive holds under media/
    for name in names:
        parts = name.split("/")
        if parts[0] == fmt.MEDIA:
            known.update("/".join(parts[1:i]) for i in range(2, len(parts) + 1))

    def relocate(old: str) -> str | None:
        for root in roots:
            if old == root:
                return str(new_media)
            if old.startswith(root) and old[len(root)] in "/\\":
                return _under(new_media, old[len(root) + 1:])
        # A folder copied by hand before the export kept paths to where it was: find the media/... they end with.
        parts = re.split(r"[\\/]", old)
        for i in range(len(parts) - 2, -1, -1):
            if parts[i] == fmt.MEDIA and "/".join(parts[i + 1:]) in known:
                return _under(new_media, "/".join(parts[i + 1:]))
        return None

    return relocate


def _under(folder: Path, rest: str) -> str | None:
    """folder/rest with either separator, or None when rest climbs out."""
    parts = [p for p in re.split(r"[\\/]", rest) if p not in ("", ".")]
    return None if ".." in parts else str(folder.joinpath(*parts))


def _release_running_work(db: Database) -> None:
    """Work the other computer was doing when the archive was made: jobs queue again, recordings can be recovered."""
    for job in jobs_repo.running(db):
        if job.kind == EXPORT_KIND:  # the export that made this archive finished over there
            jobs_repo.finish(db, job.id, "done", message="saved on the computer this profile came from")
        else:
            jobs_repo.requeue(db, job.id, "the profile moved to this computer", refund_attempt=True)
    for rec in recordings_repo.unfinished(db):
        if rec.owner:  # its process ran on the other computer: the next start recovers what was archived
            recordings_repo.update_recording(db, rec.id, owner=None)


def _move_into_place(work: Path, home: Path) -> None:
    """Make the unpacked profile the target: one rename, or (into an empty folder) entries with the database last."""
    if work.parent != home:
        os.rename(work, home)
        db_copy.fsync_dir(home.parent)
        return
    entries = sorted(work.iterdir(), key=lambda p: p.name == paths.database_path(work).name)
    moved: list[Path] = []
    try:
        for entry in entries:
            os.rename(entry, home / entry.name)
            moved.append(entry)
    except OSError:
        for entry in reversed(moved):
            os.rename(home / entry.name, entry)
        raise
    work.rmdir()
    db_copy.fsync_dir(home)


def _within(path: Path, folder: Path) -> bool:
    """Whether path is folder or inside it (both made absolute, links resolved)."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
        return True
    except ValueError:
        return False
