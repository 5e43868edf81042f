"""Sync server /api/notify (pull, read state, Server-Sent Events) and /api/game (weekly points, leaderboards)."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest

from sync_server import models, periodic
from sync_server.classes import reminders
from sync_server.models import utcnow
from sync_server.notify import service as notifications

WAIT = 60  # seconds a test waits for the server thread before giving up (a hang guard, not a speed check)


def _data(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def _group_of(server, *people) -> str:
    owner = people[0]
    group = _data(server.call("POST", "/api/social/groups", owner, json={"name": "Chem"}), 201)
    for p in people[1:]:
        _data(server.call("POST", "/api/social/groups/join", p, json={"invite_code": group["invite_code"]}))
    return group["id"]


def _say(server, who, gid: str, body: str) -> int:
    return _data(server.call("POST", f"/api/social/groups/{gid}/messages", who, json={"body": body}), 201)["id"]


def _events(text: str) -> list[dict]:
    """Parse an SSE body into events with id, event and JSON data (comments dropped)."""
    out = []
    for block in text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            key, _, value = line.partition(":")
            fields[key] = value.removeprefix(" ")
        if "data" in fields:
            out.append({"id": fields.get("id"), "event": fields.get("event"), "data": json.loads(fields["data"])})
    return out


# --- pull ---

def test_pull_read_and_read_all(server):
    ann, ben = server.person("student", "Ann"), server.person("student", "Ben")
    gid = _group_of(server, ann, ben)
    for i in range(3):
        _say(server, ben, gid, f"hello {i}")
    page = _data(server.call("GET", "/api/notify", ann))
    kinds = [n["kind"] for n in page["items"]]
    assert kinds == ["message", "message", "message", "group"] and page["unread_count"] == 4
    newest = page["items"][0]
    assert newest["title"] == "Ben in Chem" and newest["body"] == "hello 2" and newest["read"] is False
    assert newest["data"]["group_id"] == gid and isinstance(newest["data"]["message_id"], int)

    ids = [n["id"] for n in page["items"]]
    assert ids == sorted(ids, reverse=True)
    caught_up = _data(server.call("GET", "/api/notify", ann, params={"after_id": ids[2], "limit": 2}))
    assert [n["id"] for n in caught_up["items"]] == [ids[1], ids[0]]

    read = _data(server.call("POST", f"/api/notify/{ids[0]}/read", ann))
    assert read["read"] is True and read["id"] == ids[0]
    unread = _data(server.call("GET", "/api/notify", ann, params={"unread_only": True}))
    assert [n["id"] for n in unread["items"]] == ids[1:] and unread["unread_count"] == 3

    # Someone else's notification is not found, and stays unread.
    assert server.call("POST", f"/api/notify/{ids[1]}/read", ben).status_code == 404
    assert server.call("POST", "/api/notify/999999/read", ann).status_code == 404
    assert _data(server.call("POST", "/api/notify/read-all", ann))["marked"] == 3
    assert _data(server.call("GET", "/api/notify", ann))["unread_count"] == 0
    assert _data(server.call("POST", "/api/notify/read-all", ann))["marked"] == 0
    assert _data(server.call("GET", "/api/notify", ben))["items"] == []  # ben wrote; he is not notified

    assert server.call("GET", "/api/notify", None).status_code == 401
    assert server.call("GET", "/api/notify", ann, params={"limit": 0}).status_code == 422
    assert server.call("POST", "/api/notify/abc/read", ann).status_code == 422
    assert server.call("POST", f"/api/notify/{2**31 - 1}/read", ann).status_code == 404
    assert server.call("POST", f"/api/notify/{2**31}/read", ann).status_code == 422
    assert server.call("GET", "/api/notify", ann, params={"after_id": 2**31}).status_code == 422


def test_push_dedupe_key_once_per_user(server):
    ann, ben = server.person("student"), server.person("student")
    with server.client.app.state.db.session() as s:
        assert notifications.push(s, [ann.id, ben.id, ann.id], "due_soon", "Essay due", dedupe_key="due:x") == 2
    with server.client.app.state.db.session() as s:
        assert notifications.push(s, [ann.id, ben.id], "due_soon", "Essay due", dedupe_key="due:x") == 0
    assert [n["kind"] for n in _data(server.call("GET", "/api/notify", ann))["items"]] == ["due_soon"]


def test_due_soon_sweep_and_sweeper(server):
    teacher, ann = server.person("teacher"), server.person("student")
    db = server.client.app.state.db
    with db.session() as s:
        klass = models.SchoolClass(name="History", teacher_id=teacher.id, join_code="HIST2345")
        s.add(klass)
        s.flush()
        s.add_all([models.ClassMember(class_id=klass.id, user_id=teacher.id, role="teacher"),
                   models.ClassMember(class_id=klass.id, user_id=ann.id, role="student")])
        s.add(models.Assignment(class_id=klass.id, title="Essay", created_by=teacher.id,
                                due_at=utcnow() + timedelta(hours=3)))
    assert reminders.due_soon_sweep(db.session) == 1
    assert reminders.due_soon_sweep(db.session) == 0  # deduped: once per assignment and student
    items = _data(server.call("GET", "/api/notify", ann))["items"]
    assert [n["kind"] for n in items] == ["due_soon"] and items[0]["title"] == "Essay is due soon"

    async def one_pass():
        task = periodic.every(3600, lambda: reminders.due_soon_sweep(db.session), "due-soon sweep")
        await asyncio.sleep(0)  # let it start its first pass
        while not task.done() and _count() == 1:
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    def _count() -> int:
        with db.session(write=False) as s:
            return s.query(models.Notification).filter_by(user_id=ann.id).count()

    with db.session() as s:  # a second assignment due soon: the loop's first pass must push it
        klass_id = s.query(models.SchoolClass.id).scalar()
        s.add(models.Assignment(class_id=klass_id, title="Quiz", created_by=teacher.id,
                                due_at=utcnow() + timedelta(hours=1)))
    asyncio.run(asyncio.wait_for(one_pass(), WAIT))
    assert _count() == 2


# --- Server-Sent Events ---

def test_stream_once_and_last_event_id_resume(server):
    ann, ben = server.person("student", "Ann"), server.person("student", "Ben")
    gid = _group_of(server, ann, ben)
    _data(server.call("POST", "/api/notify/read-all", ann))  # the "joined" notice is read: not pending any more
    said = [_say(server, ben, gid, f"m{i}") for i in range(4)]

    r = server.call("GET", "/api/notify/stream", ann, params={"once": "true"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r.text)
    assert [e["event"] for e in events] == ["notification"] * 4
    assert [e["data"]["data"]["message_id"] for e in events] == said
    assert [int(e["id"]) for e in events] == [e["data"]["id"] for e in events]

    # Resume after the second event: only the last two come back, read or not.
    _data(server.call("POST", "/api/notify/read-all", ann))
    resumed = _events(server.call("GET", "/api/notify/stream", ann, params={"once": "true"},
                                  headers={"Last-Event-ID": events[1]["id"]}).text)
    assert [e["data"]["data"]["message_id"] for e in resumed] == said[2:]
    by_query = _events(server.call("GET", "/api/notify/stream", ann,
                                   params={"once": "true", "after_id": events[2]["id"]}).text)
    assert [e["data"]["data"]["message_id"] for e in by_query] == said[3:]
    # Nothing unread and no cursor: nothing pending.
    assert _events(server.call("GET", "/api/notify/stream", ann, params={"once": "true"}).text) == []
    # Another person's stream never carries ann's notifications.
    assert _events(server.call("GET", "/api/notify/stream", ben, params={"once": "true", "after_id": 0}).text) == []

    assert server.call("GET", "/api/notify/stream", None, params={"once": "true"}).status_code == 401
    assert server.call("GET", "/api/notify/stream", ann, params={"once": "true"},
                       headers={"Last-Event-ID": "x"}).status_code == 422
    assert server.call("GET", "/api/notify/stream", ann, params={"once": "true"},
                       headers={"Last-Event-ID": str(2**31)}).status_code == 422


def test_stream_without_cursor_sends_every_unread_in_batches(server):
    ann = server.person("student")
    with server.client.app.state.db.session() as s:
        for i in range(notifications.STREAM_BATCH * 2 + 5):
            notifications.push(s, [ann.id], "group", f"notice {i}")
    first = _data(server.call("GET", "/api/notify", ann, params={"limit": 1}))["items"][0]["id"]
    _data(server.call("POST", f"/api/notify/{first}/read", ann))  # the newest is read: not sent
    events = _events(server.call("GET", "/api/notify/stream", ann, params={"once": "true"}).text)
    titles = [e["data"]["title"] for e in events]
    assert titles == [f"notice {i}" for i in range(notifications.STREAM_BATCH * 2 + 4)]


@contextmanager
def _live(server, person, params=None):
    """Read the live stream in a thread, yielding its queue of (kind, value) once ': connected' arrived.
    On the way out the person signs out, which must end the stream (checked), so a failing test cannot hang."""
    lines: queue.Queue = queue.Queue()

    def read():
        try:
            with server.client.stream("GET", "/api/notify/stream", headers=person.headers,
                                      params=params) as response:
                lines.put(("status", response.status_code))
                for line in response.iter_lines():
                    lines.put(("line", line))
        finally:
            lines.put(("closed", None))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert lines.get(timeout=WAIT) == ("status", 200)
        while lines.get(timeout=WAIT) != ("line", ": connected"):
            pass
        yield lines
    finally:
        server.call("POST", "/api/auth/logout", person)
        reader.join(WAIT)
    rest = []
    while not lines.empty():
        rest.append(lines.get_nowait())
    assert not reader.is_alive() and ("line", "event: end") in rest and rest[-1] == ("closed", None)


def _next_event(lines) -> dict:
    give_up = time.monotonic() + WAIT  # keepalive lines arrive every 15 s, so each get alone would never time out
    while True:
        kind, line = lines.get(timeout=max(0.0, give_up - time.monotonic()))
        assert kind == "line", "the stream ended before the event arrived"
        if line.startswith("data: "):
            return json.loads(line[6:])


def test_live_stream_sees_a_message_posted_after_it_opened_and_ends_on_sign_out(server):
    ann, ben = server.person("student", "Ann"), server.person("student", "Ben")
    gid = _group_of(server, ann, ben)
    _data(server.call("POST", "/api/notify/read-all", ann))
    with _live(server, ann) as lines:  # leaving signs ann out: the stream must end with "event: end"
        posted = _say(server, ben, gid, "are you there?")  # strictly after the stream opened
        event = _next_event(lines)
        assert event["kind"] == "message" and event["body"] == "are you there?"
        assert event["data"]["message_id"] == posted
        _say(server, ben, gid, "second")
        assert _next_event(lines)["body"] == "second"


def test_live_stream_sends_a_late_commit_below_its_cursor_once(server):
    ann = server.person("student")
    db = server.client.app.state.db
    with db.session() as s:
        for title in ("one", "two", "three"):
            notifications.push(s, [ann.id], "group", title)
    ids = [n["id"] for n in _data(server.call("GET", "/api/notify", ann))["items"]][::-1]
    with db.session() as s:  # free the middle id: a transaction holding it has not committed yet
        s.delete(s.get(models.Notification, ids[1]))
    with _live(server, ann, {"after_id": ids[2]}) as lines:
        with db.session() as s:  # ...and now it commits, below the cursor the stream already passed
            s.add(models.Notification(id=ids[1], user_id=ann.id, kind="group", title="late"))
        assert _next_event(lines)["title"] == "late"
        with db.session() as s:
            notifications.push(s, [ann.id], "group", "after")
        assert _next_event(lines)["title"] == "after"  # "late" was not sent a second time


# --- leaderboards ---

def _opt_in(server, person, flag: bool = True) -> None:
    _data(server.call("PATCH", "/api/auth/me", person, json={"leaderboard_opt_in": flag}))


def _class_with(server, teacher, *students) -> str:
    with server.client.app.state.db.session() as s:
        klass = models.SchoolClass(name="Physics", teacher_id=teacher.id, join_code=f"P{teacher.id[:7].upper()}")
        s.add(klass)
        s.flush()
        s.add(models.ClassMember(class_id=klass.id, user_id=teacher.id, role="teacher"))
        s.add_all(models.ClassMember(class_id=klass.id, user_id=p.id, role="student") for p in students)
        return klass.id


def _week(server, person) -> str:
    return _data(server.call("GET", "/api/game/leaderboards/connections", person))["week_start"]


def test_points_validation_and_last_write_wins(server):
    ann = server.person("student")
    from sync_server.game.service import current_week

    monday = current_week()
    first = _data(server.call("POST", "/api/game/points", ann, json={"week_start": str(monday), "points": 40}))
    assert first["points"] == 40 and first["week_start"] == str(monday)
    assert _data(server.call("POST", "/api/game/points", ann,
                             json={"week_start": str(monday), "points": 25}))["points"] == 25
    old = monday - timedelta(weeks=8)
    assert _data(server.call("POST", "/api/game/points", ann, json={"week_start": str(old), "points": 5}))
    for week in (monday + timedelta(days=1), monday - timedelta(weeks=9), monday + timedelta(weeks=1)):
        r = server.call("POST", "/api/game/points", ann, json={"week_start": str(week), "points": 1})
        assert r.status_code == 422, week
    for body in ({"week_start": str(monday), "points": -1}, {"week_start": "not a date", "points": 1},
                 {"points": 3}):
        assert server.call("POST", "/api/game/points", ann, json=body).status_code == 422
    with server.client.app.state.db.session(write=False) as s:
        assert s.get(models.WeeklyPoints, (ann.id, monday)).points == 25


def test_class_and_connection_leaderboards_with_opt_in(server):
    teacher = server.person("teacher", "Ms Tea")
    ann, ben, cal, dan = (server.person("student", n) for n in ("Ann", "Ben", "Cal", "Dan"))
    outsider = server.person("student", "Out")
    class_id = _class_with(server, teacher, ann, ben, cal, dan)
    week = _week(server, ann)
    for person, pts in ((ann, 50), (ben, 80), (cal, 100), (dan, 50), (outsider, 999)):
        _data(server.call("POST", "/api/game/points", person, json={"week_start": week, "points": pts}))
    for person in (ann, ben, dan, outsider):
        _opt_in(server, person)  # cal keeps their points private

    board = _data(server.call("GET", f"/api/game/leaderboards/class/{class_id}", ann))
    assert board["opted_in"] is True and board["week_start"] == week and board["scope"] == "class"
    assert [(r["display_name"], r["rank"], r["points"]) for r in board["rows"]] == \
        [("Ben", 1, 80), ("Ann", 2, 50), ("Dan", 2, 50)]
    assert [r["me"] for r in board["rows"]] == [False, True, False]

    seen_by_cal = _data(server.call("GET", f"/api/game/leaderboards/class/{class_id}", cal))
    assert seen_by_cal["opted_in"] is False and all(r["display_name"] != "Cal" for r in seen_by_cal["rows"])
    assert not any(r["me"] for r in seen_by_cal["rows"])
    assert len(_data(server.call("GET", f"/api/game/leaderboards/class/{class_id}", teacher))["rows"]) == 3

    # Another week: nobody reported, opted-in members show with 0.
    last = _data(server.call("GET", f"/api/game/leaderboards/class/{class_id}", ann,
                             params={"week_start": "2026-01-07"}))
    assert last["week_start"] == "2026-01-05" and {r["points"] for r in last["rows"]} == {0}
    assert {r["rank"] for r in last["rows"]} == {1}

    assert server.call("GET", f"/api/game/leaderboards/class/{class_id}", outsider).status_code == 404
    assert server.call("GET", "/api/game/leaderboards/class/no-such-class", ann).status_code == 404
    assert server.call("GET", f"/api/game/leaderboards/class/{class_id}", ann,
                       params={"week_start": "soon"}).status_code == 422

    # Connections: me and accepted connections who opted in; a pending request does not count.
    ok = _data(server.call("POST", "/api/social/connections", ann, json={"email": ben.email}), 201)
    _data(server.call("POST", f"/api/social/connections/{ok['id']}/accept", ben))
    _data(server.call("POST", "/api/social/connections", ann, json={"email": outsider.email}), 201)
    accepted_cal = _data(server.call("POST", "/api/social/connections", cal, json={"email": ann.email}), 201)
    _data(server.call("POST", f"/api/social/connections/{accepted_cal['id']}/accept", ann))
    mine = _data(server.call("GET", "/api/game/leaderboards/connections", ann))
    assert mine["scope"] == "connections" and mine["class_id"] is None
    assert [(r["display_name"], r["rank"], r["me"]) for r in mine["rows"]] == [("Ben", 1, False), ("Ann", 2, True)]

    _opt_in(server, ann, False)
    mine = _data(server.call("GET", "/api/game/leaderboards/connections", ann))
    assert mine["opted_in"] is False and [r["display_name"] for r in mine["rows"]] == ["Ben"]
