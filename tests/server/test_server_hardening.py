"""The sync server under attack-shaped requests: failed auth calls are throttled, bodies are capped, deep nesting is
refused, replays need a live session, uploaded content types cannot break a download, and token answers are not
cached."""

from __future__ import annotations

import base64
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from server_fixtures import PASSWORD, STRONG_SECRET, free_port, servers
from sync_server import models
from sync_server.app import create_app
from sync_server.http_protocol import GuardedHttpToolsProtocol
from sync_server.security.tokens import issue_access
from sync_server.settings import ServerSettings


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def lite(tmp_path):
    """make(**settings): a server on its own SQLite file (for checks that do not depend on the database kind)."""
    yield from servers(lambda n: f"sqlite:///{tmp_path / f'server{n}.sqlite3'}")


def _from(srv, address: str) -> TestClient:
    """Another client address on the same running app (the throttle counts per address)."""
    return TestClient(srv.client.app, client=(address, 40000))


# --- item 7: failed authentication calls count ---

def test_failing_auth_calls_count_against_the_address_limit(server_factory):
    srv = server_factory(rate_limit_per_minute=3)
    someone = srv.person()  # from "testclient"
    failing = {
        "sign-up with a taken email": ("/api/auth/register", {"email": someone.email, "password": PASSWORD,
                                                              "display_name": "Copy"}, 409),
        "junk refresh token": ("/api/auth/refresh", {"refresh_token": "junk"}, 401),
        "junk reset code": ("/api/auth/password/reset/confirm", {"token": "junk", "new_password": PASSWORD}, 400),
        "forgot password": ("/api/auth/password/reset/request", {"email": someone.email}, 202),
    }
    for n, (what, (path, body, status)) in enumerate(failing.items()):
        client = _from(srv, f"10.0.0.{n + 1}")
        for _ in range(3):
            assert client.post(path, json=body).status_code == status, what
        refused = client.post(path, json=body)
        assert refused.status_code == 429, what
        assert int(refused.headers["Retry-After"]) >= 1
    # Other addresses are not affected.
    assert _from(srv, "10.0.0.99").post("/api/auth/refresh", json={"refresh_token": "junk"}).status_code == 401


def test_wrong_current_passwords_are_throttled_per_account(server_factory):
    srv = server_factory(login_failures_allowed=3)
    me, other = srv.person(), srv.person()
    change = {"current_password": "not my password at all", "new_password": "a brand new pass phrase 7"}
    for _ in range(3):
        assert srv.call("POST", "/api/auth/password/change", me, json=change).status_code == 403
    right = {**change, "current_password": PASSWORD}
    refused = srv.call("POST", "/api/auth/password/change", me, json=right)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) >= 1
    # Another account is not locked out, and a right password clears its earlier failures.
    assert srv.call("POST", "/api/auth/password/change", other, json=change).status_code == 403
    assert srv.call("POST", "/api/auth/password/change", other, json=right).status_code == 200


# --- item 8: body caps and deep nesting ---

