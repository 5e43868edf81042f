"""The sync engine and service against the real server over HTTP (SQLite): merge on set-up, reviews with equal due
dates, cut connections, cancel between batches, chunked resumable media, a message that does not open, and personal
sync as a section of the online sync."""

from __future__ import annotations

import base64
import os
import threading

import pytest
from sync_world import Fleet, assert_converged, card_states, cut_connection, drive, live_sync_server

from lmgpa_desktop import paths
from lmgpa_desktop.core.capture.media_import import sha256_of
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.online import service as online
from lmgpa_desktop.core.study import review
from lmgpa_desktop.core.sync import engine, keys, replay, service
from lmgpa_desktop.core.sync.media import CHUNK
from lmgpa_desktop.remote.sync_api import SyncApi
from lmgpa_desktop.storage import cards_repo, sources_repo, study_repo
from lmgpa_desktop.storage.sync import media_repo, outbox_repo
from sync_server import models


@pytest.fixture
def sqlite_server(tmp_path):
    """The real sync server over HTTP on SQLite, its blobs in a known folder."""
    srv = live_sync_server(f"sqlite:///{tmp_path / 'server.sqlite3'}", tmp_path / "server-blobs")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def student(sqlite_server, tmp_path, dict_keyring, migrated_database):
    """A student's devices (profiles signed in to one account) on the SQLite server."""
    f = Fleet(sqlite_server, tmp_path / "devices", migrated_database)
    yield f
    f.close()


def _notes(device) -> list[str]:
    return sorted(r[0] for r in device.query("SELECT title FROM notes WHERE deleted_at IS NULL"))


def test_a_second_device_with_its_own_data_merges_and_every_review_arrives_with_its_due_date(student, monkeypatch):
    laptop = student.add("laptop", setup=False)
    deck = cards_repo.create_deck(laptop.ctx.db, "Biology")
    cards = [cards_repo.create_card(laptop.ctx.db, deck.id, f"front {i}", f"back {i}") for i in range(3)]
    study_repo.create_note(laptop.ctx.db, "Mitosis", "prophase, metaphase")
    first = student.set_up(laptop)
    assert first["created"] is True and len(first["recovery_key"]) >= 32
    assert first["merged"] >= 5 and first["sync"]["status"] == "ok" and first["sync"]["pushed"] == first["merged"]

    desktop = student.add("desktop", setup=False)
    study_repo.create_note(desktop.ctx.db, "Desktop note", "written before sync was set up here")
    second = student.set_up(desktop)
    assert second["created"] is False and second["recovery_key"] is None and second["merged"] >= 1
    assert second["sync"]["pulled"] == first["merged"] and second["sync"]["pushed"] == second["merged"]
    assert laptop.sync()["pulled"] == second["merged"]
    assert _notes(laptop) == _notes(desktop) == ["Desktop note", "Mitosis"]

    review.answer(laptop.ctx, cards[0].id, 3)
    review.answer(laptop.ctx, cards[1].id, 1)
    pushed = laptop.sync()
    assert pushed["status"] == "ok" and pushed["pushed"] >= 2  # two review logs (plus activity)
    # The app is killed after a pulled page was applied and before the cards were replayed: the next sync, which
    # pulls the same page and finds nothing new in it, still replays them.
    with monkeypatch.context() as m:
        m.setattr(replay, "rebuild_after", lambda ctx, applied: (_ for _ in ()).throw(RuntimeError("killed")))
        with pytest.raises(RuntimeError, match="killed"):
            desktop.sync()
    assert card_states(desktop)[cards[0].uuid] != card_states(laptop)[cards[0].uuid]
    got = desktop.sync()
    assert got["status"] == "ok"
    assert_converged([laptop, desktop])
    mine = card_states(laptop)[cards[0].uuid]
    assert mine[0] != 0 and card_states(desktop)[cards[0].uuid] == mine  # the same due date, to the microsecond

    s = service.status(desktop.ctx)
    assert s["enabled"] is True and s["waiting"] == 0 and s["conflicts"] == 0 and s["last_sync"]
    assert s["device"] != service.status(laptop.ctx)["device"] and len(s["device"]) == 16


