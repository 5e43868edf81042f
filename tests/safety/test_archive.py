"""Move or archive everything: a real profile (document, recording, audio, Anki deck with media, reviews, settings)
goes through `export-all` and `import-all` into another data folder intact, and hostile or cut archives are refused
with one clear error, writing nothing outside the new profile and leaving no half profile."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import struct
import tarfile
import threading
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from support import ROOT, SHARED
from lmgpa_desktop import paths
from lmgpa_desktop.cli import main
from lmgpa_desktop.core.capture import media_import
from lmgpa_desktop.core.capture.recorder import Recorder
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.progress import gamification
from lmgpa_desktop.core.safety import archive
from lmgpa_desktop.core.safety.archive import ArchiveCancelled, ArchiveError, export_all, import_all
from lmgpa_desktop.core.disk_space import DiskFull
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.study.anki import importing as anki_import
from lmgpa_desktop.engines import audio_decode
from lmgpa_desktop.storage import archive_db, cards_repo, migrate, review_logs_repo, scheduler_store, sources_repo
from lmgpa_desktop.storage.base import Base
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.sync import outbox_repo
from virtual_mic import FileStream


def drain(steps):
    """Run a core generator to its end; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def path_values(db: Database) -> list[tuple[str, int, str]]:
    """Every media path the rows hold."""
    out = []
    with db.read() as s:
        for what, model, column in archive_db.PATH_COLUMNS:
            out += [(what, i, p) for i, p in s.execute(select(model.id, column).where(column.is_not(None)))]
    return out


def row_counts(db: Database) -> dict[str, int]:
    with db.read() as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables}