def test_bodies_over_the_cap_get_413_on_every_route_and_uploads_get_more(lite):
    srv = lite(max_body_bytes=4096, max_upload_bytes=64 * 1024)
    teacher = srv.person("teacher")
    big_json = {"name": "Biology", "description": "x" * 5000}
    for who, path in ((teacher, "/api/classes"), (None, "/api/auth/login"), (None, "/api/auth/register")):
        r = srv.call("POST", path, who, json=big_json)
        assert r.status_code == 413, (path, r.text)
        assert r.json()["error"]["code"] == "TOO_LARGE" and r.json()["error"]["details"]["limit"] == 4096
    # A streamed (chunked) body without a Content-Length is cut off the same way.
    chunks = (b'{"name": "' if i == 0 else b"y" * 1000 for i in range(10))
    r = srv.call("POST", "/api/classes", teacher, content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert srv.call("GET", "/api/classes", teacher).json()["data"] == []  # nothing was made
    # File uploads may be larger than the general cap, up to their own.
    cid = srv.call("POST", "/api/classes", teacher, json={"name": "Biology"}).json()["data"]["id"]
    path = f"/api/classes/{cid}/assignments"
    fine = srv.call("POST", path, teacher, json={"title": "Lab", "attachments": [
        {"file_name": "lab.pdf", "content_base64": b64(b"%PDF" * 5000)}]})
    assert fine.status_code == 201, fine.text
    assert srv.call("POST", path, teacher, json={"title": "Lab", "attachments": [
        {"file_name": "lab.pdf", "content_base64": b64(b"%PDF" * 20000)}]}).status_code == 413


def test_deeply_nested_json_is_a_4xx_never_a_500(lite):
    srv = lite()
    teacher = srv.person("teacher")
    # Depths just below what the JSON parser accepts (about 950 here) used to overflow a recursive walk of the body
    # (a 500); deeper ones the parser refuses itself (400).
    for who, path, depths in ((None, "/api/auth/login", [*range(28, 36), *range(850, 1000), 100_000]),
                              (teacher, "/api/classes", [*range(900, 1000, 2), *range(901, 1000, 6)])):
        for depth in depths:
            nested = "[" * depth + "]" * depth if depth % 2 else '{"a":' * depth + "1" + "}" * depth
            body = '{"name": ' + nested + ', "email": ' + nested + "}"
            r = srv.call("POST", path, who, content=body, headers={"Content-Type": "application/json"})
            assert 400 <= r.status_code < 500, (path, depth, r.status_code, r.text[:200])


# --- item 9: replays only to a live session ---

def test_a_stored_answer_is_replayed_only_to_a_live_session(server):
    teacher = server.person("teacher")
    key = {"Idempotency-Key": "create-biology-1"}
    first = server.call("POST", "/api/classes", teacher, json={"name": "Biology"}, headers=key)
    assert first.status_code == 201
    again = server.call("POST", "/api/classes", teacher, json={"name": "Biology"}, headers=key)
    assert again.status_code == 201 and again.headers.get("idempotent-replay") == "true"

    expired = issue_access(server.settings.signing_key, teacher.id, teacher.session_id, "teacher", minutes=-10)
    r = server.client.post("/api/classes", json={"name": "Biology"},
                           headers={**key, "Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and "data" not in r.json()

    assert server.call("POST", "/api/auth/logout", teacher).status_code == 200
    r = server.call("POST", "/api/classes", teacher, json={"name": "Biology"}, headers=key)
    assert r.status_code == 401 and "data" not in r.json(), r.text
    assert "idempotent-replay" not in r.headers


def test_answers_with_tokens_are_not_cached_or_stored_for_replay(lite):
    srv = lite()
    me = srv.person()
    answers = [
        srv.client.post("/api/auth/register", json={"email": "new@school.example", "password": PASSWORD,
                                                     "display_name": "New"}),
        srv.client.post("/api/auth/login", json={"email": me.email, "password": PASSWORD}),
        srv.client.post("/api/auth/refresh", json={"refresh_token": me.refresh}),
        srv.call("POST", "/api/auth/login", me, json={"email": me.email, "password": PASSWORD},
                 headers={"Idempotency-Key": "login-1"}),
    ]
    for r in answers:
        assert r.status_code in (200, 201), r.text
        assert "refresh_token" in r.json()["data"]
        assert r.headers["Cache-Control"] == "no-store"
    with srv.client.app.state.db.session(write=False) as s:  # a token pair never rests in the replay store
        assert s.scalar(select(func.count()).select_from(models.IdempotentRequest)) == 0


# --- item 10: uploaded files ---

BAD_TYPES = ["text/html\r\nSet-Cookie: stolen=1", "text/plain\nX-Evil: 1", "text/plain; charset=ütf-8",
             "application/✓", "no slash at all"]


def _class_with_student(srv):
    teacher, student = srv.person("teacher"), srv.person("student")
    klass = srv.call("POST", "/api/classes", teacher, json={"name": "Biology"}).json()["data"]
    srv.call("POST", "/api/classes/join", student, json={"join_code": klass["join_code"]})
    return teacher, student, klass["id"]


def test_uploads_with_a_malformed_content_type_are_refused(lite):
    srv = lite()
    teacher, student, cid = _class_with_student(srv)
    group = srv.call("POST", "/api/social/groups", student, json={"name": "Study"}).json()["data"]
    work = srv.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "Lab"}).json()["data"]
    for kind in BAD_TYPES:
        file = {"file_name": "notes.txt", "content_type": kind, "content_base64": b64(b"hello")}
        for who, path, body in (
                (teacher, f"/api/classes/{cid}/assignments", {"title": "Lab", "attachments": [file]}),
                (student, f"/api/classes/assignments/{work['id']}/submissions", {"kind": "file", **file}),
                (student, f"/api/social/groups/{group['id']}/shares", {"kind": "deck", "title": "Deck", **file})):
            r = srv.call("POST", path, who, json=body)
            assert r.status_code == 422, (path, kind, r.status_code, r.text[:200])
    # A well-formed type with parameters is kept as given.
    ok = srv.call("POST", f"/api/social/groups/{group['id']}/shares", student, json={
        "kind": "deck", "title": "Deck", "file_name": "deck.csv", "content_type": 'text/csv; charset="utf-8"',
        "content_base64": b64(b"front,back\n")})
    assert ok.status_code == 201 and ok.json()["data"]["content_type"] == 'text/csv; charset="utf-8"'


def test_every_download_is_nosniff_and_a_stored_bad_type_is_served_as_bytes(lite):
    srv = lite()
    teacher, student, cid = _class_with_student(srv)
    work = srv.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "Lab", "attachments": [
        {"file_name": "lab.html", "content_type": "text/html", "content_base64": b64(b"<script>1</script>")}]})
    file_id = work.json()["data"]["attachments"][0]["id"]
    group = srv.call("POST", "/api/social/groups", student, json={"name": "Study"}).json()["data"]
    share = srv.call("POST", f"/api/social/groups/{group['id']}/shares", student, json={
        "kind": "deck", "title": "Deck", "file_name": "deck.csv", "content_base64": b64(b"a,b\n")}).json()["data"]
    # A row stored before content types were checked.
    with srv.client.app.state.db.session() as s:
        s.get(models.Attachment, file_id).content_type = "text/html\r\nSet-Cookie: stolen=1"
    downloads = [srv.call("GET", f"/api/classes/attachments/{file_id}", student),
                 srv.call("GET", f"/api/social/groups/{group['id']}/shares/{share['id']}/file", student)]
    for r in downloads:
        assert r.status_code == 200, r.text
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert "set-cookie" not in r.headers
    assert downloads[0].headers["Content-Type"] == "application/octet-stream"
    assert downloads[0].content == b"<script>1</script>"


