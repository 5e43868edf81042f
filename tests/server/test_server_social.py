"""Sync server /api/social: connections, study groups, messages with paging, shares with files, access rules."""

from __future__ import annotations

import base64
import os

from sync_server import models


def _data(response, status: int = 200):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    return body["error"]


def _kinds(server, person) -> list[str]:
    with server.client.app.state.db.session(write=False) as s:
        return [n.kind for n in s.query(models.Notification).filter_by(user_id=person.id)
                .order_by(models.Notification.id)]


# --- connections ---

def test_connection_request_accept_and_remove(server):
    ann, ben = server.person("student", "Ann"), server.person("student", "Ben")
    made = _data(server.call("POST", "/api/social/connections", ann, json={"email": ben.email.upper()}), 201)
    assert made["status"] == "pending" and made["other"]["id"] == ben.id and made["requester"]["id"] == ann.id
    assert "email" not in made["other"]
    assert _kinds(server, ben) == ["request"]

    mine = _data(server.call("GET", "/api/social/connections", ann))
    assert [c["id"] for c in mine["outgoing"]] == [made["id"]] and mine["incoming"] == [] and mine["connections"] == []
    theirs = _data(server.call("GET", "/api/social/connections", ben))
    assert [c["id"] for c in theirs["incoming"]] == [made["id"]] and theirs["outgoing"] == []

    # Only the addressee answers: the requester (and anyone else) gets 404.
    _error(server.call("POST", f"/api/social/connections/{made['id']}/accept", ann), 404)
    stranger = server.person("student")
    _error(server.call("POST", f"/api/social/connections/{made['id']}/accept", stranger), 404)
    _error(server.call("DELETE", f"/api/social/connections/{made['id']}", stranger), 404)

    accepted = _data(server.call("POST", f"/api/social/connections/{made['id']}/accept", ben))
    assert accepted["status"] == "accepted" and accepted["other"]["id"] == ann.id
    assert _kinds(server, ann) == ["connection"]
    assert [c["other"]["id"] for c in _data(server.call("GET", "/api/social/connections", ann))["connections"]] \
        == [ben.id]
    _error(server.call("POST", "/api/social/connections", ben, json={"email": ann.email}), 409)

    _data(server.call("DELETE", f"/api/social/connections/{made['id']}", ben))
    assert _data(server.call("GET", "/api/social/connections", ann))["connections"] == []
    _error(server.call("DELETE", f"/api/social/connections/{made['id']}", ann), 404)


def test_decline_duplicates_crossed_requests_and_validation(server):
    ann, ben, cat = server.person("student"), server.person("student"), server.person("teacher")
    first = _data(server.call("POST", "/api/social/connections", ann, json={"email": ben.email}), 201)
    _error(server.call("POST", "/api/social/connections", ann, json={"email": ben.email}), 409)
    declined = _data(server.call("POST", f"/api/social/connections/{first['id']}/decline", ben))
    assert declined["status"] == "declined"
    assert _data(server.call("GET", "/api/social/connections", ann))["outgoing"] == []
    _error(server.call("POST", f"/api/social/connections/{first['id']}/accept", ben), 404)  # no longer pending

    # Asking again after a decline is allowed; a crossed request (ben asks ann back) connects them at once.
    again = _data(server.call("POST", "/api/social/connections", ann, json={"email": ben.email}), 201)
    assert again["status"] == "pending"
    crossed = _data(server.call("POST", "/api/social/connections", ben, json={"email": ann.email}), 201)
    assert crossed["id"] == again["id"] and crossed["status"] == "accepted"
    assert "connection" in _kinds(server, ann)

    # Withdrawing a pending request: the requester deletes it.
    pending = _data(server.call("POST", "/api/social/connections", cat, json={"email": ann.email}), 201)
    _data(server.call("DELETE", f"/api/social/connections/{pending['id']}", cat))
    assert _data(server.call("GET", "/api/social/connections", ann))["incoming"] == []

    err = _error(server.call("POST", "/api/social/connections", ann, json={"email": "nobody@school.example"}), 404)
    assert err["message"] == "no account with that email"
    _error(server.call("POST", "/api/social/connections", ann, json={"email": ann.email}), 422)
    _error(server.call("POST", "/api/social/connections", ann, json={"email": "not an email"}), 422)
    _error(server.call("POST", "/api/social/connections", None, json={"email": ben.email}), 401)


# --- groups ---

