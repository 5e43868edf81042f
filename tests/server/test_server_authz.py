"""Object-level authorization: every route with a path parameter, called by outsiders of each role on a world built
through the API, answers 403 or 404 and shows nothing of the object; students cannot act as their teacher.

Routes are read from the app's OpenAPI document, so a new route with a path parameter is checked as soon as it
exists; a parameter name this file does not know fails the test until it is mapped below."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from server_world import ASSIGNMENT_FILE, SUBMISSION_FILE, World, build_world
from server_world import ok_data as _data


def _example(schema: dict, spec: dict):
    """A small valid instance of a JSON schema, so that validation does not answer before authorization does."""
    if "$ref" in schema:
        return _example(spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], spec)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _example(options[0], spec)
    if "allOf" in schema:
        return _example(schema["allOf"][0], spec)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if kind == "object":
        return {name: _example(sub, spec) for name, sub in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    fmt = schema.get("format")
    if fmt == "email":
        return "someone.else@school.example"
    if fmt == "date-time":
        return datetime.now(UTC).isoformat()
    if fmt == "date":
        return "2026-11-23"
    return "x" * max(1, schema.get("minLength", 1))


def object_operations(spec: dict) -> list[tuple[str, str, dict]]:
    """(method, path template, operation) of every operation with a path parameter."""
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete") and "{" in path:
                out.append((method.upper(), path, op))
    return out


# A bare {id} means the object of the path's prefix (longest prefix first).
ID_BY_PREFIX = [("/api/classes/assignments/", "assignment_id"), ("/api/classes/submissions/", "submission_id"),
                ("/api/classes/attachments/", "attachment_id"), ("/api/social/connections/", "connection_id"),
                ("/api/social/groups/", "group_id"), ("/api/notify/", "notification_id"),
                ("/api/auth/sessions/", "session_id"), ("/api/auth/users/", "user_id"), ("/api/classes/", "class_id")]
ALIASES = {"student_id": "user_id", "member_id": "user_id"}


def _ids_for(world: World, path: str, name: str) -> list[str] | None:
    if name == "id":
        name = next((n for prefix, n in ID_BY_PREFIX if path.startswith(prefix)), name)
    return world.ids.get(ALIASES.get(name, name))


def _calls(world: World, spec: dict, method: str, path: str, op: dict):
    """(concrete path, json body or None) for each combination of the world's ids for the path's parameters."""
    names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
    unknown = [n for n in names if _ids_for(world, path, n) is None]
    assert not unknown, f"{method} {path}: map path parameter(s) {unknown} to an object of the world"
    body_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    body = _example(body_schema, spec) if body_schema else None
    for values in itertools.product(*(_ids_for(world, path, n) for n in names)):
        concrete = path
        for name, value in zip(names, values, strict=True):
            concrete = concrete.replace("{" + name + "}", value)
        yield concrete, body


def test_outsiders_get_403_or_404_and_see_nothing(server):
    world = build_world(server)
    outsiders = {"student": server.person("student", "Olga Outsider"),
                 "teacher": server.person("teacher", "Otto Outsider"),
                 "admin": server.person("admin", "Ada Admin")}
    spec = server.client.app.openapi()
    # A sync blob id names content in the caller's own space (another's id reaches only the caller's own blob):
    # covered by test_server_personal_sync.test_media_chunks_resume_complete_and_stay_private.
    operations = [o for o in object_operations(spec) if not o[1].startswith("/api/sync/")]
    assert any(p.startswith("/api/classes/") for _m, p, _o in operations)
    problems, checked = [], 0
    for method, path, op in operations:
        if path.startswith("/api/auth/users/"):
            continue  # admin account management: covered by test_admin_routes_are_for_admins_only
        for concrete, body in _calls(world, spec, method, path, op):
            for role, who in outsiders.items():
                r = server.call(method, concrete, who, json=body)
                checked += 1
                if r.status_code not in (403, 404):
                    problems.append(f"{role} outsider: {method} {concrete} -> {r.status_code} {r.text[:300]}")
                    continue
                leaked = [s for s in world.secrets if s in r.text]
                if leaked:
                    problems.append(f"{role} outsider: {method} {concrete} -> {r.status_code} leaks {leaked}")
            if method == "GET":  # the ids are right: someone inside does get the object
                insiders = [server.call(method, concrete, p).status_code for p in world.people.values()]
                if 200 not in insiders:
                    problems.append(f"no insider can {method} {concrete} ({insiders}): the world's ids are wrong")
    assert checked >= 3 * len(operations)
    assert not problems, f"{len(problems)} of {checked} calls broke object-level authorization:\n" + "\n".join(problems)


def test_admin_routes_are_for_admins_only(server):
    world = build_world(server)
    spec = server.client.app.openapi()
    for method, path, op in object_operations(spec):
        if not path.startswith("/api/auth/users/"):
            continue
        for concrete, body in _calls(world, spec, method, path, op):
            for who in (server.person("student"), server.person("teacher"), world.people["S1"]):
                r = server.call(method, concrete, who, json=body)
                assert r.status_code == 403, f"{method} {concrete} as {who.role}: {r.status_code}"


TEACHER_ACTIONS = [
    ("PATCH", "/api/classes/{class_id}", {"name": "Renamed by a student"}),
    ("POST", "/api/classes/{class_id}/join-code/reset", None),
    ("POST", "/api/classes/{class_id}/assignments", {"title": "Set by a student"}),
    ("PATCH", "/api/classes/assignments/{assignment_id}", {"title": "Changed by a student"}),
    ("DELETE", "/api/classes/assignments/{assignment_id}", None),
    ("POST", "/api/classes/submissions/{submission_id}/grade", {"points": 100, "feedback": "self-graded"}),
    ("DELETE", "/api/classes/{class_id}/members/{other_student}", None),
]


@pytest.mark.parametrize("method,template,body", TEACHER_ACTIONS, ids=[f"{m} {p}" for m, p, _b in TEACHER_ACTIONS])
def test_students_cannot_take_teacher_actions_in_their_own_class(server, method, template, body):
    world = build_world(server)
    s1 = world.people["S1"]
    values = {k: v[0] for k, v in world.ids.items()}
    values["other_student"] = world.people["S4"].id
    path = template.format(**values)
    r = server.call(method, path, s1, json=body)
    assert r.status_code == 403, f"{method} {path}: {r.status_code} {r.text[:300]}"
    # Nothing changed: the class, the assignment and the grade are as the teacher left them.
    t1 = world.people["T1"]
    assert _data(server.call("GET", f"/api/classes/{values['class_id']}", t1))["name"] == "Zyxwv Hidden Class"
    assignment = _data(server.call("GET", f"/api/classes/assignments/{values['assignment_id']}", t1))
    assert assignment["title"] == "Qwertz Hidden Assignment"
    subs = _data(server.call("GET", f"/api/classes/assignments/{values['assignment_id']}/submissions", t1))
    assert [s["points"] for s in subs] == [87.25]
    roster = _data(server.call("GET", f"/api/classes/{values['class_id']}/roster", t1))
    assert world.people["S4"].id in str(roster)


def test_classmates_never_see_each_others_work_or_grades(server):
    world = build_world(server)
    s4 = world.people["S4"]
    values = {k: v[0] for k, v in world.ids.items()}
    reads = [f"/api/classes/assignments/{values['assignment_id']}/submissions",
             f"/api/classes/assignments/{values['assignment_id']}/submissions?all_versions=true",
             f"/api/classes/assignments/{values['assignment_id']}", f"/api/classes/{values['class_id']}/assignments",
             f"/api/classes/{values['class_id']}/roster", f"/api/classes/{values['class_id']}",
             f"/api/classes/{values['class_id']}/grades", f"/api/game/leaderboards/class/{values['class_id']}"]
    for path in reads:
        r = server.call("GET", path, s4)
        assert r.status_code in (200, 403, 404), f"{path}: {r.status_code}"
        for secret in ("Plugh hidden answer", "Xyzzy hidden feedback", "87.25", SUBMISSION_FILE.decode()):
            assert secret not in r.text, f"{path} shows a classmate's {secret!r}"
    submission_file = world.ids["attachment_id"][1]
    assert server.call("GET", f"/api/classes/attachments/{submission_file}", s4).status_code in (403, 404)
    assert server.call("POST", f"/api/classes/submissions/{values['submission_id']}/grade", s4,
                       json={"points": 1}).status_code in (403, 404)
    # The class file is theirs to read, and the owner still reads their own work.
    assert server.call("GET", f"/api/classes/attachments/{world.ids['attachment_id'][0]}", s4).content \
        == ASSIGNMENT_FILE
    own = server.call("GET", f"/api/classes/assignments/{values['assignment_id']}/submissions", world.people["S1"])
    assert "Plugh hidden answer" in own.text
