"""The server tests' shared world (authorization and schema tests): people of each role and the objects only
some of them may see, all made through the API."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

ASSIGNMENT_FILE = b"brief nobody else may read 5f1c"
SUBMISSION_FILE = b"answer nobody else may read 9d2e"
SHARE_FILE = b"shared notes nobody else may read 7b3a"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ok_data(response, status=(200, 201)):
    """The data of an answer that must have succeeded."""
    assert response.status_code in status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()["data"]


@dataclass
class World:
    """The objects (ids) and the words and bytes that only their members may see."""

    people: dict
    ids: dict = field(default_factory=dict)  # parameter name -> candidate values
    secrets: list = field(default_factory=list)


def build_world(server) -> World:
    """Teacher T1 with class C, assignment A (with a file), student S1 in C with a file submission; S1's group G with
    a message and a share; a connection request S1 -> S2; notifications for S1."""
    t1, s1, s2, s4 = (server.person("teacher", "Tess Teacher"), server.person("student", "Sam Secretive"),
                      server.person("student", "Sue Second"), server.person("student", "Sid Classmate"))
    w = World({"T1": t1, "S1": s1, "S2": s2, "S4": s4})
    cls = ok_data(server.call("POST", "/api/classes", t1, json={"name": "Zyxwv Hidden Class",
                                                                 "description": "qq hidden description"}))
    code = cls["join_code"]
    for student in (s1, s4):
        ok_data(server.call("POST", "/api/classes/join", student, json={"join_code": code}))
    assignment = ok_data(server.call("POST", f"/api/classes/{cls['id']}/assignments", t1, json={
        "title": "Qwertz Hidden Assignment", "description": "hidden brief text",
        "attachments": [{"file_name": "brief.txt", "content_type": "text/plain",
                         "content_base64": _b64(ASSIGNMENT_FILE)}]}))
    submission = ok_data(server.call("POST", f"/api/classes/assignments/{assignment['id']}/submissions", s1, json={
        "kind": "file", "text": "Plugh hidden answer", "file_name": "answer.txt", "content_type": "text/plain",
        "content_base64": _b64(SUBMISSION_FILE)}))
    graded = ok_data(server.call("POST", f"/api/classes/submissions/{submission['id']}/grade", t1,
                                 json={"points": 87.25, "feedback": "Xyzzy hidden feedback"}))
    assert graded["points"] == 87.25
    group = ok_data(server.call("POST", "/api/social/groups", s1, json={"name": "Frobozz Hidden Group",
                                                                        "description": "hidden group words"}))
    message = ok_data(server.call("POST", f"/api/social/groups/{group['id']}/messages", s1,
                                  json={"body": "Grault hidden message"}))
    share = ok_data(server.call("POST", f"/api/social/groups/{group['id']}/shares", s1, json={
        "kind": "note", "title": "Garply hidden share", "text": "hidden share text", "file_name": "notes.txt",
        "content_type": "text/plain", "content_base64": _b64(SHARE_FILE)}))
    connection = ok_data(server.call("POST", "/api/social/connections", s1, json={"email": s2.email}))
    notes = ok_data(server.call("GET", "/api/notify", s1))["items"]
    assert notes, "S1 got no notification from the new assignment or the grade"
    w.ids = {
        "class_id": [cls["id"]], "assignment_id": [assignment["id"]], "submission_id": [submission["id"]],
        "attachment_id": [assignment["attachments"][0]["id"], submission["attachments"][0]["id"]],
        "group_id": [group["id"]], "message_id": [str(message["id"])], "share_id": [share["id"]],
        "connection_id": [connection["id"]], "notification_id": [str(n["id"]) for n in notes],
        "session_id": [s1.session_id], "user_id": [s1.id],
    }
    w.secrets = ["Zyxwv Hidden Class", "qq hidden description", code, "Qwertz Hidden Assignment", "hidden brief text",
                 "Plugh hidden answer", "Xyzzy hidden feedback", "87.25", "Frobozz Hidden Group", group["invite_code"],
                 "Grault hidden message", "Garply hidden share", "hidden share text", s1.email, s1.session_id,
                 ASSIGNMENT_FILE.decode(), SUBMISSION_FILE.decode(), SHARE_FILE.decode(),
                 _b64(ASSIGNMENT_FILE), _b64(SUBMISSION_FILE), _b64(SHARE_FILE)]
    return w