def _group(server, owner, name="Biology crew"):
    return _data(server.call("POST", "/api/social/groups", owner, json={"name": name, "description": "cells"}), 201)


def test_group_create_join_by_code_and_roles(server):
    ann, ben, tea, out = (server.person("student", "Ann"), server.person("student", "Ben"),
                          server.person("teacher", "Tess"), server.person("student", "Out"))
    group = _group(server, ann)
    code = group["invite_code"]
    assert len(code) == 8 and set(code) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    assert group["my_role"] == "owner" and group["member_count"] == 1 and group["owner_id"] == ann.id

    joined = _data(server.call("POST", "/api/social/groups/join", ben, json={"invite_code": code.lower()}))
    assert joined["id"] == group["id"] and joined["my_role"] == "member" and joined["member_count"] == 2
    again = _data(server.call("POST", "/api/social/groups/join", ben, json={"invite_code": f"{code[:4]}-{code[4:]}"}))
    assert again["member_count"] == 2  # joining twice changes nothing
    _data(server.call("POST", "/api/social/groups/join", tea, json={"invite_code": code}))
    assert "group" in _kinds(server, ann)
    err = _error(server.call("POST", "/api/social/groups/join", out, json={"invite_code": "ZZZZZZZZ"}), 404)
    assert "invite code" in err["message"]

    assert [g["id"] for g in _data(server.call("GET", "/api/social/groups", ben))] == [group["id"]]
    assert _data(server.call("GET", "/api/social/groups", out)) == []
    detail = _data(server.call("GET", f"/api/social/groups/{group['id']}", tea))
    assert detail["invite_code"] == code and {m["id"] for m in detail["members"]} == {ann.id, ben.id, tea.id}
    assert detail["members"][0]["id"] == ann.id and detail["members"][0]["role"] == "owner"
    assert len(_data(server.call("GET", f"/api/social/groups/{group['id']}/members", ben))) == 3

    gid = group["id"]
    # Non-members: 404 on everything with the group's id; members without the role: 403.
    for method, path, body in [("GET", f"/api/social/groups/{gid}", None),
                               ("GET", f"/api/social/groups/{gid}/members", None),
                               ("PATCH", f"/api/social/groups/{gid}", {"name": "x"}),
                               ("DELETE", f"/api/social/groups/{gid}", None),
                               ("POST", f"/api/social/groups/{gid}/invite-code/reset", None),
                               ("POST", f"/api/social/groups/{gid}/owner", {"user_id": out.id}),
                               ("DELETE", f"/api/social/groups/{gid}/members/{ben.id}", None),
                               ("GET", f"/api/social/groups/{gid}/messages", None),
                               ("POST", f"/api/social/groups/{gid}/messages", {"body": "hi"}),
                               ("GET", f"/api/social/groups/{gid}/shares", None)]:
        err = _error(server.call(method, path, out, json=body), 404)
        assert code not in str(err)
    for method, path, body in [("PATCH", f"/api/social/groups/{gid}", {"name": "mine now"}),
                               ("DELETE", f"/api/social/groups/{gid}", None),
                               ("POST", f"/api/social/groups/{gid}/invite-code/reset", None),
                               ("POST", f"/api/social/groups/{gid}/owner", {"user_id": ben.id}),
                               ("DELETE", f"/api/social/groups/{gid}/members/{tea.id}", None)]:
        _error(server.call(method, path, ben, json=body), 403)

    renamed = _data(server.call("PATCH", f"/api/social/groups/{gid}", ann, json={"name": "Bio 2"}))
    assert renamed["name"] == "Bio 2" and renamed["description"] == "cells"
    _error(server.call("PATCH", f"/api/social/groups/{gid}", ann, json={"name": ""}), 422)
    _error(server.call("POST", "/api/social/groups", ann, json={"name": ""}), 422)
    # NUL characters cannot be stored by PostgreSQL: refused alike on both databases, in bodies and in ids.
    _error(server.call("POST", "/api/social/groups", ann, json={"name": "a\x00b"}), 422)
    _error(server.call("POST", f"/api/social/groups/{gid}/messages", ann, json={"body": "hi\x00"}), 422)
    _error(server.call("GET", f"/api/social/groups/{gid}%00", ann), 422)
    _error(server.call("GET", "/api/social/groups/" + "a" * 65, ann), 422)

    new_code = _data(server.call("POST", f"/api/social/groups/{gid}/invite-code/reset", ann))["invite_code"]
    assert new_code != code
    _error(server.call("POST", "/api/social/groups/join", out, json={"invite_code": code}), 404)
    _data(server.call("POST", "/api/social/groups/join", out, json={"invite_code": new_code}))
    _data(server.call("DELETE", f"/api/social/groups/{gid}/members/{out.id}", ann))  # owner removes
    _error(server.call("GET", f"/api/social/groups/{gid}", out), 404)


