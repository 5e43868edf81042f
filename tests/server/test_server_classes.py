"""Sync server /api/classes: classes, join codes, rosters, assignments with files, submissions, grading, grade
grids, notifications and due-soon reminders, through the real app on a fresh database."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from sync_server import models
from sync_server.classes import reminders
from sync_server.classes import service as class_service
from sync_server.classes.schemas import MAX_ATTACHMENT_BYTES

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def ok(response, status: int = 200):
    """The data of a success envelope with this status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True and body["meta"]["timestamp"]
    return body["data"]


def fails(response, status: int, code: str | None = None) -> dict:
    """The error of an error envelope with this status (and code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def iso(moment: datetime) -> str:
    return moment.isoformat()


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def notes(server, user_id: str, kind: str | None = None) -> list[models.Notification]:
    """Notification rows of one user, straight from the database."""
    with server.client.app.state.db.session(write=False) as s:
        query = select(models.Notification).where(models.Notification.user_id == user_id)
        if kind:
            query = query.where(models.Notification.kind == kind)
        return list(s.scalars(query.order_by(models.Notification.id)))


@pytest.fixture
def klass(server):
    """A teacher's class with two students in it: (teacher, class data, student a, student b)."""
    teacher = server.person("teacher")
    data = ok(server.call("POST", "/api/classes", teacher, json={"name": "Biology 101", "subject": "Biology"}), 201)
    a, b = server.person("student", "Ada Student"), server.person("student", "Bo Student")
    for who in (a, b):
        ok(server.call("POST", "/api/classes/join", who, json={"join_code": data["join_code"]}))
    return teacher, data, a, b


