"""Automatic backups (item 2 of issue #15): verified, compressed copies; media stored once; rotation; restore."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zstandard

from damage import add_cards, fronts, overwrite_pages
from small_disk import fill
from lmgpa_desktop import paths
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.job_progress import run_to_end as drain
from lmgpa_desktop.core.jobs import Cancelled
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.safety import backup_media, backups
from lmgpa_desktop.core.safety.auto_backup import AutoBackup
from lmgpa_desktop.core.safety.backup_rotation import Policy, obsolete
from lmgpa_desktop.storage import migrate


def _media(home: Path, rel: str, data: bytes) -> Path:
    path = paths.media_dir(home) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _store_files(home: Path) -> set[str]:
    store = backup_media.store_dir(paths.backups_dir(home))
    return {p.name for p in store.rglob("*") if p.is_file()} if store.is_dir() else set()


def _files(home: Path) -> set[str]:
    folder = paths.backups_dir(home)
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {".lock"}


def _setting(db_file: Path, key: str):
    con = sqlite3.connect(db_file)
    try:
        row = con.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else None
    finally:
        con.close()


def test_a_backup_is_a_checked_compressed_copy_that_records_the_media(ctx, tmp_path):
    ctx.settings.set("review.retention", 0.83)
    add_cards(ctx, 300)
    lecture = _media(ctx.home, "recordings/r1/lecture.wav", os.urandom(200_000))
    _media(ctx.home, "docs/notes.pdf", b"%PDF-1.4 study notes")
    info = drain(backups.back_up(ctx.db, ctx.home, "manual"))

    assert info.verified is True and info.reason == "manual" and info.media_files == 2
    assert backups.list_backups(ctx.home) == [info]
    assert info.path.name.endswith(".sqlite3.zst") and info.id.endswith("-manual")
    copy = tmp_path / "copy.sqlite3"  # a real zstd file holding a sound copy of the database
    with open(info.path, "rb") as src, open(copy, "wb") as dst:
        zstandard.ZstdDecompressor().copy_stream(src, dst)
    assert info.size < copy.stat().st_size  # compressed
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert con.execute("SELECT count(*) FROM cards").fetchone() == (300,)
    con.close()
    assert _setting(copy, "review.retention") == 0.83
    manifest = json.loads(info.path.with_name(f"{info.id}.json").read_text())
    recorded = {m["path"]: m for m in manifest["media"]}
    assert recorded["recordings/r1/lecture.wav"]["size"] == 200_000
    import hashlib
    assert recorded["recordings/r1/lecture.wav"]["sha256"] == hashlib.sha256(lecture.read_bytes()).hexdigest()
    assert len(_store_files(ctx.home)) == 2
    assert not [name for name in _files(ctx.home) if name.endswith(".part")]


def test_media_is_copied_once_and_unchanged_files_are_not_read_again(ctx, monkeypatch):
    _media(ctx.home, "a/one.bin", os.urandom(50_000))
    _media(ctx.home, "a/same-content.bin", b"x" * 1000)
    _media(ctx.home, "b/same-content-again.bin", b"x" * 1000)  # same content at two paths: stored once
    drain(backups.back_up(ctx.db, ctx.home, "manual"))
    assert len(_store_files(ctx.home)) == 2

    stored = []
    real_store = backup_media._store
    monkeypatch.setattr(backup_media, "_store", lambda folder, path: stored.append(path.name) or real_store(folder,
                                                                                                          path))
    _media(ctx.home, "c/new.bin", os.urandom(10_000))
    second = drain(backups.back_up(ctx.db, ctx.home, "auto"))
    assert stored == ["new.bin"]  # size and mtime unchanged: the other three are not read again
    assert second.media_files == 4 and len(_store_files(ctx.home)) == 3


def test_restore_brings_back_the_data_and_missing_media_and_keeps_the_current_state(ctx):
    add_cards(ctx, 20, deck="Before")
    kept = _media(ctx.home, "recordings/r1/lecture.wav", b"RIFF lecture audio")
    first = drain(backups.back_up(ctx.db, ctx.home, "manual"))
    add_cards(ctx, 5, deck="After")
    expected_after = fronts(ctx)
    home = ctx.home
    ctx.close()
    kept.unlink()  # lost, e.g. deleted from the trash

    restored = drain(backups.restore_backup(home, first.id))

    assert restored == paths.database_path(home)
    assert kept.read_bytes() == b"RIFF lecture audio"
    reopened = open_app(home)
    try:
        assert {d.name for d in __import__("lmgpa_desktop.storage.cards_repo", fromlist=["x"]).decks(reopened.db)} \
            == {"Before"}
    finally:
        reopened.close()
    before_restore = [b for b in backups.list_backups(home) if b.reason == "before-restore"]
    assert len(before_restore) == 1 and before_restore[0].verified  # the state just before is a backup
    drain(backups.restore_backup(home, before_restore[0].id))  # and the restore can be taken back
    reopened = open_app(home)
    try:
        assert fronts(reopened) == expected_after
    finally:
        reopened.close()


def test_restore_moves_a_damaged_database_aside_untouched(ctx):
    add_cards(ctx, 2000)
    good = drain(backups.back_up(ctx.db, ctx.home, "manual"))
    home, db_file = ctx.home, paths.database_path(ctx.home)
    ctx.close()
    overwrite_pages(db_file, every=2)
    damaged_bytes = db_file.read_bytes()

    drain(backups.restore_backup(home, good.id))

    aside = list((home / "damaged").glob("*/lmgpa.sqlite3"))
    assert len(aside) == 1 and aside[0].read_bytes() == damaged_bytes  # kept, byte for byte
    assert not [b for b in backups.list_backups(home) if b.reason == "before-restore"]  # nothing sound to back up
    reopened = open_app(home)
    try:
        assert len(fronts(reopened)) == 2000
    finally:
        reopened.close()


def test_restore_refuses_while_the_profile_is_open_and_changes_nothing(ctx):
    add_cards(ctx, 3)
    first = drain(backups.back_up(ctx.db, ctx.home, "manual"))
    add_cards(ctx, 3, deck="Later", start=3)
    with pytest.raises(UserError, match="close it"):
        drain(backups.restore_backup(ctx.home, first.id))
    assert len(fronts(ctx)) == 6
    assert [b.id for b in backups.list_backups(ctx.home) if b.reason == "manual"] == [first.id]


def test_a_damaged_backup_is_listed_as_damaged_and_skipped_for_restore(ctx):
    older = drain(backups.back_up(ctx.db, ctx.home, "manual"))
    ctx.settings.set("review.retention", 0.7)
    newer = drain(backups.back_up(ctx.db, ctx.home, "manual"))
    data = bytearray(newer.path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped bit somewhere in the compressed copy
    newer.path.write_bytes(bytes(data))

    checked = backups.verify_backup(ctx.home, newer.id)
    assert checked.verified is False
    listed = {b.id: b.verified for b in backups.list_backups(ctx.home)}
    assert listed == {newer.id: False, older.id: True}
    assert backups.newest_verified_backup(ctx.home).id == older.id
    home = ctx.home
    ctx.close()
    with pytest.raises(UserError, match="damaged"):
        drain(backups.restore_backup(home, newer.id))

    newer.path.with_name(f"{newer.id}.json").write_text("{ not json")  # a damaged manifest is listed, never raises
    assert {b.id: b.verified for b in backups.list_backups(home)}[newer.id] is False


def test_rotation_keeps_the_newest_few_then_one_a_day_a_week_and_a_month():
    now = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
    rows = [(f"b{h}", now - timedelta(hours=h * 6), "auto") for h in range(4 * 400)]  # 4 a day for 400 days
    rows += [(f"r{i}", now - timedelta(days=i), "before-restore") for i in range(8)]
    drop = obsolete(rows, Policy(recent=4, daily=12, weekly=10, monthly=9, special=5))
    kept = [r for r in rows if r[0] not in drop]
    regular = sorted((r for r in kept if r[2] == "auto"), key=lambda r: r[1], reverse=True)
    assert len(regular) == 4 + 12 + 10 + 9
    assert [r[0] for r in regular[:4]] == ["b0", "b1", "b2", "b3"]
    days = {r[1].astimezone().date() for r in regular[4:16]}
    assert len(days) == 12  # one a day
    weeks = {r[1].astimezone().isocalendar()[:2] for r in regular[16:26]}
    assert len(weeks) == 10
    months = {(r[1].astimezone().year, r[1].astimezone().month) for r in regular[26:]}
    assert len(months) == 9
    assert sorted(r[0] for r in kept if r[2] == "before-restore") == ["r0", "r1", "r2", "r3", "r4"]


def test_rotation_removes_old_backups_then_media_no_kept_backup_records(ctx):
    ctx.settings.set("backups.keep_recent", 2)
    for key in ("daily", "weekly", "monthly"):
        ctx.settings.set(f"backups.keep_{key}", 0)
    gone = _media(ctx.home, "old/deleted.bin", b"deleted since")
    stays = _media(ctx.home, "kept/stays.bin", b"still here")
    first = drain(backups.back_up(ctx.db, ctx.home, "auto"))
    gone.unlink()
    second = drain(backups.back_up(ctx.db, ctx.home, "auto"))
    assert len(_store_files(ctx.home)) == 2  # the first backup still records the deleted file
    third = drain(backups.back_up(ctx.db, ctx.home, "manual"))

    assert [b.id for b in backups.list_backups(ctx.home)] == [third.id, second.id]
    import hashlib
    assert _store_files(ctx.home) == {hashlib.sha256(stays.read_bytes()).hexdigest()}
    assert not first.path.exists()


def test_before_migration_copies_are_listed_checked_and_pruned_with_their_record(ctx):
    folder = paths.backups_dir(ctx.home)
    legacy = ctx.db.backup_to(folder / "lmgpa-20260101-120000-before-0007.sqlite3")
    [info] = backups.list_backups(ctx.home)
    assert (info.id, info.reason, info.verified, info.path) == ("20260101-120000-before-migration",
                                                                "before-migration", None, legacy)
    assert backups.verify_backup(ctx.home, info.id).verified is True
    assert backups.list_backups(ctx.home)[0].verified is True
    assert not list(folder.glob("*-wal")) and not list(folder.glob("*-shm"))  # checking wrote nothing beside it
    for n in range(migrate.KEEP_BACKUPS):
        ctx.db.backup_to(folder / f"lmgpa-2026020{n + 1}-120000-before-0007.sqlite3")
    migrate._prune(folder)
    assert not legacy.exists() and not Path(f"{legacy}.json").exists()
    assert len(backups.list_backups(ctx.home)) == migrate.KEEP_BACKUPS


def test_a_cancelled_backup_leaves_nothing_behind(ctx):
    _media(ctx.home, "a/one.bin", os.urandom(1000))
    cancel = threading.Event()
    steps = backups.back_up(ctx.db, ctx.home, "manual", cancel)
    next(steps)
    cancel.set()
    with pytest.raises(Cancelled):
        drain(steps)
    assert backups.list_backups(ctx.home) == [] and _files(ctx.home) == set()


def test_a_full_disk_stops_the_backup_with_a_message_and_keeps_earlier_ones(small_home, migrated_database):
    shutil.copyfile(migrated_database, paths.database_path(small_home))
    ctx = open_app(small_home)
    try:
        earlier = drain(backups.back_up(ctx.db, ctx.home, "manual"))
        _media(ctx.home, "recordings/big.wav", os.urandom(600_000))  # the disk fills while it is stored
        fill(small_home.parent, 300_000)
        with pytest.raises(UserError, match="Not enough disk space to back up"):
            drain(backups.back_up(ctx.db, ctx.home, "auto"))
        assert backups.list_backups(ctx.home) == [earlier]
        assert not [n for n in _files(ctx.home) if n.endswith(".part") or "-auto" in n]
    finally:
        ctx.close()


def test_automatic_backups_wait_for_the_interval_and_for_changed_data(ctx):
    now = [0.0]
    auto = AutoBackup(ctx, clock=lambda: now[0])
    ctx.settings.set("ui.last_page", "review")  # window state alone is no change
    now[0] = 31 * 60
    assert not auto.due() and auto.run() is None
    add_cards(ctx, 2)
    assert auto.due()
    assert auto.run().reason == "auto"
    assert not auto.changed() and not auto.due()
    add_cards(ctx, 1, start=5)
    now[0] += 29 * 60
    assert not auto.due()  # changed, but not 30 minutes of use yet
    now[0] += 60
    assert auto.due()
    ctx.settings.set("backups.auto", False)
    assert not auto.due() and auto.run("quit") is None


def test_backup_jobs_make_and_verify_backups(ctx):
    job = ctx.jobs.run_now(ctx.jobs.submit("backup", {"reason": "before-import"}))
    assert job.state == "done" and job.result["verified"] is True
    [info] = backups.list_backups(ctx.home)
    assert info.reason == "before-import" and job.result["id"] == info.id
    check = ctx.jobs.run_now(ctx.jobs.submit("backup.verify", {"id": info.id}))
    assert check.state == "done" and check.result == {"id": info.id, "verified": True}