def test_leave_transfer_and_delete(server):
    ann, ben, cal = server.person("student"), server.person("student"), server.person("student")
    gid = _group(server, ann)["id"]
    code = _data(server.call("GET", f"/api/social/groups/{gid}", ann))["invite_code"]
    for p in (ben, cal):
        _data(server.call("POST", "/api/social/groups/join", p, json={"invite_code": code}))

    _data(server.call("DELETE", f"/api/social/groups/{gid}/members/{cal.id}", cal))  # a member leaves
    assert _data(server.call("GET", "/api/social/groups", cal)) == []
    _error(server.call("DELETE", f"/api/social/groups/{gid}/members/{cal.id}", ann), 404)  # already gone

    err = _error(server.call("DELETE", f"/api/social/groups/{gid}/members/{ann.id}", ann), 409)
    assert err["code"] == "OWNER_MUST_TRANSFER"
    _error(server.call("POST", f"/api/social/groups/{gid}/owner", ann, json={"user_id": cal.id}), 404)
    moved = _data(server.call("POST", f"/api/social/groups/{gid}/owner", ann, json={"user_id": ben.id}))
    assert moved["owner_id"] == ben.id and moved["my_role"] == "member"
    _error(server.call("PATCH", f"/api/social/groups/{gid}", ann, json={"name": "x"}), 403)
    _data(server.call("DELETE", f"/api/social/groups/{gid}/members/{ann.id}", ann))  # now ann may leave

    _data(server.call("POST", f"/api/social/groups/{gid}/messages", ben, json={"body": "alone now"}), 201)
    _data(server.call("POST", f"/api/social/groups/{gid}/shares", ben, json={
        "kind": "deck", "title": "d", "file_name": "d.apkg", "content_base64": base64.b64encode(b"PK").decode()}), 201)
    _data(server.call("DELETE", f"/api/social/groups/{gid}", ben))
    _error(server.call("GET", f"/api/social/groups/{gid}", ben), 404)
    with server.client.app.state.db.session(write=False) as s:
        assert s.query(models.Message).filter_by(group_id=gid).count() == 0
        assert s.query(models.Attachment).filter_by(owner_kind="share").count() == 0

    # The owner alone may leave: the group goes with them.
    solo = _group(server, cal)["id"]
    _data(server.call("DELETE", f"/api/social/groups/{solo}/members/{cal.id}", cal))
    with server.client.app.state.db.session(write=False) as s:
        assert s.get(models.StudyGroup, solo) is None


# --- messages ---

def test_messages_page_both_directions_over_120(server):
    ann, ben = server.person("student", "Ann"), server.person("student", "Ben")
    gid = _group(server, ann)["id"]
    code = _data(server.call("GET", f"/api/social/groups/{gid}", ann))["invite_code"]
    _data(server.call("POST", "/api/social/groups/join", ben, json={"invite_code": code}))
    posted = []
    for i in range(120):
        who = ann if i % 2 == 0 else ben
        posted.append(_data(server.call("POST", f"/api/social/groups/{gid}/messages", who,
                                        json={"body": f"message {i}"}), 201))
    ids = [m["id"] for m in posted]
    assert ids == sorted(ids) and posted[1]["author_name"] == "Ben"

    # Backwards, newest first, with the default page of 50.
    seen, before = [], None
    while True:
        page = _data(server.call("GET", f"/api/social/groups/{gid}/messages", ben,
                                 params={} if before is None else {"before": before}))
        got = [m["id"] for m in page["items"]]
        assert got == sorted(got, reverse=True) and len(got) <= 50
        seen += got
        before = page["next_before"]
        if before is None:
            break
    assert seen == ids[::-1]

    # Forwards, oldest first, 40 at a time from the start.
    seen, after = [], 0
    while after is not None:
        page = _data(server.call("GET", f"/api/social/groups/{gid}/messages", ann,
                                 params={"after": after, "limit": 40}))
        got = [m["id"] for m in page["items"]]
        assert got == sorted(got)
        seen += got
        after = page["next_after"]
    assert seen == ids
    middle = _data(server.call("GET", f"/api/social/groups/{gid}/messages", ann,
                               params={"after": ids[59], "limit": 200}))
    assert [m["body"] for m in middle["items"]] == [f"message {i}" for i in range(60, 120)]
    assert middle["next_before"] == ids[60] and middle["next_after"] is None

    # Every message notifies the other member only, with a short body.
    assert _kinds(server, ann).count("message") == 60 and _kinds(server, ben).count("message") == 60
    long = _data(server.call("POST", f"/api/social/groups/{gid}/messages", ann, json={"body": "x" * 4000}), 201)
    with server.client.app.state.db.session(write=False) as s:
        note = s.query(models.Notification).filter_by(user_id=ben.id).order_by(models.Notification.id.desc()).first()
        assert len(note.body) <= 140 and f'"message_id": {long["id"]}' in note.data

    for bad in ({"body": ""}, {"body": "x" * 4001}, {}):
        _error(server.call("POST", f"/api/social/groups/{gid}/messages", ann, json=bad), 422)
    for params in ({"limit": 0}, {"limit": 201}, {"before": "abc"}, {"after": 2**31}, {"before": -1}):
        _error(server.call("GET", f"/api/social/groups/{gid}/messages", ann, params=params), 422)
    huge = _data(server.call("GET", f"/api/social/groups/{gid}/messages", ann, params={"before": 2**31 - 1}))
    assert huge["items"][0]["id"] == long["id"]
    end = _data(server.call("GET", f"/api/social/groups/{gid}/messages", ann, params={"after": 2**31 - 1}))
    assert end["items"] == [] and end["next_before"] is None


