"""/api/sync on SQLite and PostgreSQL: the wrapped key, pushes stored all or nothing and numbered in commit order
(two devices at once, a puller never skips), quota and clock bounds, encrypted media chunks, deleting it all."""

from __future__ import annotations

import base64
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from sync_server import models
from sync_server.sync import blob_store
from sync_server.sync.blob_store import FolderBlobStore
from sync_server.sync.schemas import MAX_CHUNK_BYTES, PUSH_BODY_BYTES

DAY_MS = 24 * 3600 * 1000
LAPTOP, DESKTOP = "a1a1a1a1a1a1a1a1", "d2d2d2d2d2d2d2d2"


def _hlc(device: str, ahead_ms: int = 0) -> str:
    return f"{int(time.time() * 1000) + ahead_ms:013d}-0000-{device}"


def _msg(msg_id: str, device: str = LAPTOP, payload: bytes | None = None, ahead_ms: int = 0) -> dict:
    body = payload if payload is not None else f"sealed {msg_id}".encode()
    return {"id": msg_id, "hlc": _hlc(device, ahead_ms), "device": device,
            "payload": base64.b64encode(body).decode()}


def _push(srv, who, messages, **kw):
    return srv.call("POST", "/api/sync/push", who, json={"messages": messages}, **kw)