def test_full_flow_with_files_versions_late_work_grading_and_notifications(server):
    teacher = server.person("teacher", "Ms Frizzle")
    made = ok(server.call("POST", "/api/classes", teacher,
                          json={"name": "Biology 101", "description": "cells", "subject": "Biology"}), 201)
    code = made["join_code"]
    assert len(code) == 8 and set(code) <= set(class_service.CODE_ALPHABET) and not set(code) & set("01OIL")
    assert made["my_role"] == "teacher" and made["teacher"]["id"] == teacher.id and made["member_count"] == 1
    cid = made["id"]

    a, b = server.person("student", "Ada"), server.person("student", "Bo")
    joined = ok(server.call("POST", "/api/classes/join", a, json={"join_code": f"{code[:4].lower()}-{code[4:]}"}))
    assert joined["id"] == cid and joined["my_role"] == "student" and joined["join_code"] is None
    ok(server.call("POST", "/api/classes/join", b, json={"join_code": code}))
    again = ok(server.call("POST", "/api/classes/join", b, json={"join_code": code}))  # idempotent
    assert again["student_count"] == 2 and again["member_count"] == 3

    mine = ok(server.call("GET", "/api/classes", a))
    assert [(c["id"], c["my_role"], c["student_count"]) for c in mine] == [(cid, "student", 2)]
    assert ok(server.call("GET", "/api/classes", teacher))[0]["join_code"] == code
    assert ok(server.call("GET", f"/api/classes/{cid}", a))["join_code"] is None
    assert ok(server.call("GET", f"/api/classes/{cid}", teacher))["join_code"] == code

    seen_by_teacher = ok(server.call("GET", f"/api/classes/{cid}/roster", teacher))
    assert [(p["display_name"], p["role"]) for p in seen_by_teacher] == [("Ms Frizzle", "teacher"), ("Ada", "student"),
                                                                         ("Bo", "student")]
    assert {p["email"] for p in seen_by_teacher} == {teacher.email, a.email, b.email}
    seen_by_student = ok(server.call("GET", f"/api/classes/{cid}/roster", a))
    assert len(seen_by_student) == 3 and all(p["email"] is None for p in seen_by_student)

    # A due date given in another zone comes back as the same instant in UTC, with a Z.
    due = datetime.now(UTC) + timedelta(days=2)
    work = ok(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={
        "title": "Cell diagram", "description": "label the parts", "points_possible": 100,
        "due_at": iso(due.astimezone(timezone(timedelta(hours=2)))),
        "attachments": [{"file_name": "../../handout é.pdf", "content_base64": b64(PDF)}]}), 201)
    aid = work["id"]
    assert work["due_at"].endswith("Z") and datetime.fromisoformat(work["due_at"]) == due
    [handout] = work["attachments"]
    assert handout["file_name"] == "handout é.pdf" and handout["size"] == len(PDF)
    assert handout["content_type"] == "application/pdf"
    for student in (a, b):
        [note] = notes(server, student.id, "assignment")
        assert note.title.endswith("Cell diagram") and f'"assignment_id": "{aid}"' in note.data
    assert notes(server, teacher.id, "assignment") == []

    file = server.call("GET", f"/api/classes/attachments/{handout['id']}", b)
    assert file.status_code == 200 and file.content == PDF
    assert file.headers["content-type"].startswith("application/pdf")
    assert "attachment;" in file.headers["content-disposition"]
    assert "filename*=UTF-8''handout%20%C3%A9.pdf" in file.headers["content-disposition"]

    # Ada hands in twice on time; then the due date passes and Bo hands in a file late.
    first = ok(server.call("POST", f"/api/classes/assignments/{aid}/submissions", a,
                           json={"kind": "text", "text": "nucleus, membrane"}), 201)
    second = ok(server.call("POST", f"/api/classes/assignments/{aid}/submissions", a,
                            json={"kind": "note", "text": "nucleus, membrane, mitochondria"}), 201)
    assert (first["version"], second["version"], first["late"], second["late"]) == (1, 2, False, False)
    ok(server.call("PATCH", f"/api/classes/assignments/{aid}", teacher,
                   json={"due_at": iso(now() - timedelta(minutes=5))}))
    late = ok(server.call("POST", f"/api/classes/assignments/{aid}/submissions", b, json={
        "kind": "file", "file_name": "bo.txt", "content_type": "text/plain", "content_base64": b64(b"my cells")}),
        201)
    assert late["version"] == 1 and late["late"] is True and len(late["attachment_ids"]) == 1
    assert len(notes(server, teacher.id, "submission")) == 3

    listed = ok(server.call("GET", f"/api/classes/{cid}/assignments", teacher))
    assert [(x["submitted_count"], x["graded_count"], x["student_count"]) for x in listed] == [(2, 0, 2)]
    assert ok(server.call("GET", f"/api/classes/{cid}/assignments", b))[0]["my_status"] == "late"
    assert ok(server.call("GET", f"/api/classes/{cid}/assignments", a))[0]["my_status"] == "submitted"

    newest = ok(server.call("GET", f"/api/classes/assignments/{aid}/submissions", teacher))
    assert sorted((s["student"]["id"], s["version"]) for s in newest) == sorted([(a.id, 2), (b.id, 1)])
    every = ok(server.call("GET", f"/api/classes/assignments/{aid}/submissions?all_versions=true", teacher))
    assert len(every) == 3
    own = ok(server.call("GET", f"/api/classes/assignments/{aid}/submissions", a))
    assert [(s["student"]["id"], s["version"]) for s in own] == [(a.id, 2), (a.id, 1)]
    assert ok(server.call("GET", f"/api/classes/assignments/{aid}/submissions?all_versions=true", b))[0]["id"] \
        == late["id"]

    # Bo's file: Bo and the teacher may download it, Ada may not even learn it exists.
    bo_file = late["attachment_ids"][0]
    assert server.call("GET", f"/api/classes/attachments/{bo_file}", teacher).content == b"my cells"
    assert server.call("GET", f"/api/classes/attachments/{bo_file}", b).content == b"my cells"
    fails(server.call("GET", f"/api/classes/attachments/{bo_file}", a), 404)

    graded = ok(server.call("POST", f"/api/classes/submissions/{second['id']}/grade", teacher,
                            json={"points": 92.5, "feedback": "good"}))
    assert graded["points"] == 92.5 and graded["feedback"] == "good" and graded["graded_at"]
    ok(server.call("POST", f"/api/classes/submissions/{late['id']}/grade", teacher, json={"points": 60}))
    fails(server.call("POST", f"/api/classes/submissions/{late['id']}/grade", teacher, json={"points": 101}), 422,
          "VALIDATION_ERROR")
    [ada_graded] = notes(server, a.id, "graded")
    assert "92.5 / 100" in ada_graded.body and len(notes(server, b.id, "graded")) == 1

    grid = ok(server.call("GET", f"/api/classes/{cid}/grades", teacher))
    assert [c["id"] for c in grid["assignments"]] == [aid]
    assert {r["student"]["id"]: (r["cells"][0]["points"], r["cells"][0]["status"]) for r in grid["rows"]} \
        == {a.id: (92.5, "graded"), b.id: (60, "graded")}
    for student, points in ((a, 92.5), (b, 60)):
        own_grid = ok(server.call("GET", f"/api/classes/{cid}/grades", student))
        assert [(r["student"]["id"], r["total_points"]) for r in own_grid["rows"]] == [(student.id, points)]
        assert ok(server.call("GET", f"/api/classes/assignments/{aid}", student))["my_points"] == points
    assert ok(server.call("GET", f"/api/classes/{cid}/assignments", teacher))[0]["graded_count"] == 2

    # A resubmission after grading needs grading again; the grid keeps the last grade given.
    ok(server.call("POST", f"/api/classes/assignments/{aid}/submissions", a, json={"kind": "text", "text": "v3"}),
       201)
    mine_now = ok(server.call("GET", f"/api/classes/assignments/{aid}", a))
    assert (mine_now["my_status"], mine_now["my_version"], mine_now["my_points"]) == ("late", 3, 92.5)
    assert ok(server.call("GET", f"/api/classes/{cid}/assignments", teacher))[0]["graded_count"] == 1


