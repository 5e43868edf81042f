"""Shared pieces of the online service: constants, AccountState, OutboxItem, helpers and the account core."""

# Online (core/online/service.py) is composed of OnlineBase and the mixins in this package; the mixins call each other's
# methods through self, so each one stays about one part of the service.

from __future__ import annotations

import base64
import logging
import mimetypes
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.remote import credentials
from lmgpa_desktop.remote.api_client import (
    ApiClient,
    ServerError,
    ServerRejected,
    ServerUnreachable,
    SessionExpired,
)
from lmgpa_desktop.remote.live import LiveStream
from lmgpa_desktop.storage import online_repo
from lmgpa_desktop.storage.online_repo import AccountRow, OutboxRow

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)

DEFAULT_SERVER = "http://127.0.0.1:8400"
LOCAL_PREFIX = "local-"
LOCAL_ID = re.compile(r"local-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SUBMISSION_KINDS = ("text", "file", "note", "deck")
SHARE_KINDS = ("note", "deck")
MESSAGE_PAGE = 200
EXPIRED_MESSAGE = "your sign-in has ended; sign in again"


@dataclass(frozen=True)
class AccountState:
    """What the status badge and the Account page show."""

    status: str  # "signed_out" | "online" | "offline" | "expired"
    server_url: str | None
    user: dict | None  # {id, email, display_name, role, leaderboard_opt_in, created_at}
    message: str
    token_storage: str  # "keyring" | "memory" | "none"
    pending: int
    failed: int
    last_sync: datetime | None


@dataclass(frozen=True)
class OutboxItem:
    """One queued write to the server."""

    id: int
    request_id: str
    action: str
    summary: str
    state: str  # "pending" | "sending" | "sent" | "failed"
    error: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(row.id, row.request_id, row.action, row.summary, row.state, row.error, row.attempts,
                      row.created_at, row.sent_at)


def unreachable_message(url: str) -> str:
    """What the student reads when the server does not answer."""
    return f"the server at {url} cannot be reached; your work is saved and will be sent when it is back"


def _friendly(exc: ServerRejected) -> str:
    """The server's message, with the fields a validation error names."""
    if exc.code == "VALIDATION_ERROR" and isinstance(exc.details, list) and exc.details:
        parts = []
        for d in exc.details[:3]:
            loc = [str(x) for x in d.get("loc", []) if x not in ("body", "query", "path")]
            parts.append(f"{'.'.join(loc) or 'input'}: {d.get('msg', '')}".strip())
        return "; ".join(parts)
    return exc.message


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        raise UserError("the due time needs a time zone")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_server_time(value: str | None) -> datetime | None:
    """A server timestamp (naive UTC, or with a zone) as an aware UTC datetime."""
    if not value:
        return None
    at = datetime.fromisoformat(str(value))  # 3.11 reads a trailing Z too
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _file(path) -> dict:
    """A file as the server's {file_name, content_type, content_base64} (read now, so it travels with the item)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {p}: {exc.strerror or exc}") from exc
    ctype = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
    return {"file_name": p.name, "content_type": ctype, "content_base64": base64.b64encode(data).decode("ascii")}


def _local_id() -> str:
    return f"{LOCAL_PREFIX}{uuid.uuid4()}"


def _message_key(message_id) -> str:
    """Sort key of a message: its server id, zero-padded so text order is numeric order."""
    return f"{int(message_id):015d}"


class OnlineBase:
    """One profile's account core: state, listeners, the API client and its tokens."""

    def __init__(self, ctx: AppContext):
        self.ctx = ctx
        self.db = ctx.db
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()
        self._merge_lock = threading.Lock()
        self._listeners: list[Callable[[AccountState], None]] = []
        self._creds = credentials.store()
        self._client: ApiClient | None = None
        self._client_key: str | None = None
        self._token_storage = "none"
        self._live: LiveStream | None = None

    # -- state and listeners -----------------------------------------------------------------------------------
    def _account(self) -> AccountRow | None:
        a = online_repo.account(self.db)
        return a if a is not None and a.signed_in else None

    def _require(self) -> AccountRow:
        a = self._account()
        if a is None:
            raise UserError("sign in to a Little Monster GPA server first (Account page, or `lmgpa account signin`)")
        return a

    def state(self) -> AccountState:
        """The account's current state (no network)."""
        a = self._account()
        if a is None:
            last = online_repo.account(self.db)
            return AccountState("signed_out", last.server_url if last else None, None, "", "none", 0, 0, None)
        client = self._ensure_client(a)
        pending, failed = online_repo.counts(self.db, a.key)
        status, message = a.status, a.message
        if not client.tokens.refresh_token and not client.tokens.access_token:
            # A memory-only token does not survive a restart: the account is known but must sign in again.
            status, message = "expired", message or "this computer could not keep your sign-in; sign in again"
        elif status == "offline" and not message:
            message = f"working offline; {pending} change{'s' if pending != 1 else ''} waiting"
        storage = self._token_storage if status != "expired" or client.tokens.refresh_token else "none"
        return AccountState(status, a.server_url, a.user, message, storage, pending, failed, a.last_sync)

    def subscribe(self, callback: Callable[[AccountState], None]) -> None:
        """Call callback(state) whenever the state changes (from any thread: UI callers must hand over)."""
        with self._lock:
            self._listeners.append(callback)

    def unsubscribe(self, callback: Callable[[AccountState], None]) -> None:
        """Stop calling callback."""
        with self._lock:
            self._listeners = [fn for fn in self._listeners if fn != callback]

    def _changed(self) -> None:
        with self._lock:
            targets = list(self._listeners)
        if not targets:
            return
        current = self.state()
        for fn in targets:
            try:
                fn(current)
            except Exception:
                log.exception("online state listener failed")

    def _set_status(self, status: str, message: str = "") -> None:
        a = online_repo.account(self.db)
        if a is None or not a.signed_in:
            return
        if a.status != status or a.message != message:
            online_repo.update_account(self.db, status=status, message=message)
            self._changed()

    # -- client and tokens -------------------------------------------------------------------------------------
    def _ensure_client(self, a: AccountRow) -> ApiClient:
        """The client of the signed-in account, with its refresh token loaded from the credential store."""
        with self._lock:
            if self._client is not None and self._client_key == a.key:
                return self._client
            if self._client is not None:
                self._client.close()
            client = ApiClient(a.server_url, on_tokens=self._tokens_rotated)
            token = self._creds.load(a.server_url, a.email)
            if token:
                client.tokens.refresh_token = token
                self._token_storage = self._creds.kind
            else:
                self._token_storage = "none"
            self._client, self._client_key = client, a.key
            return client

    def _tokens_rotated(self, issued: dict) -> None:
        """Save the new refresh token the server handed out (the old one is now spent)."""
        a = online_repo.account(self.db)
        if a is not None:
            self._token_storage = self._creds.save(a.server_url, a.email, issued["refresh_token"])

    def _call(self, fn: Callable[[ApiClient], object]) -> object:
        """Run a network call for the signed-in account, mapping failures to UserError and the account state."""
        a = self._require()
        client = self._ensure_client(a)
        try:
            result = fn(client)
        except ServerUnreachable as exc:
            self._set_status("offline", "")
            raise UserError(unreachable_message(a.server_url)) from exc
        except SessionExpired as exc:
            self._set_status("expired", EXPIRED_MESSAGE)
            raise UserError(EXPIRED_MESSAGE) from exc
        except ServerRejected as exc:
            raise UserError(_friendly(exc)) from exc
        except ServerError as exc:
            raise UserError(str(exc)) from exc
        if a.status != "online":
            self._set_status("online", "")
        return result

    def call(self, fn: Callable[[ApiClient], object]) -> object:
        """_call for other core packages (personal sync): fn(client) with failures as UserError."""
        return self._call(fn)

    def api_client(self) -> ApiClient:
        """The signed-in account's client (UserError when signed out)."""
        return self._ensure_client(self._require())

    # -- cache keys --------------------------------------------------------------------------------------------
    def _key(self) -> str | None:
        a = self._account()
        return a.key if a is not None else None

    def _resolve(self, key: str, object_id: str) -> str:
        return online_repo.resolve(self.db, key, str(object_id)) if str(object_id).startswith(LOCAL_PREFIX) \
            else str(object_id)