def test_a_file_that_is_not_yours_answers_like_one_that_does_not_exist(lite):
    srv = lite()
    teacher, student, cid = _class_with_student(srv)
    other_class = srv.call("POST", "/api/classes", teacher, json={"name": "Chemistry"}).json()["data"]["id"]
    theirs = srv.call("POST", f"/api/classes/{other_class}/assignments", teacher, json={"title": "Lab", "attachments": [
        {"file_name": "lab.pdf", "content_base64": b64(b"%PDF")}]}).json()["data"]
    classmate = srv.person("student")
    srv.call("POST", "/api/classes/join", classmate,
             json={"join_code": srv.call("GET", f"/api/classes/{cid}", teacher).json()["data"]["join_code"]})
    work = srv.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "Essay"}).json()["data"]
    handed_in = srv.call("POST", f"/api/classes/assignments/{work['id']}/submissions", student, json={
        "kind": "file", "file_name": "mine.pdf", "content_base64": b64(b"%PDF mine")}).json()["data"]

    def error(who, file_id):
        r = srv.call("GET", f"/api/classes/attachments/{file_id}", who)
        assert r.status_code == 404, r.text
        return r.json()["error"]

    missing = error(student, "0123456789abcdef0123456789abcdef")
    assert error(student, theirs["attachments"][0]["id"]) == missing  # a file of a class I am not in
    assert error(classmate, handed_in["attachments"][0]["id"]) == missing  # another student's work
    assert srv.call("GET", f"/api/classes/attachments/{handed_in['attachments'][0]['id']}", teacher).status_code == 200


# --- item 8: idle and trickling connections (a real socket against uvicorn with the guarded protocol) ---

@pytest.fixture
def guarded(tmp_path):
    """The server on uvicorn with the guarded protocol, 0.5 s read timeouts and room for 4 connections."""
    settings = ServerSettings.from_env({"JWT_SECRET_KEY": STRONG_SECRET, "LMGPA_DEV": "0",
                                        "DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}",
                                        "HEADER_TIMEOUT_SECONDS": "0.5", "BODY_TIMEOUT_SECONDS": "0.5"})
    app = create_app(settings, reset_sender=lambda *_: None, background=False)
    protocol = GuardedHttpToolsProtocol.with_timeouts(settings.header_timeout_seconds, settings.body_timeout_seconds)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=protocol,
                                           limit_concurrency=4, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # bounded by the thread: a server that fails to start ends it
        assert thread.is_alive()
        thread.join(0.02)
    yield port
    server.should_exit = True
    thread.join()


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(10)  # far longer than the server's 0.5 s: without the guard the test fails here
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_idle_and_trickling_connections_are_closed_and_cannot_take_the_server(guarded):
    port = guarded
    half = [_connect(port) for _ in range(4)]  # as many as the server takes at once
    for sock in half:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # half a request head, then nothing
    trickle = _connect(port)
    for byte in b"GET /health HTTP/1.1\r\nHost: x\r\n":  # one byte at a time, never finishing in time
        try:
            trickle.send(bytes([byte]))
        except OSError:
            break
        time.sleep(0.05)
    for sock in [*half, trickle]:
        assert _read_all(sock) == b""  # closed by the server, with no answer
        sock.close()
    assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200  # not 503: the slots are free again

    # After an answer on a kept-alive connection the next head has the same deadline.
    with _connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        assert b"HTTP/1.1" not in _read_all(sock)

    # A body that stops arriving is closed; one that keeps coming (slowly) is read and answered.
    head = b"POST /api/auth/refresh HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n"
    with _connect(port) as sock:
        sock.sendall(head + b'{"refresh')
        assert _read_all(sock) == b""
    with _connect(port) as sock:
        sock.sendall(head)
        for byte in b'{"refresh_token": "0123456789"}'[:30]:
            sock.sendall(bytes([byte]))
            time.sleep(0.04)  # 1.2 s in all, never 0.5 s without a byte
        assert sock.recv(65536).startswith(b"HTTP/1.1 4")

    # A request head larger than the cap is refused.
    with _connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + b"a" * 70_000)
        assert _read_all(sock).startswith(b"HTTP/1.1 431")