def test_outsiders_get_404_for_every_id(server, klass):
    teacher, data, a, b = klass
    cid = data["id"]
    aid = ok(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={
        "title": "Essay", "attachments": [{"file_name": "brief.txt", "content_base64": b64(b"brief")}]}), 201)
    sub = ok(server.call("POST", f"/api/classes/assignments/{aid['id']}/submissions", a,
                         json={"kind": "text", "text": "mine"}), 201)
    filed = ok(server.call("POST", f"/api/classes/assignments/{aid['id']}/submissions", b, json={
        "kind": "file", "file_name": "b.txt", "content_base64": b64(b"b's work")}), 201)
    other_teacher, outsider = server.person("teacher"), server.person("student")
    calls = [("GET", f"/api/classes/{cid}", None), ("PATCH", f"/api/classes/{cid}", {"name": "x"}),
             ("POST", f"/api/classes/{cid}/join-code/reset", None), ("GET", f"/api/classes/{cid}/roster", None),
             ("DELETE", f"/api/classes/{cid}/members/{a.id}", None),
             ("POST", f"/api/classes/{cid}/assignments", {"title": "t"}),
             ("GET", f"/api/classes/{cid}/assignments", None), ("GET", f"/api/classes/{cid}/grades", None),
             ("GET", f"/api/classes/assignments/{aid['id']}", None),
             ("PATCH", f"/api/classes/assignments/{aid['id']}", {"title": "t"}),
             ("DELETE", f"/api/classes/assignments/{aid['id']}", None),
             ("POST", f"/api/classes/assignments/{aid['id']}/submissions", {"kind": "text", "text": "x"}),
             ("GET", f"/api/classes/assignments/{aid['id']}/submissions", None),
             ("POST", f"/api/classes/submissions/{sub['id']}/grade", {"points": 1}),
             ("GET", f"/api/classes/attachments/{aid['attachments'][0]['id']}", None),
             ("GET", f"/api/classes/attachments/{filed['attachment_ids'][0]}", None),
             ("GET", "/api/classes/no-such-class", None)]
    for who in (other_teacher, outsider):
        for method, path, body in calls:
            fails(server.call(method, path, who, json=body), 404, "NOT_FOUND")
        assert ok(server.call("GET", "/api/classes", who)) == []
    fails(server.call("GET", f"/api/classes/{cid}"), 401)  # and nobody signed in gets 401
    # Nothing changed on the way.
    assert len(ok(server.call("GET", f"/api/classes/{cid}/roster", teacher))) == 3
    assert ok(server.call("GET", f"/api/classes/assignments/{aid['id']}", a))["title"] == "Essay"