def listing(folder: Path) -> set[str]:
    """Everything under folder, as relative paths (to show an import wrote nothing there)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def fill_profile(ctx, shared, tmp_path) -> dict:
    """A student's term in small: a PDF, a recording with a photo, an audio file, two Anki decks (one with a sound,
    one with review history), a card rated here, and changed settings. Returns what the test checks afterwards."""
    done = ctx.jobs.run_now(ctx.jobs.submit("import.document", {"path": str(ROOT / "resources" / "samples" /
                                                                             "sample_handout.pdf")}))
    assert done.state == "done", done.error
    media_import.import_media(ctx, shared / "audio" / "2412-153948-0000.flac")
    anki_import.import_file(ctx, shared / "anki" / "anki-pylib" / "media.apkg")
    anki_import.import_file(ctx, shared / "anki" / "ankipandas" / "collection.anki2")
    testing = cards_repo.deck_named(ctx.db, "Testing")
    review.answer(ctx, review.next_card(ctx, testing.id).id, 3)
    ctx.settings.set("review.retention", 0.85)
    ctx.settings.set("ui.theme", "dark")

    # A lecture recorded through the real recorder (a file stands in for the microphone), stopped but not yet saved:
    # its segments and photo are rows with absolute paths, and its finalize job waits in the queue.
    audio = audio_decode.decode_all(shared / "audio" / "2412-153948-0000.flac")[: 5 * 16_000]
    samples = np.round(audio * 32768).clip(-32768, 32767).astype(np.int16).reshape(-1, 1)
    stream = FileStream(samples, 16_000)
    rec = Recorder(ctx, title="moved lecture", open_stream=stream.open)
    rec.segment_s = 2.0
    rec.watchdog_s = 3600.0
    photo = tmp_path / "board.png"
    shutil.copyfile(shared / "ocr" / "phototest-rotated-L.png", photo)
    rec.start()
    stream.feed(3 * 16_000)
    rec.attach_photo(photo)
    stream.feed(len(samples))
    rec.stop()
    gamification.drain(ctx)  # points and achievements are judged on a worker: all of them before the snapshot
    return {"finalize_job": rec.finalize_job_id, "recording_source": rec.source_id, "frames": len(samples)}


def test_a_profile_moves_to_another_data_folder_with_everything(ctx, home, shared, tmp_path, monkeypatch):
    facts = fill_profile(ctx, shared, tmp_path)
    archive_path = tmp_path / "everything.zip"
    assert drain(export_all(ctx, archive_path)) == archive_path
    before_counts, before_logs = row_counts(ctx.db), review_logs_repo.review_logs(ctx.db)
    old_device = outbox_repo.device_id(ctx.db)
    before_settings = {k: ctx.settings.get(k) for k in ("review.retention", "ui.theme")}
    before_sources = {s.id: s for s in sources_repo.listing(ctx.db)}
    assert {s.kind for s in before_sources.values()} == {"pdf", "audio", "recording"}
    with zipfile.ZipFile(archive_path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        for entry in manifest["members"]:  # the manifest's hashes are those of what is in the archive
            assert hashlib.sha256(zf.read(entry["name"])).hexdigest() == entry["sha256"]
    assert manifest["format_version"] == 1 and manifest["app_version"] and manifest["schema_revision"] == migrate.HEAD
    media_names = {e["name"] for e in manifest["members"]} - {"database.sqlite3"}
    assert media_names == {"media/" + p.relative_to(paths.media_dir(home)).as_posix()
                           for p in paths.media_dir(home).rglob("*") if p.is_file()}
    ctx.close()

    # "Another computer": a different LMGPA_HOME, and the old folder gone.
    laptop = tmp_path / "new-laptop" / "lmgpa"
    monkeypatch.setenv("LMGPA_HOME", str(laptop))
    old_home = home.rename(tmp_path / "old-laptop-gone")
    assert drain(import_all(archive_path)) == laptop
    assert sorted(p.name for p in laptop.parent.iterdir()) == ["lmgpa"]  # no temporary folder left beside it
    moved = open_app(laptop)
    try:
        assert row_counts(moved.db) == before_counts
        assert review_logs_repo.review_logs(moved.db) == before_logs
        assert outbox_repo.device_id(moved.db) != old_device  # a computer of its own for sync
        assert {k: moved.settings.get(k) for k in before_settings} == before_settings
        values = path_values(moved.db)
        assert {what for what, _, _ in values} == {"source", "recording folder", "recording segment", "photo",
                                                    "deck media folder"}
        for what, row_id, value in values:
            assert Path(value).is_relative_to(paths.media_dir(laptop)), (what, row_id, value)
            assert Path(value).exists(), (what, row_id, value)
            assert str(home) not in value and str(old_home) not in value
        for source_id, before in before_sources.items():
            after = sources_repo.get(moved.db, source_id)
            assert after.title == before.title and after.sha256 == before.sha256
            if after.stored_path and after.kind != "recording":
                assert media_import.sha256_of(Path(after.stored_path)) == before.sha256
        # The Anki card still finds its sound, and the recording is saved from its moved segments.
        deck = cards_repo.deck_named(moved.db, "Default")
        faces = review.faces(moved, cards_repo.cards_of_deck(moved.db, deck.id)[0])
        assert (Path(faces.media_dir) / "foo.wav").is_file()
        final = moved.jobs.run_now(facts["finalize_job"])
        assert final.state == "done", final.error
        assert Path(final.result["path"]).is_relative_to(laptop)
        assert archive_db.schema_revision(paths.database_path(laptop)) == migrate.HEAD
    finally:
        moved.close()
    # A second import into the same folder is refused and leaves it as it was.
    kept = listing(laptop)
    with pytest.raises(UserError, match="already holds a Little Monster GPA profile"):
        drain(import_all(archive_path, laptop))
    assert listing(laptop) == kept


# ---- one small archive, made once, to tamper with ------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory, migrated_database) -> Path:
    folder = tmp_path_factory.mktemp("small_archive")
    home = folder / "home"
    home.mkdir()
    shutil.copyfile(migrated_database, paths.database_path(home))
    ctx = open_app(home)
    try:
        anki_import.import_file(ctx, SHARED / "anki" / "anki-pylib" / "media.apkg")
        media_import.import_media(ctx, SHARED / "audio" / "2412-153948-0000.flac")
        return drain(export_all(ctx, folder / "small.zip"))
    finally:
        ctx.close()


def _info(name: str, mode: int = stat.S_IFREG | 0o644, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
    info.create_system, info.external_attr, info.compress_type = 3, mode << 16, compress
    return info


def repack(src: Path, dst: Path, *, drop=(), extra=(), replace=None, fix_manifest=True, manifest_edit=None) -> Path:
    """Copy an archive with changes; its manifest is rewritten to match (sizes, hashes) unless fix_manifest=False."""
    replace = replace or {}
    with zipfile.ZipFile(src) as zin:
        manifest = json.loads(zin.read("manifest.json"))
        entries = [(_info(i.filename, compress=i.compress_type), replace.get(i.filename, zin.read(i)))
                   for i in zin.infolist() if i.filename != "manifest.json" and i.filename not in drop]
    entries += [(item if isinstance(item, zipfile.ZipInfo) else _info(item), data) for item, data in extra]
    if fix_manifest:
        manifest["members"] = [{"name": i.filename, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                               for i, d in entries]
    if manifest_edit:
        manifest_edit(manifest)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": that is the point of one case
        with zipfile.ZipFile(dst, "w") as zout:
            for info, data in entries:
                zout.writestr(info, data)
            zout.writestr("manifest.json", json.dumps(manifest))
    return dst


def _database_with(small_archive: Path, tmp_path: Path, change) -> bytes:
    """The archive's database after change(sqlite3 connection)."""
    import sqlean

    db = tmp_path / "db.sqlite3"
    with zipfile.ZipFile(small_archive) as zf:
        db.write_bytes(zf.read("database.sqlite3"))
    conn = sqlean.connect(str(db))
    change(conn)
    conn.commit()
    conn.close()
    return db.read_bytes()