def _pull(srv, who, **params) -> dict:
    r = srv.call("GET", "/api/sync/pull", who, params=params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _status(srv, who) -> dict:
    return srv.call("GET", "/api/sync/status", who).json()["data"]


def _chunk(srv, who, blob, index, data: bytes):
    return srv.call("PUT", f"/api/sync/blobs/{blob}/{index}", who, content=data,
                    headers={"Content-Type": "application/octet-stream"})


def test_key_messages_and_cursor_pages(server):
    ann, bob = server.person(), server.person()
    assert _status(server, ann) | {"message": ""} == {
        "available": True, "key": False, "messages": 0, "bytes": 0, "blobs": 0, "blob_bytes": 0,
        "quota_bytes": server.settings.sync_quota_bytes, "last_seq": 0, "message": ""}
    # The key: made once, re-wrapped later, never replaced; versions guard against two devices at once.
    assert server.call("GET", "/api/sync/key", ann).json()["error"]["code"] == "NO_KEY"
    first = {"expected_version": 0, "wrapped": {"passphrase": {"ct": "x"}}, "key_check": "c0ffee0123456789"}
    assert server.call("PUT", "/api/sync/key", ann, json=first).json()["data"] == {"version": 1}
    again = server.call("PUT", "/api/sync/key", ann, json=first | {"key_check": "0123456789abcdef"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "VERSION_CONFLICT"
    other = server.call("PUT", "/api/sync/key", ann, json=first | {"expected_version": 1, "key_check": "99" * 8})
    assert other.status_code == 409 and other.json()["error"]["code"] == "KEY_MISMATCH"
    rewrap = first | {"expected_version": 1, "wrapped": {"passphrase": {"ct": "y"}}}
    assert server.call("PUT", "/api/sync/key", ann, json=rewrap).json()["data"] == {"version": 2}
    assert server.call("GET", "/api/sync/key", ann).json()["data"] == {
        "version": 2, "wrapped": {"passphrase": {"ct": "y"}}, "key_check": "c0ffee0123456789"}
    assert server.call("GET", "/api/sync/key", bob).status_code == 404

    raw = bytes(range(256))  # any bytes: the server stores them as they are and never parses them
    batch = [_msg("m1", payload=raw), _msg("m2"), _msg("m3", DESKTOP)]
    assert _push(server, ann, batch).json()["data"] == {"accepted": 3, "duplicates": 0, "last_seq": 3}
    # A retry of a batch that was stored, with one new message and one repeated inside the batch.
    retry = _push(server, ann, [batch[1], _msg("m4", DESKTOP), _msg("m4", DESKTOP)]).json()["data"]
    assert retry == {"accepted": 1, "duplicates": 2, "last_seq": 4}

    page = _pull(server, ann, after=0, limit=2)
    assert [m["id"] for m in page["messages"]] == ["m1", "m2"] and page["more"] and page["last_seq"] == 2
    assert base64.b64decode(page["messages"][0]["payload"]) == raw
    assert page["messages"][0]["seq"] == 1 and page["messages"][0]["hlc"] == batch[0]["hlc"]
    rest = _pull(server, ann, after=page["last_seq"], limit=2)
    assert [m["id"] for m in rest["messages"]] == ["m3", "m4"] and not rest["more"] and rest["last_seq"] == 4
    theirs = _pull(server, ann, after=0, exclude_device=LAPTOP)  # the laptop does not get its own back
    assert [m["id"] for m in theirs["messages"]] == ["m3", "m4"] and theirs["last_seq"] == 4
    mine_only = _pull(server, ann, after=2, exclude_device=DESKTOP)  # nothing left, the cursor still moves on
    assert mine_only == {"messages": [], "last_seq": 4, "more": False}
    assert _pull(server, bob, after=0) == {"messages": [], "last_seq": 0, "more": False}

    with server.client.app.state.db.session(write=False) as s:
        stored = s.scalar(select(models.SyncMessage.payload).where(models.SyncMessage.user_id == ann.id,
                                                                     models.SyncMessage.msg_id == "m1"))
    assert bytes(stored) == raw
    status = _status(server, ann)
    assert (status["key"], status["messages"], status["last_seq"]) == (True, 4, 4)
    assert status["bytes"] == len(raw) + len(b"sealed m2") + len(b"sealed m3") + len(b"sealed m4")


def test_a_refused_batch_stores_nothing(server_factory):
    srv = server_factory(sync_quota_bytes=1000)
    ann = srv.person()
    assert _push(srv, ann, [_msg("keep")]).status_code == 200
    bad_payload = _push(srv, ann, [_msg("a1"), {**_msg("a2"), "payload": "not base64!"}, _msg("a3")])
    assert bad_payload.status_code == 422
    ahead = _push(srv, ann, [_msg("b1"), _msg("b2", ahead_ms=8 * DAY_MS)])
    assert ahead.status_code == 422 and ahead.json()["error"]["code"] == "CLOCK_AHEAD"
    assert ahead.json()["error"]["details"]["id"] == "b2"
    over = _push(srv, ann, [_msg("c1", payload=b"x" * 500), _msg("c2", payload=b"y" * 500)])
    assert over.status_code == 413 and over.json()["error"]["code"] == "QUOTA_EXCEEDED"
    assert [m["id"] for m in _pull(srv, ann, after=0)["messages"]] == ["keep"]
    assert _status(srv, ann)["last_seq"] == 1
    # Six days ahead is within the bound (a device whose clock runs ahead still syncs).
    assert _push(srv, ann, [_msg("d1", ahead_ms=6 * DAY_MS)]).json()["data"]["accepted"] == 1
    # Chunks count against the same quota.
    assert _chunk(srv, ann, "blobA", 0, b"z" * 990).json()["error"]["code"] == "QUOTA_EXCEEDED"
    # An Idempotency-Key does not freeze a refusal: sync answers are never stored for replay.
    key = {"Idempotency-Key": "push-1"}
    assert _push(srv, ann, [_msg("e1", payload=b"e" * 990)], headers=key).status_code == 413
    assert srv.call("DELETE", "/api/sync/data", ann).status_code == 200
    retried = _push(srv, ann, [_msg("e1", payload=b"e" * 990)], headers=key)
    assert retried.status_code == 200 and "idempotent-replay" not in retried.headers
    assert _push(srv, ann, [_msg("e1")], headers=key).json()["data"]["duplicates"] == 1


def test_two_devices_push_at_once_and_a_puller_misses_nothing(server):
    """Sequence numbers are handed out under the user's lock in commit order: gapless, unique, and a puller
    running all along sees every message exactly once."""
    ann = server.person()
    batches, per = 12, 10
    done = threading.Event()

    def device(name: str) -> None:
        for b in range(batches):
            r = _push(server, ann, [_msg(f"{name}-{b}-{i}", name) for i in range(per)])
            assert r.status_code == 200, r.text

    def puller() -> list[dict]:
        seen, cursor = [], 0
        while True:
            finished = done.is_set()
            page = _pull(server, ann, after=cursor, limit=7)
            seen += page["messages"]
            cursor = page["last_seq"]
            if finished and not page["more"]:
                return seen

    with ThreadPoolExecutor(3) as pool:
        reading = pool.submit(puller)
        writers = [pool.submit(device, name) for name in (LAPTOP, DESKTOP)]
        try:
            for w in writers:
                w.result()
        finally:
            done.set()  # the puller ends even when a writer failed
        seen = reading.result()
    expected = {f"{d}-{b}-{i}" for d in (LAPTOP, DESKTOP) for b in range(batches) for i in range(per)}
    assert sorted(m["seq"] for m in seen) == list(range(1, len(expected) + 1))
    assert [m["seq"] for m in seen] == sorted(m["seq"] for m in seen)
    assert {m["id"] for m in seen} == expected and len(seen) == len(expected)
    # Each device's batches keep their order and stay contiguous (one transaction each).
    for name in (LAPTOP, DESKTOP):
        seqs = [m["seq"] for m in seen if m["device"] == name]
        assert seqs == sorted(seqs)


def test_media_chunks_resume_complete_and_stay_private(server):
    ann, bob = server.person(), server.person()
    blob = "Kx9_blob-id"
    parts = [b"\x00\x01first" * 10, b"second" * 10, b"<html>third</html>"]
    assert _chunk(server, ann, blob, 0, parts[0]).json()["data"] == {"stored": True}
    assert _chunk(server, ann, blob, 1, parts[1]).status_code == 200
    info = server.call("GET", f"/api/sync/blobs/{blob}", ann).json()["data"]
    assert info == {"blob_id": blob, "chunks": [0, 1], "complete": False, "size": len(parts[0]) + len(parts[1])}
    early = server.call("POST", f"/api/sync/blobs/{blob}/complete", ann, json={"chunks": 3, "size": 200})
    assert early.status_code == 409 and early.json()["error"]["details"]["missing"] == [2]
    assert _chunk(server, ann, blob, 2, parts[2]).status_code == 200
    assert _chunk(server, ann, blob, 1, parts[1]).status_code == 200  # a resumed upload sends one again
    assert _status(server, ann)["blob_bytes"] == sum(map(len, parts))
    for _ in range(2):  # completing twice is harmless
        done = server.call("POST", f"/api/sync/blobs/{blob}/complete", ann, json={"chunks": 3, "size": 200})
        assert done.json()["data"] == {"complete": True}
    assert _chunk(server, ann, blob, 3, b"late").json()["error"]["code"] == "BLOB_COMPLETE"

    got = server.call("GET", f"/api/sync/blobs/{blob}/2", ann)
    assert got.content == parts[2] and got.headers["content-type"] == "application/octet-stream"
    assert got.headers["x-content-type-options"] == "nosniff"
    # Someone else's chunk and a chunk that does not exist get the same answer.
    theirs = server.call("GET", f"/api/sync/blobs/{blob}/2", bob)
    missing = server.call("GET", f"/api/sync/blobs/{blob}/7", ann)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "NOT_FOUND"
    assert server.call("GET", f"/api/sync/blobs/{blob}", bob).status_code == 404
    # The same id from someone else names a blob of their own: it never touches this one.
    assert _chunk(server, bob, blob, 2, b"bob's own bytes").status_code == 200
    assert server.call("GET", f"/api/sync/blobs/{blob}/2", ann).content == parts[2]
    assert server.call("GET", f"/api/sync/blobs/{blob}/2", bob).content == b"bob's own bytes"

    folder = blob_store.default_folder(server.settings)
    on_disk = sorted(p.read_bytes() for p in (folder / ann.id).rglob("*") if p.is_file())
    assert on_disk == sorted(parts)  # stored exactly as sent: the server never opens them

    assert _chunk(server, ann, "big", 0, b"b" * MAX_CHUNK_BYTES).status_code == 200
    too_big = _chunk(server, ann, "big", 1, b"b" * (MAX_CHUNK_BYTES + 1))
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "TOO_LARGE"


def test_delete_data_removes_everything_and_the_sequence_goes_on(server):
    ann = server.person()
    server.call("PUT", "/api/sync/key", ann, json={"expected_version": 0, "wrapped": {"v": 1}, "key_check": "ab" * 8})
    _push(server, ann, [_msg("m1"), _msg("m2")])
    _chunk(server, ann, "blob1", 0, b"chunk")
    folder = blob_store.default_folder(server.settings) / ann.id
    assert folder.is_dir()
    assert server.call("DELETE", "/api/sync/data", ann).json()["data"] == {"messages": 2, "blobs": 1}
    status = _status(server, ann)
    assert (status["key"], status["messages"], status["bytes"], status["blobs"], status["blob_bytes"]) == \
        (False, 0, 0, 0, 0)
    assert status["last_seq"] == 2 and not folder.exists()
    assert server.call("GET", "/api/sync/key", ann).status_code == 404
    assert server.call("GET", "/api/sync/blobs/blob1/0", ann).status_code == 404
    # A new key may be made (version 0 again); new messages continue the numbering, so cursors stay valid.
    new_key = {"expected_version": 0, "wrapped": {"v": 2}, "key_check": "cd" * 8}
    assert server.call("PUT", "/api/sync/key", ann, json=new_key).json()["data"] == {"version": 1}
    assert _push(server, ann, [_msg("m1")]).json()["data"] == {"accepted": 1, "duplicates": 0, "last_seq": 3}


def test_push_takes_a_large_batch_but_not_beyond_its_cap(server):
    ann = server.person()
    batch = [_msg(f"n{i}", payload=b"n" * 600_000) for i in range(3)]  # 2.4 MB of JSON: over the 1 MiB default cap
    assert _push(server, ann, batch).json()["data"]["accepted"] == 3
    huge = _push(server, ann, [_msg(f"h{i}", payload=b"h" * 700_000) for i in range(20)])
    assert huge.status_code == 413 and huge.json()["error"]["details"]["limit"] == PUSH_BODY_BYTES
    assert _push(server, ann, [_msg(f"x{i}") for i in range(1001)]).status_code == 422  # at most 1000


def test_the_migration_matches_the_models(server):
    with server.client.app.state.db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), models.Base.metadata) == []


def test_the_folder_store_takes_only_plain_names(tmp_path):
    store = FolderBlobStore(tmp_path)
    store.put("user-1", "blob_1", 0, b"abc")
    assert store.get("user-1", "blob_1", 0) == b"abc" and store.size("user-1", "blob_1", 0) == 3
    assert store.exists("user-1", "blob_1", 0) and not store.exists("user-1", "blob_1", 1)
    for bad in ("../x", "a/b", "", ".."):
        with pytest.raises(ValueError):
            store.put("user-1", bad, 0, b"x")
    store.delete_user("user-1")
    assert store.get("user-1", "blob_1", 0) is None and list(tmp_path.iterdir()) == []