def test_students_get_403_on_teacher_actions_and_see_only_their_own_work(server, klass):
    teacher, data, a, b = klass
    cid = data["id"]
    fails(server.call("POST", "/api/classes", a, json={"name": "mine"}), 403, "FORBIDDEN")
    work = ok(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "Lab"}), 201)
    sub_a = ok(server.call("POST", f"/api/classes/assignments/{work['id']}/submissions", a,
                           json={"kind": "text", "text": "a"}), 201)
    sub_b = ok(server.call("POST", f"/api/classes/assignments/{work['id']}/submissions", b,
                           json={"kind": "text", "text": "b"}), 201)
    for method, path, body in [("PATCH", f"/api/classes/{cid}", {"archived": True}),
                               ("POST", f"/api/classes/{cid}/join-code/reset", None),
                               ("POST", f"/api/classes/{cid}/assignments", {"title": "t"}),
                               ("PATCH", f"/api/classes/assignments/{work['id']}", {"title": "t"}),
                               ("DELETE", f"/api/classes/assignments/{work['id']}", None),
                               ("POST", f"/api/classes/submissions/{sub_a['id']}/grade", {"points": 100}),
                               ("DELETE", f"/api/classes/{cid}/members/{b.id}", None),
                               ("DELETE", f"/api/classes/{cid}/members/{teacher.id}", None)]:
        fails(server.call(method, path, a, json=body), 403, "FORBIDDEN")
    # The teacher cannot hand in work either.
    fails(server.call("POST", f"/api/classes/assignments/{work['id']}/submissions", teacher,
                      json={"kind": "text", "text": "t"}), 403)
    # Another student's submission is not acknowledged at all.
    fails(server.call("POST", f"/api/classes/submissions/{sub_b['id']}/grade", a, json={"points": 1}), 404)
    texts = [s["text"] for s in ok(server.call("GET", f"/api/classes/assignments/{work['id']}/submissions?"
                                                      "all_versions=true", a))]
    assert texts == ["a"]
    assert ok(server.call("GET", f"/api/classes/{cid}", teacher))["archived"] is False
    assert ok(server.call("GET", f"/api/classes/{cid}/grades", a))["rows"][0]["student"]["id"] == a.id


def test_validation_errors_are_422_envelopes_and_big_files_413(server, klass):
    teacher, data, a, _b = klass
    cid = data["id"]
    for body in ({}, {"name": ""}, {"name": "x" * 201}):
        error = fails(server.call("POST", "/api/classes", teacher, json=body), 422, "VALIDATION_ERROR")
        assert error["details"] and error["details"][0]["loc"][0] == "body"
    fails(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "t", "points_possible": 0}),
          422, "VALIDATION_ERROR")
    fails(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "t", "due_at": "soon"}),
          422, "VALIDATION_ERROR")
    bad = fails(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={
        "title": "t", "attachments": [{"file_name": "x.bin", "content_base64": "not base64!"}]}), 422)
    assert "base64" in bad["message"]
    big = b"\0" * (MAX_ATTACHMENT_BYTES + 1)
    too_big = fails(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={
        "title": "t", "attachments": [{"file_name": "big.bin", "content_base64": b64(big)}]}), 413, "FILE_TOO_LARGE")
    assert "10 MB" in too_big["message"] and too_big["details"]["size"] == len(big)
    assert ok(server.call("GET", f"/api/classes/{cid}/assignments", teacher)) == []  # nothing half-made

    work = ok(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "t"}), 201)
    path = f"/api/classes/assignments/{work['id']}/submissions"
    fails(server.call("POST", path, a, json={"kind": "video"}), 422, "VALIDATION_ERROR")
    fails(server.call("POST", path, a, json={"kind": "text", "text": "   "}), 422, "VALIDATION_ERROR")
    fails(server.call("POST", path, a, json={"kind": "file"}), 422, "VALIDATION_ERROR")
    fails(server.call("POST", path, a, json={"kind": "file", "file_name": "big.bin", "content_base64": b64(big)}),
          413, "FILE_TOO_LARGE")
    assert ok(server.call("GET", path, a)) == []
    sub = ok(server.call("POST", path, a, json={"kind": "deck", "file_name": "deck.csv",
                                                "content_base64": b64(b"front,back\n")}), 201)
    fails(server.call("POST", f"/api/classes/submissions/{sub['id']}/grade", teacher, json={"points": -1}), 422)
    fails(server.call("POST", f"/api/classes/submissions/{sub['id']}/grade", teacher, json={}), 422)
    unknown = fails(server.call("POST", "/api/classes/join", a, json={"join_code": "ZZZZZZZZ"}), 404,
                    "UNKNOWN_JOIN_CODE")
    assert "join code" in unknown["message"]
    fails(server.call("POST", "/api/classes/join", a, json={"join_code": ""}), 422, "VALIDATION_ERROR")


