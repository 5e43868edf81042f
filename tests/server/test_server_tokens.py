"""Forged, tampered and stale access tokens get 401 on /api/auth/me and on every signed-in route of every router."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from sync_server.security import tokens

OTHER_KEY = "Zq8-wN3vB6yT1uR4eW7pA0sD2fG5hJ9kL3xC6vB8nM1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _by_hand(header: dict, claims: dict, key: str | None) -> str:
    """A JWS assembled without PyJWT (which refuses alg none and HMAC under an RSA name); HMAC-SHA256 if key."""
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims, default=str).encode())
    signature = b"" if key is None else hmac.new(key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature)


def _claims(person, **changes) -> dict:
    """The claims the server issues for this person, with changes (None removes a claim)."""
    now = datetime.now(UTC)
    claims = {"sub": person.id, "sid": person.session_id, "role": person.role, "typ": tokens.ACCESS_TYPE,
              "iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
              "exp": int((now + timedelta(minutes=10)).timestamp()), "jti": uuid.uuid4().hex[:16]}
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def _signed(server, person, algorithm="HS256", **changes) -> str:
    return jwt.encode(_claims(person, **changes), server.settings.signing_key, algorithm=algorithm)


def _ts(delta: timedelta) -> int:
    return int((datetime.now(UTC) + delta).timestamp())


def _revoked_session_token(server, person) -> str:
    login = server.call("POST", "/api/auth/login", json={"email": person.email, "password": person.password})
    access = login.json()["data"]["access_token"]
    assert server.call("POST", "/api/auth/logout", headers={"Authorization": f"Bearer {access}"}).status_code == 200
    return access


# name -> (server, person, victim) -> Authorization header value
FORGERIES = {
    "wrong key": lambda srv, p, v: "Bearer " + jwt.encode(_claims(p), OTHER_KEY, algorithm="HS256"),
    "alg none": lambda srv, p, v: "Bearer " + _by_hand({"alg": "none", "typ": "JWT"}, _claims(p), None),
    "alg None, signed anyway": lambda srv, p, v: "Bearer " + _by_hand({"alg": "None"}, _claims(p),
                                                                     srv.settings.signing_key),
    "alg HS512 with the right key": lambda srv, p, v: "Bearer " + _signed(srv, p, algorithm="HS512"),
    "alg RS256 header, HMAC body": lambda srv, p, v: "Bearer " + _by_hand({"alg": "RS256", "typ": "JWT"}, _claims(p),
                                                                         srv.settings.signing_key),
    "signature stripped": lambda srv, p, v: "Bearer " + p.access.rsplit(".", 1)[0] + ".",
    "payload edited (role admin)": lambda srv, p, v: "Bearer " + _swap_payload(p.access, role="admin"),
    "expired": lambda srv, p, v: "Bearer " + _signed(srv, p, exp=_ts(-timedelta(minutes=2)),
                                                     iat=_ts(-timedelta(minutes=20)), nbf=_ts(-timedelta(minutes=20))),
    "nbf in the future": lambda srv, p, v: "Bearer " + _signed(srv, p, nbf=_ts(timedelta(hours=1))),
    "wrong aud": lambda srv, p, v: "Bearer " + _signed(srv, p, aud="some-other-app"),
    "wrong iss": lambda srv, p, v: "Bearer " + _signed(srv, p, iss="https://evil.example"),
    "typ refresh": lambda srv, p, v: "Bearer " + _signed(srv, p, typ="refresh"),
    "missing typ": lambda srv, p, v: "Bearer " + _signed(srv, p, typ=None),
    "missing sub": lambda srv, p, v: "Bearer " + _signed(srv, p, sub=None),
    "missing sid": lambda srv, p, v: "Bearer " + _signed(srv, p, sid=None),
    "missing exp": lambda srv, p, v: "Bearer " + _signed(srv, p, exp=None),
    "sub of someone else on my session": lambda srv, p, v: "Bearer " + _signed(srv, p, sub=v.id),
    "unknown session id": lambda srv, p, v: "Bearer " + _signed(srv, p, sid=str(uuid.uuid4())),
    "refresh token as bearer": lambda srv, p, v: "Bearer " + p.refresh,
    "token of a revoked session": lambda srv, p, v: "Bearer " + _revoked_session_token(srv, p),
    "garbage": lambda srv, p, v: "Bearer not-a-token-at-all",
    "three garbage parts": lambda srv, p, v: "Bearer abc.def.ghi",
    "empty bearer": lambda srv, p, v: "Bearer ",
    "wrong scheme": lambda srv, p, v: "Basic " + p.access,
}


def _swap_payload(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return ".".join([header, _b64(json.dumps(claims).encode()), signature])


def signed_in_operations(app) -> list[tuple[str, str]]:
    """(method, path template) of every operation that declares the bearer scheme."""
    out = []
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete") and op.get("security"):
                out.append((method.upper(), path))
    return out


def _filled(path: str) -> str:
    """The path with every parameter set to a random id (the token is refused before it is looked at)."""
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def test_every_router_is_covered(server):
    """Each router with signed-in routes appears, and a valid token is accepted on the GETs without parameters."""
    ops = signed_in_operations(server.client.app)
    assert ("GET", "/api/auth/me") in ops and ("GET", "/api/sync/status") in ops
    someone = server.person()
    paths = server.client.app.openapi()["paths"]
    for method, path in ops:
        streams = "text/event-stream" in paths[path][method.lower()]["responses"].get("200", {}).get("content", {})
        # /api/auth/users is for admins; /api/sync/key is 404 NO_KEY until a first device sets sync up.
        if method == "GET" and "{" not in path and path not in ("/api/auth/users", "/api/sync/key") and not streams:
            assert server.call(method, path, someone).status_code == 200, path  # a stream would never end


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 forgery: short on purpose
@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_a_bad_token_gets_401_everywhere(server, forgery):
    someone, victim = server.person(), server.person("teacher")
    header = FORGERIES[forgery](server, someone, victim)
    assert server.call("GET", "/api/auth/me", someone).status_code == 200  # the genuine token still works
    for method, path in [("GET", "/api/auth/me"), *signed_in_operations(server.client.app)]:
        r = server.call(method, _filled(path), headers={"Authorization": header})
        assert r.status_code == 401, f"{forgery}: {method} {path} -> {r.status_code} {r.text[:200]}"
        assert r.json()["error"]["code"] == "UNAUTHORIZED"
        assert someone.email not in r.text and victim.email not in r.text