def _bomb(src: Path, dst: Path) -> Path:
    """A member of 1 MB of zeros whose header claims 3.75 GB (the manifest agrees): a decompression bomb's shape."""
    claimed = 0xF0000000
    repack(src, dst, extra=[("media/bomb/zeros.bin", bytes(1 << 20))],
           manifest_edit=lambda m: [e.update(size=claimed) for e in m["members"] if e["name"].endswith("zeros.bin")])
    data = bytearray(dst.read_bytes())
    name = b"media/bomb/zeros.bin"
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46: at + 46 + length] == name:
            struct.pack_into("<I", data, at + 24, claimed)  # uncompressed size in the central directory
        at = data.find(b"PK\x01\x02", at + 4)
    dst.write_bytes(bytes(data))
    return dst


def _not_a_zip_with_links(src: Path, dst: Path) -> Path:
    """A tar holding a hard link and a symlink to /etc/passwd (the classic escapes)."""
    with tarfile.open(dst, "w") as tar:
        for kind, name in ((tarfile.LNKTYPE, "media/hard"), (tarfile.SYMTYPE, "media/soft")):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            tar.addfile(info)
    return dst


HOSTILE = {
    "dot-dot": (lambda a, d, t: repack(a, d, extra=[("../evil.txt", b"x")]), "leaves its folder"),
    "dot-dot-inside-media": (lambda a, d, t: repack(a, d, extra=[("media/../../evil.txt", b"x")]),
                             "leaves its folder"),
    "backslash-dot-dot": (lambda a, d, t: repack(a, d, extra=[("media\\..\\..\\evil.txt", b"x")]),
                          "leaves its folder"),
    "absolute": (lambda a, d, t: repack(a, d, extra=[(str(t / "evil.txt"), b"x")]), "absolute path"),
    "drive-letter": (lambda a, d, t: repack(a, d, extra=[("C:/evil.txt", b"x")]), "absolute path"),
    "symlink": (lambda a, d, t: repack(a, d, extra=[(_info("media/x/evil", stat.S_IFLNK | 0o777), b"/etc/passwd")]),
                "a link"),
    "device": (lambda a, d, t: repack(a, d, extra=[(_info("media/x/evil", stat.S_IFCHR | 0o600), b"")]),
               "device or special file"),
    "fifo": (lambda a, d, t: repack(a, d, extra=[(_info("media/x/evil", stat.S_IFIFO | 0o600), b"")]),
             "device or special file"),
    "tar-with-links": (lambda a, d, t: _not_a_zip_with_links(a, d), "not a Little Monster GPA archive"),
    "duplicate": (lambda a, d, t: repack(a, d, extra=[("media/x/evil.txt", b"a"), ("media/x/evil.txt", b"b")],
                                         manifest_edit=lambda m: m["members"].pop()), "two files named"),
    "case-duplicate": (lambda a, d, t: repack(a, d, extra=[("media/x/Evil.txt", b"a"), ("media/x/evil.txt", b"b")]),
                       "same name on Windows"),
    "decompression-bomb": (lambda a, d, t: _bomb(a, d), "decompression bomb"),
    "unlisted-member": (lambda a, d, t: repack(a, d, extra=[("media/x/evil.txt", b"x")],
                                               manifest_edit=lambda m: m["members"].pop()), "does not list"),
    "missing-member": (lambda a, d, t: repack(a, d, manifest_edit=lambda m: m["members"].append(
        {"name": "media/x/gone.txt", "size": 1, "sha256": "0" * 64})), "incomplete"),
    "outside-media": (lambda a, d, t: repack(a, d, extra=[("evil.txt", b"x")]), "not part of a profile"),
    "hash-mismatch": (lambda a, d, t: repack(a, d, fix_manifest=False, replace={
        n: b"y" * len(zipfile.ZipFile(a).read(n)) for n in zipfile.ZipFile(a).namelist() if n.endswith(".flac")}),
        "does not match its checksum"),
    "no-manifest": (lambda a, d, t: _without_manifest(a, d), "has no manifest"),
    "foreign-manifest": (lambda a, d, t: repack(a, d, manifest_edit=lambda m: m.update(format="other")),
                         "of another kind"),
    "newer-format": (lambda a, d, t: repack(a, d, manifest_edit=lambda m: m.update(format_version=99)),
                     "newer version"),
    "foreign-database": (lambda a, d, t: repack(a, d, replace={"database.sqlite3": (  # Anki's, not ours
        SHARED / "anki" / "ankipandas" / "collection.anki2").read_bytes()}), "not a Little Monster GPA"),
    "not-sqlite": (lambda a, d, t: repack(a, d, replace={"database.sqlite3": b"hello " * 1000}), "not an SQLite"),
    "newer-schema": (lambda a, d, t: repack(a, d, replace={"database.sqlite3": _database_with(
        a, t, lambda c: c.execute("UPDATE alembic_version SET version_num = '9999'"))}), "newer version"),
    "damaged-database": (lambda a, d, t: repack(a, d, replace={"database.sqlite3": _damaged(a)}), "damaged"),
    "cut-in-half": (lambda a, d, t: _cut(a, d, 0.5), "damaged or incomplete"),
    "cut-at-the-end": (lambda a, d, t: _cut(a, d, 0.995), "damaged or incomplete"),
}