def test_cut_connections_and_cancel_leave_no_duplicate_nor_partial_apply_and_a_bad_message_is_skipped(
        student, sqlite_server, monkeypatch):
    laptop, desktop = student.add("laptop"), student.add("desktop")
    for i in range(3):
        study_repo.create_note(laptop.ctx.db, f"note {i}", "body")
    before = sqlite_server.count(models.SyncMessage)
    # requests of a cycle: GET key, GET pull, POST push; the push is handled but its answer lost
    with cut_connection(monkeypatch, at=3, mode="after") as cut:
        lost = laptop.sync()
    assert cut.calls[2] == "POST /api/sync/push" and lost["status"] == "offline"
    assert outbox_repo.waiting(laptop.ctx.db) == 3  # not marked: the server's acknowledgement never came
    again = laptop.sync()
    assert again["status"] == "ok" and again["pushed"] == 3 and outbox_repo.waiting(laptop.ctx.db) == 0
    assert sqlite_server.count(models.SyncMessage) == before + 3  # the second push was all duplicates

    with cut_connection(monkeypatch, at=2, mode="after") as cut:
        cut_pull = desktop.sync()
    assert cut.calls[1].startswith("GET /api/sync/pull") and cut_pull["status"] == "offline"
    assert _notes(desktop) == []
    assert desktop.sync()["applied"] == 3
    assert _notes(desktop) == ["note 0", "note 1", "note 2"]

    monkeypatch.setattr(engine, "PUSH_BATCH", 2)
    for i in range(5):
        study_repo.create_note(desktop.ctx.db, f"more {i}", "")
    cancel = threading.Event()
    gen = service.sync_now(desktop.ctx, cancel=cancel)
    while True:
        try:
            report = next(gen)
        except StopIteration as stop:
            result = stop.value
            break
        if report.message.startswith("sent"):
            cancel.set()  # the student presses Cancel while the first batch is acknowledged
    assert result["status"] == "cancelled" and result["pushed"] == 2
    assert outbox_repo.waiting(desktop.ctx.db) == 3
    assert desktop.sync()["pushed"] == 3 and laptop.sync()["applied"] == 5
    assert_converged([laptop, desktop])

    # A message that does not open (forged, or sealed with another key) is reported once and skipped.
    forged = {"id": "f" * 32, "hlc": "0000000000001-0000-ffffffffffffffff", "device": "ffffffffffffffff",
              "payload": base64.b64encode(os.urandom(80)).decode()}
    SyncApi(online.service(laptop.ctx).api_client()).push([forged])
    study_repo.create_note(laptop.ctx.db, "after the forged one", "")
    laptop.sync()
    result = desktop.sync()
    assert result["status"] == "ok" and result["skipped"] == 1 and result["applied"] == 1
    assert "did not open" in result["message"] and "did not open" in service.status(desktop.ctx)["message"]
    assert "after the forged one" in _notes(desktop)
    assert desktop.sync()["skipped"] == 0  # the cursor moved past it: reported once, not at every sync


def _lecture(device, size: int):
    folder = paths.media_dir(device.ctx.home) / "lecture-1"
    folder.mkdir(parents=True)
    audio = folder / "lecture.ogg"
    audio.write_bytes(os.urandom(size))
    sha, n = sha256_of(audio), audio.stat().st_size
    return sources_repo.create(device.ctx.db, kind="audio", title="Lecture 1", stored_path=str(audio), sha256=sha,
                               size_bytes=n, status="ready"), audio


