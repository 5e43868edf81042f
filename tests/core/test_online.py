"""The desktop's online features against the real sync server (uvicorn on a loopback port): sign-in and token
storage, an offline outbox drained exactly once, the offline cache, notifications and class deadlines."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import keyring
import pytest
from keyring.backends import fail
from online_support import email
from server_fixtures import PASSWORD, free_port

from lmgpa_desktop.core.progress import deadlines
from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.core.online import service as online
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.remote import api_client
from lmgpa_desktop.storage import online_repo
from sync_server import models


@pytest.fixture
def no_keyring():
    """A headless system: the keyring backend that fails."""
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


@pytest.fixture
def profiles(tmp_path):
    """Open extra desktop profiles (teacher, student, ...) in their own folders; closed at the end."""
    opened = []

    def open_profile(name: str):
        ctx = open_app(tmp_path / name)
        opened.append(ctx)
        return ctx

    yield open_profile
    for ctx in opened:
        online.service(ctx).stop_live()
        ctx.close()


def teacher_and_student(live_server, profiles):
    t_ctx, s_ctx = profiles("teacher"), profiles("student")
    teacher, student = online.service(t_ctx), online.service(s_ctx)
    teacher.sign_up(live_server.url, email("teacher"), PASSWORD, "Ms Frizzle", role="teacher")
    student.sign_up(live_server.url, email("student"), PASSWORD, "Arnold", role="student")
    return t_ctx, teacher, s_ctx, student


def run(gen):
    """Drive a sync generator to its end; its return value."""
    progress = []
    while True:
        try:
            progress.append(next(gen))
        except StopIteration as stop:
            assert progress and progress[-1].done == progress[-1].total
            return stop.value


# -- the required offline flow ---------------------------------------------------------------------------------
def test_work_done_offline_is_sent_exactly_once_when_the_server_is_back(live_server, profiles, dict_keyring):
    ctx = profiles("teacher")
    svc = online.service(ctx)
    state = svc.sign_up(live_server.url, email("teacher"), PASSWORD, "Ms Frizzle", role="teacher")
    assert state.status == "online" and state.user["display_name"] == "Ms Frizzle"

    live_server.stop()
    item = svc.create_class("Biology 101", subject="Biology")
    local_class = svc.classes()[0]
    assert local_class["pending"] is True and local_class["name"] == "Biology 101"
    assert local_class["id"].startswith("local-")
    due = datetime(2031, 5, 20, 15, 0, tzinfo=UTC)
    svc.create_assignment(local_class["id"], "Lab report", "Write up the osmosis lab", due, 20)
    assert [(i.action, i.state) for i in svc.outbox()] == [("create_class", "pending"),
                                                           ("create_assignment", "pending")]
    assert svc.state().pending == 2
    detail = svc.class_detail(local_class["id"])
    assert [(a["title"], a["pending"]) for a in detail["assignments"]] == [("Lab report", True)]

    result = run(svc.sync())  # still offline: nothing is lost, nothing is sent
    assert result["status"] == "offline" and svc.state().status == "offline"
    assert "cannot be reached" not in svc.state().message and "2 changes waiting" in svc.state().message
    assert [i.state for i in svc.outbox()] == ["pending", "pending"]

    live_server.start()
    result = run(svc.sync())
    assert result["status"] == "online" and result["sent"] == 2 and result["failed"] == 0
    assert svc.state().status == "online" and svc.state().pending == 0 and svc.state().last_sync is not None
    assert svc.outbox() == []
    sent = svc.outbox(include_sent=True)
    assert [(i.action, i.state, i.attempts) for i in sent] == [("create_class", "sent", 1),
                                                               ("create_assignment", "sent", 1)]
    assert sent[0].request_id != sent[1].request_id and sent[0].id == item.id
    assert live_server.count(models.SchoolClass) == 1 and live_server.count(models.Assignment) == 1
    cls = svc.classes()
    assert len(cls) == 1 and not cls[0]["pending"] and not cls[0]["id"].startswith("local-")
    assert cls[0]["join_code"]  # the teacher's copy from the server
    # The screen may still hold the local id: it resolves to the class the server made.
    detail = svc.class_detail(local_class["id"])
    assert detail["class"]["id"] == cls[0]["id"]
    assert [(a["title"], a["pending"], a["points_possible"]) for a in detail["assignments"]] == [
        ("Lab report", False, 20)]
    assert [p["display_name"] for p in detail["roster"]] == ["Ms Frizzle"]

    run(svc.sync())  # a second sync sends nothing again
    assert live_server.count(models.SchoolClass) == 1 and live_server.count(models.Assignment) == 1

    # A crash after the server answered but before the item was marked sent: the item is sent again with the
    # same request id, the server replays its stored answer, and nothing is created twice.
    for i in sent:
        online_repo.mark(ctx.db, i.id, "pending")
    result = run(svc.sync())
    assert result["sent"] == 2
    assert live_server.count(models.SchoolClass) == 1 and live_server.count(models.Assignment) == 1
    assert [c["id"] for c in svc.classes()] == [cls[0]["id"]]


def test_a_refused_item_fails_with_the_servers_message_and_the_rest_still_goes(live_server, profiles,
                                                                                 dict_keyring):
    _t_ctx, teacher, _s_ctx, student = teacher_and_student(live_server, profiles)
    teacher.create_class("Chemistry")
    run(teacher.sync())
    code = teacher.classes()[0]["join_code"]

    bad = student.join_class("NOPE2345")
    good = student.join_class(code)
    student.create_group("Study buddies")
    assert {c["name"] for c in student.classes()} == {"class with code NOPE2345", f"class with code {code}"}
    result = run(student.sync())
    assert result["sent"] == 2 and result["failed"] == 1
    items = {i.id: i for i in student.outbox(include_sent=True)}
    assert items[bad.id].state == "failed" and items[bad.id].error  # the server's words, e.g. no such code
    assert items[good.id].state == "sent"
    assert [c["name"] for c in student.classes()] == ["Chemistry"]  # the failed join is not shown as a class
    assert student.state().failed == 1
    assert [g["name"] for g in student.groups()] == ["Study buddies"]

    with pytest.raises(UserError, match="not failed"):
        student.retry(good.id)
    student.retry(bad.id)
    assert student.outbox()[0].state == "pending"
    run(student.sync())
    assert student.outbox()[0].state == "failed"  # refused again, and kept for the student to see
    student.discard(bad.id)
    assert student.outbox() == [] and student.state().failed == 0


def test_messages_groups_and_submissions_through_the_cache(live_server, profiles, dict_keyring):
    _t_ctx, teacher, _s_ctx, student = teacher_and_student(live_server, profiles)
    teacher.create_class("History")
    run(teacher.sync())
    history = teacher.classes()[0]
    teacher.create_assignment(history["id"], "Essay", due_at=datetime.now(UTC) + timedelta(days=3))
    student.join_class(history["join_code"])
    student.create_group("Revision crew")
    group_local = student.groups()[0]["id"]
    student.send_message(group_local, "first!")
    student.send_message(group_local, "second")
    msgs = student.messages(group_local)
    assert [(m["body"], m["pending"]) for m in msgs] == [("first!", True), ("second", True)]
    run(teacher.sync())
    run(student.sync())

    group = student.groups()[0]
    assert not group["pending"] and group["invite_code"]
    assert [(m["body"], m["pending"]) for m in student.messages(group["id"])] == [("first!", False),
                                                                               ("second", False)]
    teacher.join_group(group["invite_code"])
    run(teacher.sync())
    teacher.send_message(group["id"], "hello from the teacher")
    run(teacher.sync())
    student.send_message(group["id"], "unsent reply")
    run_offline = student.messages(group["id"])
    assert [m["body"] for m in run_offline][-1] == "unsent reply" and run_offline[-1]["pending"]
    run(student.sync())
    assert [m["body"] for m in student.messages(group["id"])] == ["first!", "second", "hello from the teacher",
                                                                  "unsent reply"]
    assert {m["display_name"] for m in student.group_detail(group["id"])["members"]} == {"Ms Frizzle", "Arnold"}

    essay = student.class_detail(history["id"])["assignments"][0]
    assert essay["title"] == "Essay" and essay["my_status"] == "none"
    student.submit(essay["id"], "text", text="The causes of the war were ...")
    assert student.class_detail(history["id"])["assignments"][0]["my_status"] == "submitted"
    run(student.sync())
    mine = student.submissions(essay["id"])
    assert [(s["version"], s["pending"]) for s in mine] == [(1, False)]
    run(teacher.sync())
    theirs = teacher.submissions(essay["id"])
    assert [s["student"]["display_name"] for s in theirs] == ["Arnold"]
    teacher.grade(theirs[0]["id"], 90, "Good argument")
    assert teacher.submissions(essay["id"])[0]["points"] == 90
    run(teacher.sync())
    run(student.sync())
    assert student.submissions(essay["id"])[0]["feedback"] == "Good argument"
    grades = student.grades(history["id"])
    assert len(grades["rows"]) == 1 and grades["rows"][0]["student"]["display_name"] == "Arnold"


# -- account states and token storage --------------------------------------------------------------------------
def test_wrong_password_is_a_clear_error(live_server, profiles, dict_keyring):
    ctx = profiles("p")
    svc = online.service(ctx)
    address = email("student")
    svc.sign_up(live_server.url, address, PASSWORD, "Arnold")
    svc.sign_out()
    assert svc.state().status == "signed_out"
    with pytest.raises(UserError, match="(?i)password|credentials|email"):
        svc.sign_in(live_server.url, address, "not the password")
    assert svc.state().status == "signed_out"
    with pytest.raises(UserError, match="(?i)password"):
        svc.sign_up(live_server.url, email("student"), "short", "Weak")
    assert svc.sign_in(live_server.url, address, PASSWORD).status == "online"


def test_an_unreachable_server_means_offline(live_server, profiles, dict_keyring):
    ctx = profiles("p")
    svc = online.service(ctx)
    svc.sign_up(live_server.url, email("student"), PASSWORD, "Arnold")
    with pytest.raises(UserError, match="cannot be reached"):
        svc.sign_in(f"http://127.0.0.1:{_closed_port()}", "a@b.example", "x")
    live_server.stop()
    assert run(svc.sync())["status"] == "offline"
    assert svc.state().status == "offline"
    with pytest.raises(UserError, match="cannot be reached; your work is saved"):
        svc.devices()
    live_server.start()
    run(svc.sync())
    assert svc.state().status == "online"


NEW_PASSWORD = "violet tram 19 quiet harbour"


def test_changing_the_password_signs_out_the_other_devices_and_keeps_this_one(live_server, profiles, dict_keyring):
    laptop, desktop, third = (online.service(profiles(name)) for name in ("laptop", "desktop", "third"))
    address = email("student")
    laptop.sign_up(live_server.url, address, PASSWORD, "Arnold")
    desktop.sign_in(live_server.url, address, PASSWORD)
    with pytest.raises(UserError, match="current password is wrong"):
        laptop.change_password("not the password", NEW_PASSWORD)
    with pytest.raises(UserError, match="(?i)password not accepted"):
        laptop.change_password(PASSWORD, "short")
    laptop.change_password(PASSWORD, NEW_PASSWORD)

    assert laptop.state().status == "online"
    assert [d["current"] for d in laptop.devices()] == [True]  # only this computer is still signed in
    assert run(laptop.sync())["status"] == "online"
    assert run(desktop.sync())["status"] == "expired"
    with pytest.raises(UserError, match="(?i)password|credentials|email"):
        third.sign_in(live_server.url, address, PASSWORD)
    assert third.sign_in(live_server.url, address, NEW_PASSWORD).status == "online"


def test_a_forgotten_password_is_reset_with_the_code_the_server_issued(live_server, profiles, dict_keyring):
    svc = online.service(profiles("p"))
    address = email("student")
    svc.sign_up(live_server.url, address, PASSWORD, "Arnold")
    svc.sign_out()

    svc.request_password_reset(live_server.url, email("nobody"))  # the same answer for an unknown account
    assert live_server.resets == []
    svc.request_password_reset(live_server.url, f"  {address} ")
    assert [who for who, _token in live_server.resets] == [address]
    token = live_server.resets[0][1]
    with pytest.raises(UserError, match="invalid, used or expired"):
        svc.reset_password(live_server.url, "not-the-code", NEW_PASSWORD)
    with pytest.raises(UserError, match="(?i)password not accepted"):
        svc.reset_password(live_server.url, token, "short")
    svc.reset_password(live_server.url, f" {token}\n", NEW_PASSWORD)
    with pytest.raises(UserError, match="invalid, used or expired"):  # single use
        svc.reset_password(live_server.url, token, "another long passphrase 77")

    with pytest.raises(UserError, match="(?i)password|credentials|email"):
        svc.sign_in(live_server.url, address, PASSWORD)
    assert svc.sign_in(live_server.url, address, NEW_PASSWORD).status == "online"
    with pytest.raises(UserError, match="cannot be reached"):
        svc.request_password_reset(f"http://127.0.0.1:{_closed_port()}", address)


def _closed_port() -> int:
    return free_port()  # bound and released at once: nothing listens there


def test_a_revoked_session_means_expired(live_server, profiles, dict_keyring):
    ctx, other = profiles("laptop"), profiles("desktop")
    laptop, desktop = online.service(ctx), online.service(other)
    address = email("student")
    laptop.sign_up(live_server.url, address, PASSWORD, "Arnold")
    desktop.sign_in(live_server.url, address, PASSWORD)
    devices = desktop.devices()
    assert len(devices) == 2 and sum(d["current"] for d in devices) == 1
    laptop_session = next(d["id"] for d in devices if not d["current"])
    desktop.revoke_device(laptop_session)
    assert run(laptop.sync())["status"] == "expired"
    state = laptop.state()
    assert state.status == "expired" and "sign in again" in state.message
    assert laptop.sign_in(live_server.url, address, PASSWORD).status == "online"


def test_token_storage_is_the_keyring_when_there_is_one(live_server, profiles, dict_keyring, tmp_path):
    ctx = profiles("p")
    svc = online.service(ctx)
    address = email("student")
    assert svc.sign_up(live_server.url, address, PASSWORD, "Arnold").token_storage == "keyring"
    stored = dict_keyring.secrets[("lmgpa", f"{live_server.url}|{address}")]
    assert stored and not any(stored in p.read_bytes().decode("latin-1") for p in (tmp_path / "p").rglob("*")
                              if p.is_file())  # never on disk in the profile
    run(svc.sync())
    rotated = dict_keyring.secrets[("lmgpa", f"{live_server.url}|{address}")]
    assert rotated != stored  # the refresh at the start of a sync rotated the token and saved the new one
    ctx.close()

    again = open_app(tmp_path / "p")  # the next start of the app picks the token up from the keyring
    try:
        svc2 = online.service(again)
        assert svc2.state().status == "online" and svc2.state().token_storage == "keyring"
        assert run(svc2.sync())["status"] == "online"
        svc2.sign_out()
        assert ("lmgpa", f"{live_server.url}|{address}") not in dict_keyring.secrets
    finally:
        again.close()


def test_token_storage_is_memory_without_a_keyring(live_server, profiles, no_keyring, tmp_path):
    ctx = profiles("p")
    svc = online.service(ctx)
    state = svc.sign_up(live_server.url, email("student"), PASSWORD, "Arnold")
    assert state.token_storage == "memory"
    assert run(svc.sync())["status"] == "online"  # the rotated token is kept in memory too
    assert svc.state().token_storage == "memory"


# -- notifications and deadlines -------------------------------------------------------------------------------
def test_server_notifications_and_class_deadlines_reach_the_desktop(live_server, profiles, dict_keyring):
    t_ctx, teacher, s_ctx, student = teacher_and_student(live_server, profiles)
    teacher.create_class("Physics")
    run(teacher.sync())
    physics = teacher.classes()[0]
    student.join_class(physics["join_code"])
    run(student.sync())
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    teacher.create_assignment(physics["id"], "Problem set 3", due_at=due, points_possible=10)
    teacher.create_assignment(physics["id"], "Reading", due_at=None)
    run(teacher.sync())

    result = run(student.sync())
    assert result["notifications"] == 2
    pulled = [n for n in notifications.items(s_ctx) if n.kind == "assignment"]
    assert len(pulled) == 2 and {n.payload["server"]["class_id"] for n in pulled} == {physics["id"]}
    assert student.notifications_pulled() == 2
    run(student.sync())
    assert len([n for n in notifications.items(s_ctx) if n.kind == "assignment"]) == 2  # merged once

    rows = [d for d in deadlines.listing(s_ctx) if d.title == "Problem set 3"]
    assert len(rows) == 1 and rows[0].course_name == "Physics" and rows[0].due_at == due
    assert not any(d.title == "Reading" for d in deadlines.listing(s_ctx))  # no due date, no deadline
    assert rows[0] in deadlines.upcoming(s_ctx)
    assert not any(d.title == "Problem set 3" for d in deadlines.listing(t_ctx))  # not the teacher's deadline

    # The teacher moves the due date and deletes the other assignment (straight through the API): the student's
    # deadline follows at the next sync, and is not duplicated.
    api = api_client.ApiClient(live_server.url)
    api.adopt(api.request("POST", "/api/auth/login", json={"email": teacher.state().user["email"],
                                                           "password": PASSWORD}, auth=False))
    ps3 = next(x for x in teacher.class_detail(physics["id"])["assignments"] if x["title"] == "Problem set 3")
    later = due + timedelta(days=1)
    api.request("PATCH", f"/api/classes/assignments/{ps3['id']}", json={"due_at": later.isoformat()})
    run(student.sync())
    assert [d.due_at for d in deadlines.listing(s_ctx) if d.title == "Problem set 3"] == [later]
    api.request("DELETE", f"/api/classes/assignments/{ps3['id']}")
    run(student.sync())
    assert not any(d.title == "Problem set 3" for d in deadlines.listing(s_ctx))
    api.close()


def test_live_stream_merges_new_notifications(live_server, profiles, dict_keyring):
    _t_ctx, teacher, s_ctx, student = teacher_and_student(live_server, profiles)
    teacher.create_class("Art")
    run(teacher.sync())
    student.join_class(teacher.classes()[0]["join_code"])
    run(student.sync())
    arrived = threading.Event()
    seen = []
    student.start_live(lambda n: (seen.append(n), arrived.set()))
    teacher.create_assignment(teacher.classes()[0]["id"], "Sketchbook")
    run(teacher.sync())
    assert arrived.wait(120)  # a guard against hanging, not a speed requirement
    stream = student._live
    student.stop_live()
    # The reader thread has ended (not left blocked on the socket until the next keepalive), and stopping it on
    # purpose did not make the account look offline.
    assert not stream.running and not student.live_running
    assert student.state().status == "online"
    assert [n["kind"] for n in seen] == ["assignment"]
    assert len([n for n in notifications.items(s_ctx) if n.kind == "assignment"]) == 1
    run(student.sync())
    assert len([n for n in notifications.items(s_ctx) if n.kind == "assignment"]) == 1


def test_sign_out_hides_the_cache_and_signing_in_again_shows_it(live_server, profiles, dict_keyring):
    ctx = profiles("p")
    svc = online.service(ctx)
    address = email("teacher")
    svc.sign_up(live_server.url, address, PASSWORD, "Ms Frizzle", role="teacher")
    svc.create_class("Geography")
    run(svc.sync())
    states = []
    svc.subscribe(states.append)
    svc.sign_out()
    assert states and states[-1].status == "signed_out"
    assert svc.classes() == [] and svc.outbox() == []
    with pytest.raises(UserError, match="sign in"):
        svc.create_class("Offline while signed out")
    svc.sign_in(live_server.url, address, PASSWORD)
    assert [c["name"] for c in svc.classes()] == ["Geography"]


def test_leaderboards_and_weekly_points(live_server, profiles, dict_keyring):
    _t_ctx, teacher, _s_ctx, student = teacher_and_student(live_server, profiles)
    teacher.create_class("Maths")
    run(teacher.sync())
    student.join_class(teacher.classes()[0]["join_code"])
    run(student.sync())
    assert student.leaderboard("class", student.classes()[0]["id"])["opted_in"] is False
    student.set_leaderboard_opt_in(True)
    assert student.state().user["leaderboard_opt_in"] is True
    run(student.sync())
    board = student.leaderboard("class", student.classes()[0]["id"])
    assert board["opted_in"] is True
    assert [(r["display_name"], r["me"]) for r in board["rows"]] == [("Arnold", True)]
    assert student.leaderboard("connections")["rows"][0]["me"] is True


def test_files_connections_and_the_sync_job(live_server, profiles, dict_keyring, tmp_path):
    t_ctx, teacher, _s_ctx, student = teacher_and_student(live_server, profiles)
    handout = tmp_path / "handout.md"
    handout.write_text("# Osmosis\nWater moves across a membrane.\n", encoding="utf-8")
    deck = tmp_path / "cells.apkg"
    deck.write_bytes(b"PK\x03\x04 not really a deck, but bytes all the same")

    teacher.create_class("Biology")
    local_id = teacher.classes()[0]["id"]
    teacher.create_assignment(local_id, "Read the handout", attachment_paths=[handout])
    # The UI runs sync as a job of kind "sync"; the job system finds it and runs the same code.
    job_id = t_ctx.jobs.submit("sync", {}, title="sync")
    assert t_ctx.jobs.run_now(job_id).state == "done"
    assert live_server.count(models.Attachment) == 1
    biology = teacher.classes()[0]
    student.join_class(biology["join_code"])
    student.request_connection(teacher.state().user["email"])
    assert [c["other"]["display_name"] for c in student.connections()["outgoing"]] == [
        teacher.state().user["email"]]
    run(student.sync())
    assignment = student.class_detail(biology["id"])["assignments"][0]
    saved = student.download_attachment(assignment["attachments"][0]["id"], tmp_path)
    assert saved.name == "handout.md" and saved.read_bytes() == handout.read_bytes()

    run(teacher.sync())
    incoming = teacher.connections()["incoming"]
    assert [c["other"]["display_name"] for c in incoming] == ["Arnold"]
    teacher.answer_connection(incoming[0]["id"], accept=True)
    assert [(c["status"], c["pending"]) for c in teacher.connections()["connections"]] == [("accepted", True)]
    assert teacher.connections()["incoming"] == []
    teacher.create_group("Teachers' lounge")
    teacher.share_to_group(teacher.groups()[0]["id"], "deck", "Cell biology deck", path=deck)
    run(teacher.sync())
    group = teacher.groups()[0]
    [share] = teacher.group_detail(group["id"])["shares"]
    assert share["title"] == "Cell biology deck" and share["file_name"] == "cells.apkg" and not share["pending"]
    back = teacher.download_share(group["id"], share["id"], tmp_path / "copy.apkg")
    assert back.read_bytes() == deck.read_bytes()

    run(student.sync())
    [friend] = student.connections()["connections"]
    assert friend["other"]["display_name"] == "Ms Frizzle"
    student.remove_connection(friend["id"])
    assert student.connections()["connections"] == []
    run(student.sync())
    run(teacher.sync())
    assert teacher.connections() == {"connections": [], "incoming": [], "outgoing": []}
    assert live_server.count(models.Connection) == 0
