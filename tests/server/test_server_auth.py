"""/api/auth on SQLite and PostgreSQL: accounts, password policy, throttling, token rotation, devices, resets."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from server_fixtures import PASSWORD
from sync_server import models

NEW_PASSWORD = "violet harbour 7 drifting lanterns"


def _register(server, email, password=PASSWORD, name="Ada Student", role="student"):
    return server.call("POST", "/api/auth/register", json={"email": email, "password": password,
                                                           "display_name": name, "role": role,
                                                           "device_name": "laptop"})


def _login(server, email, password=PASSWORD, device="second laptop"):
    return server.call("POST", "/api/auth/login", json={"email": email, "password": password, "device_name": device})


def _me(server, access):
    return server.call("GET", "/api/auth/me", headers={"Authorization": f"Bearer {access}"})


def _refresh(server, token):
    return server.call("POST", "/api/auth/refresh", json={"refresh_token": token})


def test_register_login_me_logout(server):
    r = _register(server, "Ada@School.example", name="Ada")
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data["user"]["email"] == "ada@school.example" and data["user"]["role"] == "student"
    assert data["token_type"] == "bearer" and data["expires_in"] == 15 * 60
    assert "password_hash" not in r.text and PASSWORD not in r.text

    login = _login(server, "ada@school.example")
    assert login.status_code == 200, login.text
    access = login.json()["data"]["access_token"]
    me = _me(server, access)
    assert me.status_code == 200 and me.json()["data"]["id"] == data["user"]["id"]

    out = server.call("POST", "/api/auth/logout", headers={"Authorization": f"Bearer {access}"})
    assert out.status_code == 200 and out.json()["data"] == {"done": True}
    assert _me(server, access).status_code == 401
    assert _refresh(server, login.json()["data"]["refresh_token"]).status_code == 401
    # The first device was not signed out by the second one's logout.
    assert _me(server, data["access_token"]).status_code == 200


def test_me_without_a_token_is_401(server):
    r = server.call("GET", "/api/auth/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHORIZED"


def test_eleven_characters_are_too_short(server):
    r = _register(server, "short@school.example", password="abcdefghij1")
    assert r.status_code == 422 and r.json()["error"]["code"] == "WEAK_PASSWORD"
    assert _register(server, "short@school.example", password="abcdefghij12").status_code == 201


def test_a_long_passphrase_counts_every_character(server):
    passphrase = ("the quick brown fox jumps over a lazy dog while seventy two bytes go by; "  # 73 characters
                  "and these last words matter!")
    assert len(passphrase) == 101 and len(passphrase.encode()) > 72
    assert _register(server, "long@school.example", password=passphrase).status_code == 201
    assert _login(server, "long@school.example", passphrase).status_code == 200
    # Same first 72 bytes, different tail: bcrypt would accept it; we must not.
    assert _login(server, "long@school.example", passphrase[:72] + "X" * 29).status_code == 401
    assert _login(server, "long@school.example", passphrase[:-1]).status_code == 401


def test_common_passwords_are_rejected(server):
    for common in ("qwerty123456", "123qweasdzxc", "leavemealone", "aaaaaaaaaaaaaaaa"):
        r = _register(server, "common@school.example", password=common)
        assert r.status_code == 422, common
        assert "common" in r.json()["error"]["message"]
    assert _register(server, "common@school.example", password="ada@school.example",
                     name="ada@school.example").status_code == 422  # the name as password


def test_duplicate_email_is_409(server):
    assert _register(server, "twin@school.example").status_code == 201
    again = _register(server, "TWIN@school.example")  # addresses are compared case-insensitively
    assert again.status_code == 409 and again.json()["error"]["code"] == "EMAIL_TAKEN"


def test_login_failure_looks_the_same_for_unknown_email_and_wrong_password(server):
    someone = server.person()
    wrong = _login(server, someone.email, "not the right password at all")
    unknown = _login(server, "nobody@school.example", "not the right password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"] == unknown.json()["error"]
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")


def test_login_is_throttled_after_the_allowed_failures(server_factory):
    server = server_factory(login_failures_allowed=3)
    someone = server.person()
    for _ in range(3):
        assert _login(server, someone.email, "a wrong password for sure").status_code == 401
    blocked = _login(server, someone.email, "a wrong password for sure")
    assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "RATE_LIMITED"
    assert int(blocked.headers["Retry-After"]) > 0
    # Throttled means throttled: the right password does not get through either.
    right = _login(server, someone.email)
    assert right.status_code == 429 and "access_token" not in right.text


def test_failures_expire_with_their_window(server_factory):
    server = server_factory(login_failures_allowed=3)
    someone = server.person()
    for _ in range(3):
        _login(server, someone.email, "a wrong password for sure")
    assert _login(server, someone.email).status_code == 429
    with server.client.app.state.db.session() as s:  # the failures age past the window
        s.execute(update(models.AuthAttempt).values(at=models.utcnow() - timedelta(minutes=16)))
    assert _login(server, someone.email).status_code == 200


def test_guarded_auth_calls_are_rate_limited_per_address(server_factory):
    server = server_factory(rate_limit_per_minute=5)
    codes = [server.call("POST", "/api/auth/password/reset/request",
                         json={"email": f"x{i}@school.example"}).status_code for i in range(6)]
    assert codes == [202] * 5 + [429]
    limited = server.call("POST", "/api/auth/login", json={"email": "x@school.example", "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert _register(server, "late@school.example").status_code == 429


def test_refresh_rotates_and_reuse_ends_the_whole_family(server):
    someone = server.person()
    first = _refresh(server, someone.refresh)
    assert first.status_code == 200, first.text
    r1 = first.json()["data"]
    assert r1["refresh_token"] != someone.refresh and r1["session_id"] == someone.session_id
    second = _refresh(server, r1["refresh_token"])
    assert second.status_code == 200
    newest = second.json()["data"]
    assert _me(server, newest["access_token"]).status_code == 200

    reused = _refresh(server, someone.refresh)  # the first, long spent token comes back: it was copied
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "TOKEN_REUSED"
    assert _refresh(server, newest["refresh_token"]).status_code == 401
    assert _me(server, newest["access_token"]).status_code == 401
    assert _me(server, someone.access).status_code == 401
    # Another device of the same person is a different family and stays signed in.
    other = _login(server, someone.email).json()["data"]
    assert _me(server, other["access_token"]).status_code == 200


def test_unknown_refresh_token_is_401(server):
    assert _refresh(server, "not-a-token").status_code == 401


def test_expired_refresh_token_is_401(server):
    someone = server.person()
    with server.client.app.state.db.session() as s:
        s.execute(update(models.RefreshToken).values(expires_at=models.utcnow() - timedelta(seconds=1)))
    assert _refresh(server, someone.refresh).status_code == 401


def test_sessions_list_and_revoke_another_device(server):
    someone = server.person()
    laptop = _login(server, someone.email, device="kitchen laptop").json()["data"]
    listed = server.call("GET", "/api/auth/sessions", someone)
    assert listed.status_code == 200
    rows = {row["id"]: row for row in listed.json()["data"]}
    assert set(rows) == {someone.session_id, laptop["session_id"]}
    assert rows[someone.session_id]["current"] is True and rows[laptop["session_id"]]["current"] is False
    assert rows[laptop["session_id"]]["device_name"] == "kitchen laptop"

    gone = server.call("DELETE", f"/api/auth/sessions/{laptop['session_id']}", someone)
    assert gone.status_code == 200
    assert _me(server, laptop["access_token"]).status_code == 401
    assert _refresh(server, laptop["refresh_token"]).status_code == 401
    assert _me(server, someone.access).status_code == 200
    assert [r["id"] for r in server.call("GET", "/api/auth/sessions", someone).json()["data"]] == [someone.session_id]
    # Again, or someone else's: not found.
    assert server.call("DELETE", f"/api/auth/sessions/{laptop['session_id']}", someone).status_code == 404
    stranger = server.person()
    assert server.call("DELETE", f"/api/auth/sessions/{someone.session_id}", stranger).status_code == 404
    assert _me(server, someone.access).status_code == 200


def test_password_change_signs_other_devices_out(server):
    someone = server.person()
    other = _login(server, someone.email).json()["data"]
    wrong = server.call("POST", "/api/auth/password/change", someone,
                        json={"current_password": "not my password at all", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 403
    weak = server.call("POST", "/api/auth/password/change", someone,
                       json={"current_password": PASSWORD, "new_password": "qwerty123456"})
    assert weak.status_code == 422
    assert _me(server, other["access_token"]).status_code == 200  # failed changes sign nobody out

    done = server.call("POST", "/api/auth/password/change", someone,
                       json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert done.status_code == 200
    assert _me(server, other["access_token"]).status_code == 401
    assert _refresh(server, other["refresh_token"]).status_code == 401
    assert _me(server, someone.access).status_code == 200
    assert _login(server, someone.email).status_code == 401
    assert _login(server, someone.email, NEW_PASSWORD).status_code == 200


def _reset_token(server, email):
    r = server.call("POST", "/api/auth/password/reset/request", json={"email": email})
    assert r.status_code == 202
    tokens = [t for e, t in server.resets if e == email]
    assert tokens, "no reset token was sent"
    return tokens[-1]


def _confirm(server, token, password=NEW_PASSWORD):
    return server.call("POST", "/api/auth/password/reset/confirm", json={"token": token, "new_password": password})


def test_password_reset_is_single_use_and_signs_everyone_out(server):
    someone = server.person()
    token = _reset_token(server, someone.email)
    assert _confirm(server, token, "qwerty123456").status_code == 422  # the policy applies; the token survives
    assert _confirm(server, token).status_code == 200
    assert _me(server, someone.access).status_code == 401
    assert _login(server, someone.email).status_code == 401
    assert _login(server, someone.email, NEW_PASSWORD).status_code == 200
    again = _confirm(server, token, "another fine passphrase 99")
    assert again.status_code == 400 and again.json()["error"]["code"] == "INVALID_TOKEN"
    assert _login(server, someone.email, NEW_PASSWORD).status_code == 200


def test_an_expired_reset_token_is_refused(server):
    someone = server.person()
    token = _reset_token(server, someone.email)
    with server.client.app.state.db.session() as s:
        s.execute(update(models.PasswordReset).values(expires_at=models.utcnow() - timedelta(seconds=1)))
    assert _confirm(server, token).status_code == 400
    assert _login(server, someone.email).status_code == 200


def test_a_reset_token_dies_when_the_password_changes(server):
    someone = server.person()
    token = _reset_token(server, someone.email)
    changed = server.call("POST", "/api/auth/password/change", someone,
                          json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200
    assert _confirm(server, token, "another fine passphrase 99").status_code == 400
    assert _login(server, someone.email, NEW_PASSWORD).status_code == 200


def test_a_garbage_reset_token_is_refused(server):
    assert _confirm(server, "made-up-token").status_code == 400


def test_reset_request_for_an_unknown_email_answers_the_same(server):
    someone = server.person()
    known = server.call("POST", "/api/auth/password/reset/request", json={"email": someone.email})
    unknown = server.call("POST", "/api/auth/password/reset/request", json={"email": "ghost@school.example"})
    assert known.status_code == unknown.status_code == 202
    assert known.json()["data"] == unknown.json()["data"]
    assert [e for e, _t in server.resets] == [someone.email]


def test_only_admins_list_users_and_set_roles(server):
    student, teacher, admin = server.person("student"), server.person("teacher"), server.person("admin")
    for who in (student, teacher):
        assert server.call("GET", "/api/auth/users", who).status_code == 403
        r = server.call("PATCH", f"/api/auth/users/{student.id}/role", who, json={"role": "admin"})
        assert r.status_code == 403
    assert server.call("GET", "/api/auth/users").status_code == 401
    listed = server.call("GET", "/api/auth/users", admin)
    assert listed.status_code == 200
    assert {u["id"] for u in listed.json()["data"]} == {student.id, teacher.id, admin.id}
    assert "password_hash" not in listed.text
    promoted = server.call("PATCH", f"/api/auth/users/{student.id}/role", admin, json={"role": "teacher"})
    assert promoted.status_code == 200 and promoted.json()["data"]["role"] == "teacher"
    assert server.call("PATCH", "/api/auth/users/no-such-user/role", admin, json={"role": "teacher"}).status_code == 404


def test_registration_cannot_make_an_admin(server):
    r = _register(server, "sneaky@school.example", role="admin")
    assert r.status_code == 422