def test_a_lecture_uploads_in_encrypted_chunks_resumes_after_a_cut_and_arrives_on_the_other_device(
        student, sqlite_server, monkeypatch):
    laptop, desktop = student.add("laptop"), student.add("desktop")
    source, audio = _lecture(laptop, 2 * CHUNK + 1000)  # three chunks
    # GET key, GET pull, POST push, GET blob, PUT chunk 0, PUT chunk 1 <- cut before it reaches the server
    with cut_connection(monkeypatch, at=6) as cut:
        assert laptop.sync()["status"] == "offline"
    assert cut.calls[4].startswith("PUT /api/sync/blobs/") and cut.calls[4].endswith("/0")
    assert media_repo.counts(laptop.ctx.db)["local"] == 1
    with cut_connection(monkeypatch) as count:
        resumed = laptop.sync()
    puts = [c for c in count.calls if c.startswith("PUT")]
    assert resumed["media_up"] == 1 and [p.rsplit("/", 1)[1] for p in puts] == ["1", "2"]
    assert media_repo.counts(laptop.ctx.db)["uploaded"] == 1
    stored = b"".join(f.read_bytes() for f in sqlite_server.blob_dir.rglob("*") if f.is_file())
    assert len(stored) > 2 * CHUNK and audio.read_bytes()[:4096] not in stored  # the server holds only sealed chunks

    got = desktop.sync()
    assert got["status"] == "ok" and got["media_down"] == 1
    there = sources_repo.find_by_sha256(desktop.ctx.db, source.sha256)
    assert there.stored_path.startswith(str(paths.media_dir(desktop.ctx.home)))
    assert there.stored_path.endswith(f"{source.sha256}.ogg")
    with open(there.stored_path, "rb") as f:
        assert f.read() == audio.read_bytes()
    assert_converged([laptop, desktop])

    # Opened before the background download: fetched at once, resuming a cut download from its last whole chunk.
    os.remove(there.stored_path)
    media_repo.set_state(desktop.ctx.db, source.sha256, "missing")
    with cut_connection(monkeypatch, at=3) as cut:  # GET blob, GET chunk 0, GET chunk 1 <- cut
        with pytest.raises(UserError, match="cannot be reached"):
            drive(service.fetch_media(desktop.ctx, there.id))
    with cut_connection(monkeypatch) as count:
        path = drive(service.fetch_media(desktop.ctx, there.id))
    assert path == there.stored_path and open(path, "rb").read() == audio.read_bytes()
    assert [c.rsplit("/", 1)[1] for c in count.calls if c.startswith("GET") and c.count("/") == 5] == ["1", "2"]
    assert media_repo.get(desktop.ctx.db, source.sha256).state == "uploaded"


def test_personal_sync_runs_inside_the_online_sync_and_never_breaks_it(student, monkeypatch):
    laptop = student.add("laptop")
    study_repo.create_note(laptop.ctx.db, "via online sync", "")
    result = drive(online.service(laptop.ctx).sync())
    assert result["status"] == "online" and result["problems"] == []
    assert outbox_repo.waiting(laptop.ctx.db) == 0 and service.last_result(laptop.ctx)["pushed"] == 1

    account = service.status(laptop.ctx)["account"]
    keys.forget_local_key(account["server_url"], account["email"], service.status(laptop.ctx)["device"])
    study_repo.create_note(laptop.ctx.db, "waits", "")
    result = drive(online.service(laptop.ctx).sync())
    assert result["status"] == "online" and len(result["problems"]) == 1
    assert "passphrase" in result["problems"][0] and outbox_repo.waiting(laptop.ctx.db) == 1

    off = student.add("no-sync", setup=False)
    with cut_connection(monkeypatch) as count:
        result = drive(online.service(off.ctx).sync())
    assert result["status"] == "online" and result["problems"] == [] and count.calls == []


def test_a_push_is_split_so_each_request_stays_under_the_servers_body_cap():
    """Long transcripts make big messages: a batch of 500 goes in several requests, none over the limit, in order."""
    pairs = [(n, {"payload": "x" * size}) for n, size in enumerate([300, 700, 50, 900, 10, 10])]
    parts = list(engine._by_size(pairs, limit=1200))
    assert [[n for n, _w in part] for part in parts] == [[0], [1, 2], [3], [4, 5]]
    assert all(sum(len(w["payload"]) + 200 for _n, w in part) <= 1200 for part in parts)
    assert list(engine._by_size([(0, {"payload": "y" * 5000})], limit=1200)) == [[(0, {"payload": "y" * 5000})]]