# --- shares ---

def test_shares_with_file_round_trip(server):
    ann, ben, out = server.person("student", "Ann"), server.person("student"), server.person("student")
    gid = _group(server, ann)["id"]
    code = _data(server.call("GET", f"/api/social/groups/{gid}", ann))["invite_code"]
    _data(server.call("POST", "/api/social/groups/join", ben, json={"invite_code": code}))

    deck = os.urandom(300_000) + b"\x00\xff"
    made = _data(server.call("POST", f"/api/social/groups/{gid}/shares", ann, json={
        "kind": "deck", "title": "Cell biology", "file_name": "cells.apkg",
        "content_base64": base64.b64encode(deck).decode()}), 201)
    assert made["file_name"] == "cells.apkg" and made["file_size"] == len(deck) and made["author_name"] == "Ann"
    note = _data(server.call("POST", f"/api/social/groups/{gid}/shares", ben, json={
        "kind": "note", "title": "Mitosis", "text": "# Mitosis\n\n- prophase"}), 201)
    assert note["file_name"] is None and note["text"].startswith("# Mitosis")

    listed = _data(server.call("GET", f"/api/social/groups/{gid}/shares", ben))
    assert {s["id"] for s in listed} == {made["id"], note["id"]}
    assert "content_base64" not in str(listed)
    got = server.call("GET", f"/api/social/groups/{gid}/shares/{made['id']}/file", ben)
    assert got.status_code == 200 and got.content == deck
    assert "cells.apkg" in got.headers["content-disposition"]
    _error(server.call("GET", f"/api/social/groups/{gid}/shares/{note['id']}/file", ben), 404)
    _error(server.call("GET", f"/api/social/groups/{gid}/shares/{made['id']}/file", out), 404)
    assert "share" in _kinds(server, ben) and "share" in _kinds(server, ann)

    # A share id from another group is not found through this group.
    other = _group(server, out)["id"]
    _error(server.call("GET", f"/api/social/groups/{other}/shares/{made['id']}/file", out), 404)

    bad = [{"kind": "video", "title": "x", "text": "y"}, {"kind": "deck", "title": "no file"},
           {"kind": "note", "title": ""}, {"kind": "note", "title": "empty"},
           {"kind": "deck", "title": "x", "content_base64": "AAAA"},
           {"kind": "deck", "title": "x", "file_name": "a.apkg", "content_base64": "not base64!!"}]
    for body in bad:
        _error(server.call("POST", f"/api/social/groups/{gid}/shares", ann, json=body), 422)
    too_big = base64.b64encode(b"\x00" * (20 * 1024 * 1024 + 1)).decode()
    err = _error(server.call("POST", f"/api/social/groups/{gid}/shares", ann, json={
        "kind": "deck", "title": "huge", "file_name": "big.apkg", "content_base64": too_big}), 413)
    assert "20 MB" in err["message"]