def _without_manifest(src: Path, dst: Path) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename != "manifest.json":
                zout.writestr(info, zin.read(info))
    return dst


def _cut(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def _damaged(src: Path) -> bytes:
    """The database with a run of pages in its middle overwritten (its header and schema left readable)."""
    data = bytearray(zipfile.ZipFile(src).read("database.sqlite3"))
    page = struct.unpack(">H", data[16:18])[0] or 65536
    middle = (len(data) // page // 2) * page
    data[middle: middle + 4 * page] = b"\xa5" * (4 * page)
    return bytes(data)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_or_cut_archive_is_refused_and_writes_nothing(case, small_archive, tmp_path):
    make, words = HOSTILE[case]
    crafted = tmp_path / "crafted"
    crafted.mkdir()
    bad = make(small_archive, crafted / "bad.zip", crafted)
    world = tmp_path / "world"  # the new profile goes in here; nothing may appear anywhere else
    world.mkdir()
    before = listing(tmp_path)
    with pytest.raises(UserError, match=words) as raised:
        drain(import_all(bad, world / "profile"))
    assert isinstance(raised.value, ArchiveError)  # one clear error, never a crash
    assert listing(tmp_path) == before, "the import wrote something"
    assert not list(tmp_path.rglob("evil*")) and not (Path("/") / "evil.txt").exists()


def test_an_empty_folder_takes_the_profile_and_a_failure_leaves_it_empty(small_archive, tmp_path):
    bad = repack(small_archive, tmp_path / "bad.zip", replace={"database.sqlite3": b"not a database" * 100})
    empty = tmp_path / "chosen"
    empty.mkdir()
    with pytest.raises(ArchiveError):
        drain(import_all(bad, empty))
    assert list(empty.iterdir()) == []
    (empty / "logs").mkdir()  # the CLI's --home makes this before the command runs
    assert drain(import_all(small_archive, empty)) == empty
    assert archive.holds_profile(empty) and not [p for p in empty.iterdir() if p.name.startswith(".")]
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.docx").write_bytes(b"mine")
    with pytest.raises(UserError, match="not empty"):
        drain(import_all(small_archive, tmp_path / "busy"))
    assert listing(tmp_path / "busy") == {"thesis.docx"}


def test_an_older_archive_is_migrated_when_it_is_imported(small_archive, tmp_path):
    from alembic import command

    db_file = tmp_path / "db.sqlite3"  # the database as the previous release (schema 0006) wrote it
    db_file.write_bytes(zipfile.ZipFile(small_archive).read("database.sqlite3"))
    db = Database(db_file)
    cfg = migrate.alembic_config()
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0006")
    db.dispose()
    old = repack(small_archive, tmp_path / "old.zip", replace={"database.sqlite3": db_file.read_bytes()})
    with zipfile.ZipFile(old) as zf:
        (tmp_path / "check.sqlite3").write_bytes(zf.read("database.sqlite3"))
    assert archive_db.schema_revision(tmp_path / "check.sqlite3") == "0006"
    home = drain(import_all(old, tmp_path / "profile"))
    assert archive_db.schema_revision(paths.database_path(home)) == migrate.HEAD
    ctx = open_app(home)
    try:
        assert all(Path(v).exists() and Path(v).is_relative_to(home) for _, _, v in path_values(ctx.db))
    finally:
        ctx.close()


def test_cancelling_an_import_or_an_export_keeps_nothing(small_archive, ctx, tmp_path):
    cancel = threading.Event()
    cancel.set()
    before = listing(tmp_path)
    with pytest.raises(ArchiveCancelled):
        drain(import_all(small_archive, tmp_path / "profile", cancel))
    assert listing(tmp_path) == before
    with pytest.raises(ArchiveCancelled):
        drain(export_all(ctx, tmp_path / "out.zip", cancel))
    assert listing(tmp_path) == before


def test_export_refuses_to_replace_a_file_or_to_pack_itself(ctx, home, tmp_path):
    (tmp_path / "taken.zip").write_bytes(b"keep me")
    with pytest.raises(UserError, match="already exists"):
        drain(export_all(ctx, tmp_path / "taken.zip"))
    assert (tmp_path / "taken.zip").read_bytes() == b"keep me"
    paths.media_dir(home).mkdir(parents=True, exist_ok=True)
    with pytest.raises(UserError, match="outside the profile's media folder"):
        drain(export_all(ctx, paths.media_dir(home) / "inside.zip"))
    done = ctx.jobs.run_now(ctx.jobs.submit("archive.export", {"path": str(tmp_path / "taken.zip"), "overwrite": True}))
    assert done.state == "done", done.error
    assert done.result["size"] == (tmp_path / "taken.zip").stat().st_size
    assert zipfile.ZipFile(tmp_path / "taken.zip").testzip() is None


def test_too_little_disk_space_is_said_before_anything_is_written(small_disk, small_archive, ctx, shared, tmp_path):
    from small_disk import fill, release

    big = repack(small_archive, tmp_path / "big.zip",
                 extra=[(_info("media/lecture/long.ogg", compress=zipfile.ZIP_STORED), os.urandom(12 << 20))])
    with pytest.raises(DiskFull, match="Not enough disk space to import"):
        drain(import_all(big, small_disk / "profile"))
    assert sorted(p.name for p in small_disk.iterdir() if p.name != "lost+found") == []

    media_import.import_media(ctx, shared / "audio" / "jfk.flac")  # 1.1 MB of media to export
    fill(small_disk, 256 * 1024)
    try:
        with pytest.raises(DiskFull, match="Not enough disk space to export everything"):
            drain(export_all(ctx, small_disk / "out.zip"))
        assert sorted(p.name for p in small_disk.iterdir() if p.name not in ("lost+found", ".filler")) == []
    finally:
        release(small_disk)


def test_the_cli_exports_and_imports(ctx, home, tmp_path, capsys, monkeypatch):
    ctx.settings.set("ui.theme", "dark")
    out = tmp_path / "cli.zip"
    assert main(["export-all", str(out)]) == 0  # LMGPA_HOME is the profile
    assert "Saved everything to" in capsys.readouterr().out and out.is_file()
    assert main(["export-all", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["import-all", str(out)]) == 1  # into this computer's data folder, which holds the profile
    assert "--home DIR" in capsys.readouterr().err
    target = tmp_path / "elsewhere"
    monkeypatch.setenv("LMGPA_HOME", str(tmp_path / "unused"))
    assert main(["import-all", str(out), "--home", str(target)]) == 0
    assert f"Imported into {target}" in capsys.readouterr().out and archive.holds_profile(target)
    assert main(["import-all", str(out), "--home", str(target)]) == 1
    assert "already holds" in capsys.readouterr().err
    moved = open_app(target)
    try:
        assert moved.settings.get("ui.theme") == "dark"
    finally:
        moved.close()


def test_stored_reminder_jobs_of_an_archive_are_never_unpickled(small_archive, tmp_path):
    import pickle

    marker = tmp_path / "code-ran"

    class Payload:  # unpickling this runs Path.touch(marker): any code could run the same way
        def __reduce__(self):
            return (Path.touch, (marker,))

    crafted = _database_with(small_archive, tmp_path, lambda c: c.execute(
        "INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES ('cards-due', 0, ?)",
        (pickle.dumps(Payload()),)))
    bad = repack(small_archive, tmp_path / "pickle.zip", replace={"database.sqlite3": crafted})
    home = drain(import_all(bad, tmp_path / "profile"))
    db = Database(paths.database_path(home))
    try:
        assert scheduler_store.stored_jobs(db) == {}  # the reminder service makes its jobs again at start
    finally:
        db.dispose()
    assert not marker.exists()