def test_leaving_removal_code_reset_archive_and_assignment_delete(server, klass):
    teacher, data, a, b = klass
    cid, old_code = data["id"], data["join_code"]
    work = ok(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "Quiz"}), 201)
    sub = ok(server.call("POST", f"/api/classes/assignments/{work['id']}/submissions", b, json={
        "kind": "file", "file_name": "quiz.txt", "content_base64": b64(b"answers")}), 201)

    fails(server.call("DELETE", f"/api/classes/{cid}/members/{teacher.id}", teacher), 409)
    ok(server.call("DELETE", f"/api/classes/{cid}/members/{a.id}", a))  # Ada leaves
    fails(server.call("GET", f"/api/classes/{cid}", a), 404)
    fails(server.call("GET", f"/api/classes/assignments/{work['id']}", a), 404)
    fails(server.call("DELETE", f"/api/classes/{cid}/members/{a.id}", teacher), 404)  # already gone
    ok(server.call("DELETE", f"/api/classes/{cid}/members/{b.id}", teacher))  # the teacher removes Bo
    fails(server.call("GET", f"/api/classes/attachments/{sub['attachment_ids'][0]}", b), 404)
    assert ok(server.call("GET", f"/api/classes/{cid}", teacher))["student_count"] == 0

    new_code = ok(server.call("POST", f"/api/classes/{cid}/join-code/reset", teacher))["join_code"]
    assert new_code != old_code and len(new_code) == 8
    fails(server.call("POST", "/api/classes/join", a, json={"join_code": old_code}), 404)
    ok(server.call("POST", "/api/classes/join", a, json={"join_code": new_code}))

    archived = ok(server.call("PATCH", f"/api/classes/{cid}", teacher, json={"archived": True, "name": "Old Bio"}))
    assert archived["archived"] is True and archived["name"] == "Old Bio" and archived["subject"] == "Biology"
    fails(server.call("POST", "/api/classes/join", b, json={"join_code": new_code}), 409, "CLASS_ARCHIVED")
    fails(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json={"title": "t"}), 409)
    ok(server.call("PATCH", f"/api/classes/{cid}", teacher, json={"archived": False}))

    ok(server.call("DELETE", f"/api/classes/assignments/{work['id']}", teacher))
    fails(server.call("GET", f"/api/classes/assignments/{work['id']}", teacher), 404)
    fails(server.call("GET", f"/api/classes/attachments/{sub['attachment_ids'][0]}", teacher), 404)
    with server.client.app.state.db.session(write=False) as s:
        assert s.scalars(select(models.Submission).where(models.Submission.id == sub["id"])).first() is None
        assert s.get(models.Attachment, sub["attachment_ids"][0]) is None


def test_due_soon_reminds_only_students_who_have_not_handed_in_and_only_once(server, klass):
    teacher, data, a, b = klass
    cid = data["id"]

    def assignment(title: str, due: datetime | None) -> str:
        body = {"title": title, "due_at": iso(due) if due else None}
        return ok(server.call("POST", f"/api/classes/{cid}/assignments", teacher, json=body), 201)["id"]

    soon = assignment("Soon", now() + timedelta(hours=3))
    assignment("Later", now() + timedelta(days=3))
    assignment("Past", now() - timedelta(hours=1))
    assignment("Undated", None)
    ok(server.call("POST", f"/api/classes/assignments/{soon}/submissions", a, json={"kind": "text", "text": "done"}),
       201)
    db = server.client.app.state.db
    with db.session() as s:
        assert reminders.due_soon_notifications(s) == 1
    with db.session() as s:
        assert reminders.due_soon_notifications(s) == 0  # deduplicated
    [reminder] = notes(server, b.id, "due_soon")
    assert reminder.dedupe_key == f"due:{soon}" and "Soon" in reminder.title
    assert notes(server, a.id, "due_soon") == [] and notes(server, teacher.id, "due_soon") == []
    # A wider window reaches the later assignment, for both students, still once each.
    with db.session() as s:
        assert reminders.due_soon_notifications(s, within=timedelta(days=4)) == 2
    assert len(notes(server, a.id, "due_soon")) == 1 and len(notes(server, b.id, "due_soon")) == 2


def test_join_code_draws_again_on_a_collision(server, klass):
    _teacher, data, _a, _b = klass
    draws = iter([data["join_code"], data["join_code"], "QRST2345"])
    with server.client.app.state.db.session(write=False) as s:
        assert class_service.unique_join_code(s, draw=lambda: next(draws)) == "QRST2345"
    assert class_service.normal_code(" qrst-2345 ") == "QRST2345"
