"""A full disk: importing, recording, rating, backing up and transcribing each stop with a plain message about disk
space, leave no partial rows, and the profile opens and passes integrity_check afterwards (item 5 of issue #15)."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from small_disk import fill, release
from lmgpa_desktop import paths
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.storage import cards_repo, recordings_repo, sources_repo

DOCUMENT = Path("documents") / "docx" / "word_sample.docx"
DECK = Path("anki") / "ultimate-geography" / "UG_EN_textonly.apkg"
SPACE = "Not enough disk space"


@pytest.fixture
def profile(small_home, migrated_database):
    """An opened profile whose data folder (LMGPA_HOME) is on the small filesystem."""
    shutil.copyfile(migrated_database, small_home / migrated_database.name)
    ctx = open_app(small_home)
    try:
        yield ctx
    finally:
        ctx.close()


def _sql(home: Path, query: str) -> list[tuple]:
    con = sqlite3.connect(paths.database_path(home))
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _reopens_whole(ctx) -> None:
    """After the disk is freed: nothing left running, the profile reopens and the file passes integrity_check."""
    home = ctx.home
    ctx.close()
    release(home.parent)
    assert _sql(home, "PRAGMA integrity_check") == [("ok",)]
    assert _sql(home, "SELECT id, kind FROM jobs WHERE state = 'running'") == []
    assert _sql(home, "PRAGMA foreign_key_check") == []  # no card without its deck, no page without its source
    open_app(home).close()


def test_importing_a_document_on_a_full_disk_says_so_and_adds_nothing(profile, shared):
    from lmgpa_desktop.core.library.library import queue_import
    job_id = queue_import(profile, shared / DOCUMENT)
    fill(profile.home.parent, 64 * 1024)
    job = profile.jobs.run_now(job_id)
    assert job.state == "failed" and job.error.startswith(f"{SPACE} to import {DOCUMENT.name}: it needs about"), job.error
    assert sources_repo.listing(profile.db) == []
    _reopens_whole(profile)


def test_a_disk_filling_while_a_document_is_read_keeps_the_library_as_it_was(profile, shared, monkeypatch):
    from lmgpa_desktop.core.library import library
    monkeypatch.setattr(library.disk_space, "ensure_free", lambda *a: None)  # room when asked, gone by the end
    job_id = library.queue_import(profile, shared / DOCUMENT)
    fill(profile.home.parent, (shared / DOCUMENT).stat().st_size + 16 * 1024)  # the copy fits, its pages do not
    job = profile.jobs.run_now(job_id)
    assert job.state == "failed" and job.error.startswith(SPACE), job.error
    assert sources_repo.listing(profile.db) == []
    assert list(paths.media_dir(profile.home).glob("*/*")) == []  # the copy is gone too
    _reopens_whole(profile)


def test_importing_an_anki_deck_on_a_full_disk_says_so_and_adds_no_cards(profile, shared):
    job_id = profile.jobs.submit("deck.import", {"path": str(shared / DECK)})
    fill(profile.home.parent, 200_000)
    job = profile.jobs.run_now(job_id)
    assert job.state == "failed" and job.error.startswith(f"{SPACE} to import {DECK.name}: it needs about"), job.error
    assert cards_repo.decks(profile.db) == [] or _sql(profile.home, "SELECT count(*) FROM cards") == [(0,)]
    _reopens_whole(profile)


def test_rating_a_card_on_a_full_disk_says_so_and_keeps_the_card_as_it_was(profile, shared):
    from lmgpa_desktop.core.errors import UserError
    from lmgpa_desktop.core.study import review
    assert profile.jobs.run_now(profile.jobs.submit("deck.import", {"path": str(shared / DECK)})).state == "done"
    card = review.next_card(profile)
    home = profile.home
    profile.close()
    ctx = open_app(home)  # a fresh write-ahead log: every new write needs new room
    fill(home.parent, 0)
    with pytest.raises(UserError, match=f"^{SPACE} to save this answer: only 0 B free on {home}"):
        review.answer(ctx, card.id, 3)
    assert cards_repo.get_card(ctx.db, card.id) == card
    assert _sql(home, "SELECT count(*) FROM review_logs WHERE card_id = %d" % card.id) == [(0,)]
    _reopens_whole(ctx)
    ctx = open_app(home)  # with room again the same answer goes through
    try:
        assert review.answer(ctx, card.id, 3).card_id == card.id
    finally:
        ctx.close()


def test_a_disk_filling_mid_recording_stops_it_with_a_message_and_keeps_the_audio(virtual_mic, monkeypatch, shared,
                                                                                    migrated_database):
    from small_disk import small_filesystem
    from lmgpa_desktop.core.capture.recorder import MIN_FREE_BYTES, Recorder

    monkeypatch.setenv("LMGPA_JOB_MODULES", "lmgpa_desktop.core.capture.recording_finalize")
    with small_filesystem(MIN_FREE_BYTES + 4 * 1024 * 1024) as disk:  # room enough to start, not to go on
        home = disk / "home"
        home.mkdir()
        monkeypatch.setenv("LMGPA_HOME", str(home))
        shutil.copyfile(migrated_database, home / migrated_database.name)
        ctx = open_app(home)
        try:
            rec = Recorder(ctx, title="lecture on a full disk")
            rec.segment_s = 0.5
            rec.start()
            virtual_mic.play(shared / "audio" / "jfk.flac")
            _wait_for(lambda: len(recordings_repo.segments(ctx.db, rec.recording_id)) >= 2, "two segments")
            fill(disk, 64 * 1024)  # another program takes the disk: a second or so of audio still fits
            _wait_for(lambda: rec.state == "failed", "the recorder to stop by itself")
            assert rec.error.startswith(f"{SPACE}: the recording stopped and keeps everything recorded"), rec.error
            assert rec.stop() == rec.recording_id  # the student's late Stop click is harmless
            kept = rec.elapsed_s
            assert kept >= 1.0
            release(disk)  # the student frees space: what was recorded joins the library by itself
            _wait_for(lambda: rec.finalize_job_id is not None, "the recording to be closed in the database")
            final = ctx.jobs.run_now(rec.finalize_job_id)
            assert final.state == "done", final.error
            assert abs(final.result["duration"] - kept) < 0.05
            assert sources_repo.get(ctx.db, rec.source_id).status == "new"
        finally:
            ctx.close()
        assert _sql(home, "PRAGMA integrity_check") == [("ok",)]


def test_backing_up_on_a_full_disk_says_so_and_leaves_no_partial_backup(profile, shared):
    assert profile.jobs.run_now(profile.jobs.submit("deck.import", {"path": str(shared / DECK)})).state == "done"
    job_id = profile.jobs.submit("backup", {"reason": "manual"})
    fill(profile.home.parent, 96 * 1024)
    job = profile.jobs.run_now(job_id)
    assert job.state == "failed" and job.error.startswith(SPACE), job.error
    backups = paths.backups_dir(profile.home)
    assert [p.name for p in backups.rglob("*") if p.is_file() and (p.suffix == ".part" or ".tmp" in p.name)] == []
    _reopens_whole(profile)


def test_transcribing_on_a_full_disk_says_so_and_keeps_the_source_retryable(profile, shared):
    from lmgpa_desktop.core.capture.media_import import import_media
    from lmgpa_desktop.storage import transcripts_repo

    imported = import_media(profile, shared / "audio" / "jfk.flac")
    source_id = getattr(imported, "source_id", None) or imported.source.id
    job_id = profile.jobs.submit("transcribe", {"source_id": source_id})

    def fill_once_loading(event, _job, report) -> None:  # the disk fills while the model loads
        if event == "progress" and not (profile.home.parent / ".filler").exists():
            fill(profile.home.parent, 0)

    job = profile.jobs.run_now(job_id, fill_once_loading)
    assert job.state == "failed" and job.error.startswith(SPACE), job.error
    release(profile.home.parent)  # with room again the failure is recorded: no job is left 'running'
    _wait_for(lambda: profile.jobs.get(job_id).state == "failed", "the failure to be recorded")
    assert sources_repo.get(profile.db, source_id).stored_path  # the audio stays in the library
    home = profile.home
    _reopens_whole(profile)
    ctx = open_app(home)  # with room again, retrying transcribes it
    try:
        ctx.jobs.retry(job_id)
        again = ctx.jobs.run_now(job_id)
        assert again.state == "done", again.error
        assert "country" in " ".join(s.text for s in transcripts_repo.segments_after(ctx.db, again.result["transcript_id"], -1))
    finally:
        ctx.close()


def _wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached")
