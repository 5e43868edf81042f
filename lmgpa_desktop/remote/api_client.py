"""HTTP client of the sync server: envelopes unwrapped, errors mapped, access token refreshed once on a 401."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)
__all__ = ["ApiClient", "RemoteError", "ServerError", "ServerRejected", "ServerUnreachable", "SessionExpired",
           "Tokens"]

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
STREAM_TIMEOUT = httpx.Timeout(45.0, connect=5.0)  # the server sends a keepalive every 15 s
REFRESH_MARGIN_S = 30  # refresh a little before the access token runs out


class RemoteError(Exception):
    """Talking to the sync server failed."""


class ServerUnreachable(RemoteError):
    """No answer: offline, wrong address, server down or timed out."""


class SessionExpired(RemoteError):
    """The server no longer accepts this sign-in (revoked, expired, or the refresh token was refused)."""


class ServerError(RemoteError):
    """The server failed (5xx); retry later."""


class ServerRejected(RemoteError):
    """The server refused the request (4xx) with a code and a message meant for people."""

    def __init__(self, status: int, code: str, message: str, details: object = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass
class Tokens:
    """The current access token, refresh token and when the access token expires (monotonic seconds)."""

    access_token: str = ""
    refresh_token: str = ""
    expires_at: float = 0.0


def _message(response: httpx.Response) -> tuple[str, str, object]:
    """(code, message, details) from an error envelope, or from whatever the response holds."""
    try:
        body = response.json()
        err = body.get("error") or {}
        return str(err.get("code") or response.status_code), str(err.get("message") or response.reason_phrase), \
            err.get("details")
    except (ValueError, AttributeError):
        return str(response.status_code), response.text[:200] or response.reason_phrase, None


def check(response: httpx.Response, authenticated: bool = True) -> None:
    """Raise the mapped error for a failed response (a 401 without a session, e.g. a wrong password, is a refusal)."""
    if response.status_code < 400:
        return
    code, message, details = _message(response)
    if response.status_code >= 500:
        raise ServerError(f"the server failed ({response.status_code}): {message}")
    if response.status_code == 401 and authenticated:
        raise SessionExpired(message)
    raise ServerRejected(response.status_code, code, message, details)


class ApiClient:
    """One server's client; thread-safe (the sync job and the live thread share it)."""

    def __init__(self, base_url: str, tokens: Tokens | None = None,
                 on_tokens: Callable[[dict], None] | None = None, transport: httpx.BaseTransport | None = None,
                 user_agent: str = "lmgpa-desktop"):
        self.base_url = normalize_url(base_url)
        self.tokens = tokens or Tokens()
        self.on_tokens = on_tokens  # gets the server's token answer after every rotation, to save the new token
        self._refresh_lock = threading.Lock()
        self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT, transport=transport,
                                  headers={"User-Agent": user_agent})

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- tokens ------------------------------------------------------------------------------------------------
    def adopt(self, issued: dict) -> None:
        """Use the tokens of a register/login/refresh answer."""
        self.tokens = Tokens(issued["access_token"], issued["refresh_token"],
                             time.monotonic() + float(issued.get("expires_in", 0)) - REFRESH_MARGIN_S)

    def refresh(self, seen_access: str | None = None) -> dict:
        """Trade the refresh token for a new pair (once, even when two threads ask at the same time)."""
        with self._refresh_lock:
            if seen_access is not None and self.tokens.access_token and self.tokens.access_token != seen_access:
                return {}  # another thread refreshed while we waited: its new token is already in place
            if not self.tokens.refresh_token:
                raise SessionExpired("not signed in")
            issued = self._send("POST", "/api/auth/refresh", json={"refresh_token": self.tokens.refresh_token})
            self.adopt(issued)
            if self.on_tokens is not None:
                self.on_tokens(issued)
            return issued

    def ensure_fresh(self) -> None:
        """Refresh when there is no access token or it is about to expire."""
        if not self.tokens.access_token or time.monotonic() >= self.tokens.expires_at:
            self.refresh(seen_access=None)

    # -- requests ----------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, json: object = None, params: dict | None = None,
                idempotency_key: str | None = None, auth: bool = True) -> object:
        """Send a request and return the envelope's data (raises a RemoteError subclass)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if not auth:
            return self._send(method, path, json=json, params=params, headers=headers, authenticated=False)
        if not self.tokens.access_token:
            self.refresh()
        used = self.tokens.access_token
        try:
            return self._send(method, path, json=json, params=params, headers={**headers, **self._auth(used)})
        except SessionExpired:
            self.refresh(seen_access=used)  # one attempt; a refused refresh raises SessionExpired itself
            return self._send(method, path, json=json, params=params,
                              headers={**headers, **self._auth(self.tokens.access_token)})

    def get(self, path: str, **params) -> object:
        """GET with query parameters (None values left out)."""
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def raw(self, path: str) -> bytes:
        """Bytes of a file endpoint (e.g. an attachment)."""
        if not self.tokens.access_token:
            self.refresh()
        used = self.tokens.access_token
        try:
            return self._raw(path, used)
        except SessionExpired:
            self.refresh(seen_access=used)
            return self._raw(path, self.tokens.access_token)

    def put_bytes(self, path: str, data: bytes) -> object:
        """PUT raw bytes (application/octet-stream) and return the envelope's data."""
        return self._authed(lambda token: self._send_bytes(path, data, token))

    def _authed(self, call: Callable[[str], object]) -> object:
        """call(access token), refreshed and retried once when the session expired."""
        if not self.tokens.access_token:
            self.refresh()
        used = self.tokens.access_token
        try:
            return call(used)
        except SessionExpired:
            self.refresh(seen_access=used)
            return call(self.tokens.access_token)

    def _send_bytes(self, path: str, data: bytes, token: str) -> object:
        headers = {**self._auth(token), "Content-Type": "application/octet-stream"}
        try:
            response = self._http.put(path, content=data, headers=headers)
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"the server at {self.base_url} cannot be reached ({exc.__class__.__name__})"
                                    ) from exc
        check(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise ServerError(f"the server sent something that is not JSON ({response.status_code})") from exc
        return body.get("data") if isinstance(body, dict) and "data" in body else body

    @contextmanager
    def stream(self, path: str, headers: dict | None = None, params: dict | None = None) -> Iterator[httpx.Response]:
        """An open streaming GET (for Server-Sent Events); raises the mapped error when it is refused."""
        if not self.tokens.access_token:
            self.refresh()
        try:
            with self._http.stream("GET", path, params=params, timeout=STREAM_TIMEOUT,
                                   headers={**(headers or {}), **self._auth(self.tokens.access_token)}) as response:
                if response.status_code >= 400:
                    response.read()
                    check(response)
                yield response
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"the server at {self.base_url} cannot be reached ({exc.__class__.__name__})"
                                    ) from exc

    def health(self) -> bool:
        """Whether the server answers at all."""
        try:
            return self._http.get("/health", timeout=httpx.Timeout(5.0)).status_code < 500
        except httpx.TransportError:
            return False

    @staticmethod
    def _auth(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def _raw(self, path: str, token: str) -> bytes:
        try:
            response = self._http.get(path, headers=self._auth(token))
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"the server at {self.base_url} cannot be reached") from exc
        check(response)
        return response.content

    def _send(self, method: str, path: str, json: object = None, params: dict | None = None,
              headers: dict | None = None, authenticated: bool = True) -> object:
        try:
            response = self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.TransportError as exc:
            # Connect errors, timeouts and dropped connections all mean "try again later".
            raise ServerUnreachable(f"the server at {self.base_url} cannot be reached ({exc.__class__.__name__})"
                                    ) from exc
        check(response, authenticated)
        try:
            body = response.json()
        except ValueError as exc:
            raise ServerError(f"the server sent something that is not JSON ({response.status_code})") from exc
        return body.get("data") if isinstance(body, dict) and "data" in body else body


def normalize_url(url: str) -> str:
    """'host:8400' or 'http://host:8400/' as 'http://host:8400'."""
    url = (url or "").strip().rstrip("/")
    if url and "://" not in url:
        url = "http://" + url
    return url
