"""The student's account on a sync server: sign-in, an offline cache of shared data, an outbox, and sync."""

# Offline is normal: every action is written to the outbox first (with a uuid request id the server uses
# as its Idempotency-Key) and shown in the cache at once, marked pending; sync() sends the outbox in order
# and then refreshes the cache. Cache reads never touch the network.
#
# Cache objects are plain dicts: the server's public fields (ids are strings, message ids ints) plus
# "pending" (True for something created here and not yet sent; its "id" is then a local id "local-<uuid>").
# Pending objects are not stored in the cache: they are drawn from the unsent outbox items' "optimistic"
# operations at read time, so a failed or discarded item disappears from the cache by itself.

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import re
import socket
import threading
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lmgpa_desktop.core import notifications
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.jobs import JobContext, job_kind
from lmgpa_desktop.core.progress import Progress
from lmgpa_desktop.remote import credentials
from lmgpa_desktop.remote.api_client import (
    ApiClient,
    RemoteError,
    ServerError,
    ServerRejected,
    ServerUnreachable,
    SessionExpired,
    normalize_url,
)
from lmgpa_desktop.remote.live import LiveStream
from lmgpa_desktop.storage import gamification_repo, library_repo, online_repo
from lmgpa_desktop.storage.online_repo import AccountRow, OutboxRow

log = logging.getLogger(__name__)
__all__ = ["DEFAULT_SERVER", "AccountState", "Online", "OutboxItem", "service"]

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


class Online:
    """One profile's online features; get it with service(ctx)."""

    def __init__(self, ctx):
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

    # -- account -----------------------------------------------------------------------------------------------
    def _authenticate(self, server_url: str, path: str, body: dict) -> AccountState:
        url = normalize_url(server_url or DEFAULT_SERVER)
        client = ApiClient(url, on_tokens=self._tokens_rotated)
        try:
            issued = client.request("POST", path, json={**body, "device_name": socket.gethostname()[:120]},
                                    auth=False)
        except ServerUnreachable as exc:
            client.close()
            raise UserError(f"the server at {url} cannot be reached; check the address and your connection") from exc
        except ServerRejected as exc:
            client.close()
            raise UserError(_friendly(exc)) from exc
        except (ServerError, SessionExpired) as exc:
            client.close()
            raise UserError(str(exc)) from exc
        self.stop_live()
        email = issued["user"]["email"]
        online_repo.save_account(self.db, url, email, issued["user"], issued["session_id"])
        client.adopt(issued)
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = client
            self._client_key = online_repo.account_key(url, issued["user"]["id"])
            self._token_storage = self._creds.save(url, email, issued["refresh_token"])
        self._changed()
        return self.state()

    def sign_up(self, server_url: str, email: str, password: str, display_name: str,
                role: str = "student") -> AccountState:
        """Create an account on the server and sign this computer in (UserError with the server's reason)."""
        if role not in ("student", "teacher"):
            raise UserError("role must be student or teacher")
        return self._authenticate(server_url, "/api/auth/register",
                                  {"email": email.strip(), "password": password,
                                   "display_name": display_name.strip(), "role": role})

    def sign_in(self, server_url: str, email: str, password: str) -> AccountState:
        """Sign in (UserError on a wrong password or an unreachable server)."""
        return self._authenticate(server_url, "/api/auth/login", {"email": email.strip(), "password": password})

    def sign_out(self) -> AccountState:
        """Sign out: revoke on the server when reachable, forget the token, hide (keep) the cache."""
        a = online_repo.account(self.db)
        self.stop_live()
        if a is not None and a.signed_in:
            client = self._ensure_client(a)
            try:
                if client.tokens.access_token or client.tokens.refresh_token:
                    client.request("POST", "/api/auth/logout")
            except RemoteError as exc:  # offline or already ended: forgetting the token locally is what matters
                log.info("sign-out could not reach the server: %s", exc)
            self._creds.delete(a.server_url, a.email)
            online_repo.update_account(self.db, signed_in=False, status="online", message="")
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client, self._client_key, self._token_storage = None, None, "none"
        self._changed()
        return self.state()

    def devices(self) -> list[dict]:
        """Signed-in devices: {id, device_name, user_agent, created_at, last_used_at, current} (network)."""
        return list(self._call(lambda c: c.request("GET", "/api/auth/sessions")))

    def revoke_device(self, session_id: str) -> None:
        """Sign one device out (network; revoking this one signs out)."""
        self._call(lambda c: c.request("DELETE", f"/api/auth/sessions/{session_id}"))
        a = self._account()
        if a is not None and a.session_id == session_id:
            self._creds.delete(a.server_url, a.email)
            online_repo.update_account(self.db, signed_in=False)
            with self._lock:
                self._client, self._client_key, self._token_storage = None, None, "none"
            self._changed()

    def set_leaderboard_opt_in(self, flag: bool) -> AccountState:
        """Appear on (or leave) class and connection leaderboards (network)."""
        user = self._call(lambda c: c.request("PATCH", "/api/auth/me", json={"leaderboard_opt_in": bool(flag)}))
        online_repo.update_account(self.db, user=user)
        self._changed()
        return self.state()

    # -- cache reads (no network) ------------------------------------------------------------------------------
    def _key(self) -> str | None:
        a = self._account()
        return a.key if a is not None else None

    def _ops(self, key: str) -> list[tuple[OutboxRow, dict]]:
        """(item, operation) of every unsent item, in queue order."""
        out = []
        for row in online_repo.items(self.db, key, states=online_repo.UNSENT):
            for op in (row.optimistic or {}).get("ops", []):
                out.append((row, op))
        return out

    def _merged(self, key: str, kind: str, parent_id: str | None, base: list[dict], id_field: str = "id"
                ) -> list[dict]:
        """Cached objects with the unsent items applied: patches and hides on them, pending additions last."""
        objects = [{**o, "pending": False} for o in base]
        by_id = {str(o.get(id_field)): o for o in objects}
        added = []
        for _row, op in self._ops(key):
            if op.get("kind") != kind:
                continue
            oid = str(op.get("object_id"))
            if op["op"] == "add" and (parent_id is None or op.get("parent_id") == parent_id):
                added.append({**op["data"], "pending": True})
            elif op["op"] == "patch" and oid in by_id:
                by_id[oid].update(op["data"])
                by_id[oid]["pending"] = True
            elif op["op"] == "hide":
                objects = [o for o in objects if str(o.get(id_field)) != oid]
                added = [o for o in added if str(o.get(id_field)) != oid]
        return objects + added

    def _resolve(self, key: str, object_id: str) -> str:
        return online_repo.resolve(self.db, key, str(object_id)) if str(object_id).startswith(LOCAL_PREFIX) \
            else str(object_id)

    def classes(self) -> list[dict]:
        """My classes: {id, name, description, subject, my_role, member_count, student_count, join_code (the
        teacher's only), teacher {id, display_name, role}, pending}; a pending join knows only its code, so its
        teacher and counts are None until it is sent."""
        key = self._key()
        if key is None:
            return []
        return self._merged(key, "class", None, online_repo.listing(self.db, key, "class"))

    def class_detail(self, class_id: str) -> dict:
        """{"class": {...}, "roster": [{id, display_name, role, email?}], "assignments": [{id, class_id, title,
        description, due_at, points_possible, my_status?, my_points?, submitted_count?, graded_count?, pending}]}."""
        key = self._key()
        if key is None:
            raise UserError("sign in to see your classes")
        cid = self._resolve(key, class_id)
        found = next((c for c in self.classes() if str(c["id"]) in (cid, str(class_id))), None)
        if found is None:
            raise UserError(f"there is no class {class_id} in your classes")
        roster = (online_repo.get(self.db, key, "roster", cid) or {}).get("items", [])
        base = online_repo.listing(self.db, key, "assignment", parent_id=cid)
        assignments = self._merged(key, "assignment", cid, base)
        if cid != str(class_id):  # created offline and sent since: pending items may still name the local id
            assignments += self._merged(key, "assignment", str(class_id), [])
        return {"class": found, "roster": roster, "assignments": assignments}

    def submissions(self, assignment_id: str) -> list[dict]:
        """Submissions I may see: {id, assignment_id, student, version, kind, text, late, created_at, points,
        feedback, graded_at, pending}."""
        key = self._key()
        if key is None:
            return []
        aid = self._resolve(key, assignment_id)
        base = online_repo.listing(self.db, key, "submission", parent_id=aid)
        return self._merged(key, "submission", aid, base)

    def grades(self, class_id: str) -> dict:
        """The class grades as the server sent them ({assignments, rows}: a teacher's grid or a student's own row);
        {} when never synced."""
        key = self._key()
        if key is None:
            return {}
        return online_repo.get(self.db, key, "grades", self._resolve(key, class_id)) or {}

    def groups(self) -> list[dict]:
        """My study groups: {id, name, description, invite_code, my_role, member_count, pending}."""
        key = self._key()
        if key is None:
            return []
        return self._merged(key, "group", None, online_repo.listing(self.db, key, "group"))

    def group_detail(self, group_id: str) -> dict:
        """{"group": {...}, "members": [{id, display_name, role, joined_at}], "shares": [{id, kind, title, text,
        file_name, author_name, created_at, pending}]}."""
        key = self._key()
        if key is None:
            raise UserError("sign in to see your groups")
        gid = self._resolve(key, group_id)
        found = next((g for g in self.groups() if str(g["id"]) in (gid, str(group_id))), None)
        if found is None:
            raise UserError(f"there is no group {group_id} in your groups")
        members = (online_repo.get(self.db, key, "members", gid) or {}).get("items", [])
        shares = self._merged(key, "share", gid, online_repo.listing(self.db, key, "share", parent_id=gid))
        return {"group": found, "members": members, "shares": shares}

    def messages(self, group_id: str, limit: int = 200) -> list[dict]:
        """The newest messages, oldest first, pending ones last: {id, group_id, author_id, author_name, body,
        created_at, pending}."""
        key = self._key()
        if key is None:
            return []
        gid = self._resolve(key, group_id)
        base = list(reversed(online_repo.listing(self.db, key, "message", parent_id=gid, limit=limit,
                                                 newest_first=True)))
        merged = self._merged(key, "message", gid, base)
        if gid != str(group_id):
            merged += self._merged(key, "message", str(group_id), [])
        return merged

    def connections(self) -> dict:
        """{"connections": [...], "incoming": [...], "outgoing": [...]} as last synced (each {id, status, other:
        {id, display_name, role}, ...}), with unsent requests, answers and removals applied."""
        key = self._key()
        if key is None:
            return {"connections": [], "incoming": [], "outgoing": []}
        data = online_repo.get(self.db, key, "connections", "me") or {}
        lists = {name: [{**c, "pending": False} for c in data.get(name, [])]
                 for name in ("connections", "incoming", "outgoing")}
        for row, op in self._ops(key):
            if op.get("kind") != "connection":
                continue
            oid = str(op.get("object_id"))
            if op["op"] == "add":
                lists["outgoing"].append({**op["data"], "pending": True})
            elif op["op"] in ("accept", "hide"):
                moved = [c for items in lists.values() for c in items if str(c["id"]) == oid]
                lists = {name: [c for c in items if str(c["id"]) != oid] for name, items in lists.items()}
                if op["op"] == "accept":
                    lists["connections"] += [{**c, "status": "accepted", "pending": True} for c in moved]
        return lists

    def leaderboard(self, scope: str, class_id: str | None = None) -> dict:
        """A weekly ranking from the cache (scope "class" or "connections"): {scope, class_id, week_start,
        opted_in, rows: [{rank, user_id, display_name, points, me}]}; {} when never synced."""
        key = self._key()
        if key is None:
            return {}
        if scope == "class":
            if not class_id:
                raise UserError("choose a class for the class leaderboard")
            return online_repo.get(self.db, key, "leaderboard", f"class:{self._resolve(key, class_id)}") or {}
        if scope == "connections":
            return online_repo.get(self.db, key, "leaderboard", "connections") or {}
        raise UserError("the leaderboard scope is class or connections")

    def notifications_pulled(self) -> int:
        """How many server notifications were merged into the notification centre."""
        a = online_repo.account(self.db)
        return a.notifications_pulled if a is not None else 0

    # -- actions (queued; return the outbox item) --------------------------------------------------------------
    def _me(self, a: AccountRow) -> dict:
        user = a.user or {}
        return {"id": user.get("id", ""), "display_name": user.get("display_name", ""), "role": user.get("role", "")}

    def _queue(self, action: str, summary: str, method: str, path: str, body: dict | None = None,
               local_id: str | None = None, ops: list[dict] | None = None) -> OutboxItem:
        a = self._require()
        row = online_repo.add_item(self.db, a.key, str(uuid.uuid4()), action, summary, method, path, body,
                                   local_id, {"ops": ops or []})
        self._changed()
        return _item(row)

    def create_class(self, name: str, description: str = "", subject: str = "") -> OutboxItem:
        """Create a class (teachers)."""
        a = self._require()
        name = name.strip()
        if not name:
            raise UserError("a class needs a name")
        if (a.user or {}).get("role") not in ("teacher", "admin"):
            raise UserError("only teachers can create classes; students join one with its code")
        local = _local_id()
        data = {"id": local, "name": name, "description": description, "subject": subject, "archived": False,
                "created_at": _iso(_now()), "teacher": self._me(a), "my_role": "teacher", "member_count": 1,
                "student_count": 0, "join_code": None}
        return self._queue("create_class", f"create class {name}", "POST", "/api/classes",
                           {"name": name, "description": description, "subject": subject}, local,
                           [{"op": "add", "kind": "class", "object_id": local, "parent_id": None, "data": data}])

    def join_class(self, code: str) -> OutboxItem:
        """Join a class by its code."""
        code = code.strip()
        if not code:
            raise UserError("type the class code your teacher gave you")
        local = _local_id()
        data = {"id": local, "name": f"class with code {code}", "description": "", "subject": "", "archived": False,
                "created_at": _iso(_now()), "teacher": None, "my_role": "student", "member_count": None,
                "student_count": None, "join_code": None}
        return self._queue("join_class", f"join class with code {code}", "POST", "/api/classes/join",
                           {"join_code": code}, local,
                           [{"op": "add", "kind": "class", "object_id": local, "parent_id": None, "data": data}])

    def create_assignment(self, class_id: str, title: str, description: str = "", due_at: datetime | None = None,
                          points_possible: int = 100, attachment_paths=()) -> OutboxItem:
        """Post an assignment to a class (teachers; files are read now so they travel with the item)."""
        a = self._require()
        title = title.strip()
        if not title:
            raise UserError("an assignment needs a title")
        cid = self._resolve(a.key, class_id)
        files = [_file(p) for p in attachment_paths]
        local = _local_id()
        body = {"title": title, "description": description, "due_at": _iso(due_at),
                "points_possible": int(points_possible), "attachments": files}
        data = {"id": local, "class_id": cid, "title": title, "description": description, "due_at": _iso(due_at),
                "points_possible": int(points_possible), "created_at": _iso(_now()),
                "attachments": [{"id": None, "file_name": f["file_name"], "content_type": f["content_type"],
                                 "size": len(base64.b64decode(f["content_base64"]))} for f in files]}
        return self._queue("create_assignment", f"new assignment {title}", "POST",
                           f"/api/classes/{cid}/assignments", body, local,
                           [{"op": "add", "kind": "assignment", "object_id": local, "parent_id": cid, "data": data}])

    def submit(self, assignment_id: str, kind: str, text: str = "", path=None) -> OutboxItem:
        """Hand in work: kind text, file, note (an exported .md) or deck (an exported .apkg)."""
        a = self._require()
        if kind not in SUBMISSION_KINDS:
            raise UserError(f"a submission is one of {', '.join(SUBMISSION_KINDS)}")
        if kind == "text" and not text.strip():
            raise UserError("write something to hand in")
        if kind in ("file", "deck") and path is None:
            raise UserError(f"choose the {kind} file to hand in")
        aid = self._resolve(a.key, assignment_id)
        body: dict = {"kind": kind, "text": text}
        if path is not None:
            body.update(_file(path))
        local = _local_id()
        data = {"id": local, "assignment_id": aid, "student": self._me(a), "version": None, "kind": kind,
                "text": text, "attachment_ids": [], "attachments": [], "late": False, "created_at": _iso(_now()),
                "points": None, "feedback": "", "graded_at": None}
        name = body.get("file_name") or kind
        return self._queue("submit", f"hand in {name}", "POST", f"/api/classes/assignments/{aid}/submissions", body,
                           local, [{"op": "add", "kind": "submission", "object_id": local, "parent_id": aid,
                                    "data": data},
                                   {"op": "patch", "kind": "assignment", "object_id": aid,
                                    "data": {"my_status": "submitted"}}])

    def grade(self, submission_id: str, points: float, feedback: str = "") -> OutboxItem:
        """Grade a submission (teachers)."""
        a = self._require()
        sid = self._resolve(a.key, submission_id)
        if points < 0:
            raise UserError("points cannot be negative")
        return self._queue("grade", f"grade {points:g} points", "POST", f"/api/classes/submissions/{sid}/grade",
                           {"points": points, "feedback": feedback}, None,
                           [{"op": "patch", "kind": "submission", "object_id": sid,
                             "data": {"points": points, "feedback": feedback, "graded_at": _iso(_now())}}])

    def create_group(self, name: str, description: str = "") -> OutboxItem:
        """Start a study group."""
        a = self._require()
        name = name.strip()
        if not name:
            raise UserError("a group needs a name")
        local = _local_id()
        data = {"id": local, "name": name, "description": description, "owner_id": self._me(a)["id"],
                "invite_code": "", "my_role": "owner", "member_count": 1, "created_at": _iso(_now())}
        return self._queue("create_group", f"create group {name}", "POST", "/api/social/groups",
                           {"name": name, "description": description}, local,
                           [{"op": "add", "kind": "group", "object_id": local, "parent_id": None, "data": data}])

    def join_group(self, code: str) -> OutboxItem:
        """Join a study group by its invite code."""
        code = code.strip()
        if not code:
            raise UserError("type the group's invite code")
        local = _local_id()
        data = {"id": local, "name": f"group with code {code}", "description": "", "owner_id": "",
                "invite_code": code, "my_role": "member", "member_count": None, "created_at": _iso(_now())}
        return self._queue("join_group", f"join group with code {code}", "POST", "/api/social/groups/join",
                           {"invite_code": code}, local,
                           [{"op": "add", "kind": "group", "object_id": local, "parent_id": None, "data": data}])

    def leave_group(self, group_id: str) -> OutboxItem:
        """Leave a study group."""
        a = self._require()
        gid = self._resolve(a.key, group_id)
        me = self._me(a)["id"]
        return self._queue("leave_group", "leave group", "DELETE", f"/api/social/groups/{gid}/members/{me}", None,
                           None, [{"op": "hide", "kind": "group", "object_id": gid}])

    def send_message(self, group_id: str, body: str) -> OutboxItem:
        """Post a message to a group."""
        a = self._require()
        text = body.strip()
        if not text:
            raise UserError("the message is empty")
        if len(text) > 4000:
            raise UserError("a message can be at most 4000 characters")
        gid = self._resolve(a.key, group_id)
        me = self._me(a)
        local = _local_id()
        data = {"id": local, "group_id": gid, "author_id": me["id"], "author_name": me["display_name"], "body": text,
                "created_at": _iso(_now())}
        return self._queue("send_message", f"message: {text[:60]}", "POST", f"/api/social/groups/{gid}/messages",
                           {"body": text}, local,
                           [{"op": "add", "kind": "message", "object_id": local, "parent_id": gid, "data": data}])

    def share_to_group(self, group_id: str, kind: str, title: str, text: str = "", path=None) -> OutboxItem:
        """Share a note (markdown text or an .md file) or a deck (.apkg file) with a group."""
        a = self._require()
        if kind not in SHARE_KINDS:
            raise UserError("you can share a note or a deck")
        title = title.strip()
        if not title:
            raise UserError("a share needs a title")
        if kind == "deck" and path is None:
            raise UserError("choose the exported deck (.apkg) to share")
        gid = self._resolve(a.key, group_id)
        body: dict = {"kind": kind, "title": title, "text": text}
        if path is not None:
            body.update(_file(path))
        me = self._me(a)
        local = _local_id()
        data = {"id": local, "group_id": gid, "author_id": me["id"], "author_name": me["display_name"], "kind": kind,
                "title": title, "text": text, "file_name": body.get("file_name"), "file_size": None,
                "content_type": body.get("content_type"), "created_at": _iso(_now())}
        return self._queue("share", f"share {kind} {title}", "POST", f"/api/social/groups/{gid}/shares", body, local,
                           [{"op": "add", "kind": "share", "object_id": local, "parent_id": gid, "data": data}])

    def request_connection(self, email: str) -> OutboxItem:
        """Ask someone (by email) to connect."""
        email = email.strip()
        if "@" not in email:
            raise UserError("type the email address of the person you want to connect with")
        local = _local_id()
        data = {"id": local, "status": "pending", "requester": None, "addressee": None,
                "other": {"id": "", "display_name": email, "role": ""}, "created_at": _iso(_now()),
                "responded_at": None}
        return self._queue("request_connection", f"connect with {email}", "POST", "/api/social/connections",
                           {"email": email}, local,
                           [{"op": "add", "kind": "connection", "object_id": local, "data": data}])

    def answer_connection(self, connection_id: str, accept: bool) -> OutboxItem:
        """Accept or decline an incoming request."""
        a = self._require()
        cid = self._resolve(a.key, connection_id)
        verb = "accept" if accept else "decline"
        return self._queue(f"{verb}_connection", f"{verb} connection request", "POST",
                           f"/api/social/connections/{cid}/{verb}", None, None,
                           [{"op": "accept" if accept else "hide", "kind": "connection", "object_id": cid}])

    def remove_connection(self, connection_id: str) -> OutboxItem:
        """Remove a connection or cancel a request."""
        a = self._require()
        cid = self._resolve(a.key, connection_id)
        return self._queue("remove_connection", "remove connection", "DELETE", f"/api/social/connections/{cid}",
                           None, None, [{"op": "hide", "kind": "connection", "object_id": cid}])

    # -- files (network) ---------------------------------------------------------------------------------------
    def download_attachment(self, attachment_id: str, target) -> Path:
        """Save an assignment or submission file to target (a file path, or a folder to keep its name in)."""
        key = self._require().key
        names = {str(f.get("id")): f.get("file_name") for kind in ("assignment", "submission")
                 for obj in online_repo.listing(self.db, key, kind) for f in obj.get("attachments") or []}
        return _write(target, self.attachment_file(attachment_id),
                      names.get(str(attachment_id)) or f"attachment-{attachment_id}")

    def attachment_file(self, attachment_id: str) -> bytes:
        """The bytes of an assignment or submission file (network)."""
        return self._call(lambda c: c.raw(f"/api/classes/attachments/{attachment_id}"))

    def share_file(self, group_id: str, share_id: str) -> bytes:
        """The bytes of a file shared in a group, e.g. an .apkg deck (network)."""
        gid = self._resolve(self._require().key, group_id)
        return self._call(lambda c: c.raw(f"/api/social/groups/{gid}/shares/{share_id}/file"))

    def download_share(self, group_id: str, share_id: str, target) -> Path:
        """Save a file shared in a group to target (a file path, or a folder to keep its name in)."""
        share = online_repo.get(self.db, self._require().key, "share", str(share_id)) or {}
        return _write(target, self.share_file(group_id, share_id), share.get("file_name") or f"share-{share_id}")

    # -- outbox ------------------------------------------------------------------------------------------------
    def outbox(self, include_sent: bool = False) -> list[OutboxItem]:
        """Queued writes, oldest first (sent ones only when asked)."""
        key = self._key()
        if key is None:
            return []
        return [_item(r) for r in online_repo.items(self.db, key, include_sent=include_sent)]

    def _own_item(self, item_id: int) -> OutboxRow:
        key = self._require().key
        row = online_repo.item(self.db, item_id)
        if row is None or row.account != key:
            raise UserError(f"there is no outbox item {item_id}")
        return row

    def retry(self, item_id: int) -> OutboxItem:
        """Put a failed item back in the queue (it keeps its place and its request id)."""
        row = self._own_item(item_id)
        if row.state != "failed":
            raise UserError(f"outbox item {item_id} is {row.state}, not failed")
        online_repo.mark(self.db, item_id, "pending", "")
        self._changed()
        return _item(online_repo.item(self.db, item_id))

    def discard(self, item_id: int) -> None:
        """Drop an unsent item (and its optimistic cache entry)."""
        row = self._own_item(item_id)
        if row.state == "sent":
            raise UserError(f"outbox item {item_id} was already sent")
        online_repo.delete_item(self.db, item_id)
        self._changed()

    # -- sync --------------------------------------------------------------------------------------------------
    def sync(self, cancel: threading.Event | None = None) -> Generator[Progress, None, dict]:
        """Refresh the session, send the outbox, refresh the caches, notifications, deadlines and leaderboards.
        Offline or an ended session is not an error: the state says so and the outbox keeps its items."""
        if not self._sync_lock.acquire(blocking=False):
            yield Progress(1, 1, "a sync is already running")
            return {"status": "busy", "sent": 0, "failed": 0}
        try:
            return (yield from self._sync(cancel or threading.Event()))
        finally:
            self._sync_lock.release()

    def _sync(self, cancel: threading.Event) -> Generator[Progress, None, dict]:
        a = self._require()
        client = self._ensure_client(a)
        result = {"status": "online", "sent": 0, "failed": 0, "notifications": 0, "problems": []}
        unsent = len(online_repo.items(self.db, a.key, states=online_repo.UNSENT))
        total = unsent + len(_SECTIONS) + 1
        done = 0
        try:
            yield Progress(done, total, f"connecting to {a.server_url}")
            # A refresh each sync: it proves the session is still alive (a revoked device learns it here) and
            # rotates the refresh token, which the client saves back to the credential store.
            client.refresh()
            done += 1
            for sent_ok in self._drain(a, client, cancel):
                done += 1
                result["sent" if sent_ok else "failed"] += 1
                yield Progress(done, total, f"sent {result['sent']} of {unsent} waiting changes")
            for title, section in _SECTIONS:
                if cancel.is_set():
                    result["status"] = "cancelled"
                    break
                yield Progress(done, total, title)
                try:
                    merged = section(self, self._account() or a, client)
                    if title.startswith("notifications"):
                        result["notifications"] = merged or 0
                except ServerRejected as exc:  # one part the server refuses must not stop the others
                    log.warning("sync: %s failed: %s", title, exc.message)
                    result["problems"].append(f"{title}: {exc.message}")
                done += 1
        except ServerUnreachable:
            self._set_status("offline", "")
            result["status"] = "offline"
        except SessionExpired:
            self._set_status("expired", EXPIRED_MESSAGE)
            result["status"] = "expired"
        except ServerError as exc:
            self._set_status("offline", str(exc))
            result["status"] = "offline"
        else:
            if result["status"] != "cancelled":
                online_repo.update_account(self.db, status="online", message="", last_sync=_now())
            self._changed()
        pending, failed = online_repo.counts(self.db, a.key)
        result.update(pending=pending, outbox_failed=failed)
        yield Progress(total, total, _summary(result))
        return result

    def _drain(self, a: AccountRow, client: ApiClient, cancel: threading.Event) -> Generator[bool, None, None]:
        """Send unsent items in order, each once; yields True per item sent, False per item refused."""
        after = 0
        while not cancel.is_set():
            row = online_repo.next_unsent(self.db, a.key, after)
            if row is None:
                return
            after = row.id
            missing = LOCAL_ID.findall(row.path + repr(row.body or ""))
            if missing:
                # The item that would have created this object was refused or discarded.
                online_repo.mark(self.db, row.id, "failed", "it refers to something that was not created on the "
                                                            "server (an earlier change failed or was discarded)")
                self._changed()
                yield False
                continue
            online_repo.mark(self.db, row.id, "sending", attempt=True)
            try:
                data = client.request(row.method, row.path, json=row.body, idempotency_key=row.request_id)
            except ServerRejected as exc:
                if exc.status in (409, 429) and exc.code in ("IN_PROGRESS", "RATE_LIMITED", "429"):
                    online_repo.mark(self.db, row.id, "pending", exc.message)
                    raise ServerUnreachable(exc.message) from exc  # try again later, in order
                online_repo.mark(self.db, row.id, "failed", _friendly(exc))
                self._changed()
                yield False
                continue
            except RemoteError as exc:
                online_repo.mark(self.db, row.id, "pending", str(exc))
                raise
            self._apply_sent(a, row, data)
            online_repo.mark(self.db, row.id, "sent", "", sent_at=_now())
            self._changed()
            yield True

    def _apply_sent(self, a: AccountRow, row: OutboxRow, data: object) -> None:
        """Record the server's id for an object created offline and cache the server's copy."""
        if not isinstance(data, dict):
            return
        if row.local_id and data.get("id") is not None:
            online_repo.rewrite_local_id(self.db, a.key, row.local_id, str(data["id"]))
        kind = _CREATED_KIND.get(row.action)
        if kind is None or data.get("id") is None:
            return
        if kind == "message":
            online_repo.put(self.db, a.key, "message", str(data["id"]), data, str(data.get("group_id")),
                            _message_key(data["id"]))
        elif kind == "assignment":
            online_repo.put(self.db, a.key, "assignment", str(data["id"]), data, str(data.get("class_id")),
                            str(data.get("created_at") or ""))
        elif kind == "submission":
            online_repo.put(self.db, a.key, "submission", str(data["id"]), data, str(data.get("assignment_id")),
                            str(data.get("created_at") or ""))
        elif kind == "share":
            online_repo.put(self.db, a.key, "share", str(data["id"]), data, str(data.get("group_id")),
                            str(data.get("created_at") or ""))
        elif kind in ("class", "group"):
            online_repo.put(self.db, a.key, kind, str(data["id"]), data, None, str(data.get("created_at") or ""))

    # -- cache refresh (sections of a sync) --------------------------------------------------------------------
    def _refresh_account(self, a: AccountRow, client: ApiClient) -> None:
        user = client.request("GET", "/api/auth/me")
        online_repo.update_account(self.db, user=user)

    def _refresh_classes(self, a: AccountRow, client: ApiClient) -> None:
        classes = client.request("GET", "/api/classes")
        online_repo.replace(self.db, a.key, "class",
                            [(str(c["id"]), c, str(c.get("created_at") or "")) for c in classes])
        ids = [str(c["id"]) for c in classes]
        rosters, grades = [], []
        for c in classes:
            cid = str(c["id"])
            rosters.append((cid, {"items": client.request("GET", f"/api/classes/{cid}/roster")}, ""))
            assignments = client.request("GET", f"/api/classes/{cid}/assignments")
            online_repo.replace(self.db, a.key, "assignment",
                                [(str(x["id"]), x, str(x.get("created_at") or "")) for x in assignments],
                                parent_id=cid)
            for x in assignments:
                subs = client.request("GET", f"/api/classes/assignments/{x['id']}/submissions")
                online_repo.replace(self.db, a.key, "submission",
                                    [(str(s["id"]), s, str(s.get("created_at") or "")) for s in subs],
                                    parent_id=str(x["id"]))
            grades.append((cid, client.request("GET", f"/api/classes/{cid}/grades"), ""))
        online_repo.replace(self.db, a.key, "roster", rosters)
        online_repo.replace(self.db, a.key, "grades", grades)
        # Classes I left (or that were deleted) take their assignments and submissions with them.
        online_repo.forget(self.db, a.key, "assignment", keep_parents=ids)
        kept = [str(x["id"]) for x in online_repo.listing(self.db, a.key, "assignment")]
        online_repo.forget(self.db, a.key, "submission", keep_parents=kept)

    def _refresh_groups(self, a: AccountRow, client: ApiClient) -> None:
        groups = client.request("GET", "/api/social/groups")
        online_repo.replace(self.db, a.key, "group", [(str(g["id"]), g, str(g.get("created_at") or ""))
                                                      for g in groups])
        ids = [str(g["id"]) for g in groups]
        members = []
        for g in groups:
            gid = str(g["id"])
            detail = client.request("GET", f"/api/social/groups/{gid}")
            members.append((gid, {"items": detail.get("members", [])}, ""))
            shares = client.request("GET", f"/api/social/groups/{gid}/shares")
            online_repo.replace(self.db, a.key, "share", [(str(s["id"]), s, str(s.get("created_at") or ""))
                                                          for s in shares], parent_id=gid)
            self._refresh_messages(a, client, gid)
        online_repo.replace(self.db, a.key, "members", members)
        for kind in ("share", "message", "message_cursor"):
            online_repo.forget(self.db, a.key, kind, keep_parents=ids)

    def _refresh_messages(self, a: AccountRow, client: ApiClient, gid: str) -> None:
        # The cursor is the newest message a refresh saw, not the newest cached: a message this computer just
        # sent is cached at once and may be newer than others' messages not fetched yet.
        cursor = (online_repo.get(self.db, a.key, "message_cursor", gid) or {}).get("after")
        if cursor is None:  # first time: the newest page is enough to show the conversation
            page = client.get(f"/api/social/groups/{gid}/messages", limit=MESSAGE_PAGE)
            items = page.get("items", [])
        else:
            items, after = [], int(cursor)
            while True:  # catch up oldest first
                page = client.get(f"/api/social/groups/{gid}/messages", after=after, limit=MESSAGE_PAGE)
                batch = page.get("items", [])
                items += batch
                if len(batch) < MESSAGE_PAGE or not batch:
                    break
                after = max(int(m["id"]) for m in batch)
        online_repo.replace(self.db, a.key, "message", [(str(m["id"]), m, _message_key(m["id"])) for m in items],
                            parent_id=gid, keep_others=True)
        newest = max([int(m["id"]) for m in items] + [int(cursor or 0)])
        online_repo.put(self.db, a.key, "message_cursor", gid, {"after": newest}, gid)

    def _refresh_connections(self, a: AccountRow, client: ApiClient) -> None:
        online_repo.put(self.db, a.key, "connections", "me", client.request("GET", "/api/social/connections"))

    def _pull_notifications(self, a: AccountRow, client: ApiClient) -> int:
        merged = 0
        cursor = a.notify_cursor
        while True:
            page = client.get("/api/notify", after_id=cursor, limit=200)
            items = page.get("items", [])
            merged += self.merge_notifications(items)
            if len(items) < 200:
                return merged
            cursor = max(int(n["id"]) for n in items)

    def merge_notifications(self, items: list[dict]) -> int:
        """Put server notifications into the notification centre, each once; how many were new."""
        a = online_repo.account(self.db)
        if a is None or not items:
            return 0
        merged, cursor = 0, a.notify_cursor
        with self._merge_lock:
            for n in sorted(items, key=lambda n: int(n["id"])):
                sid = _notification_server_id(a.server_url, n["id"])
                cursor = max(cursor, int(n["id"]))
                if online_repo.notification_known(self.db, sid):
                    continue
                row = notifications.add(self.ctx, str(n.get("kind") or "server"), str(n.get("title") or ""),
                                        str(n.get("body") or ""), {"server": n.get("data") or {}, "server_id": n["id"]},
                                        now=parse_server_time(n.get("created_at")) or _now())
                if row is None:  # this kind is switched off: remember it as seen all the same
                    continue
                if not online_repo.tag_notification(self.db, row.id, sid):
                    notifications.emit(self.ctx, None)  # the duplicate row was removed again
                    continue
                if n.get("read"):
                    notifications.mark_read(self.ctx, row.id)
                merged += 1
            online_repo.advance_notifications(self.db, cursor, merged)
        return merged

    def _refresh_deadlines(self, a: AccountRow, client: ApiClient) -> None:
        """Assignments with a due date in classes I take become local deadlines (course = class name), so the
        existing reminders cover them (a teacher's own assignments are not their deadlines)."""
        names = {str(c["id"]): c.get("name") or "" for c in online_repo.listing(self.db, a.key, "class")
                 if c.get("my_role") != "teacher"}
        keep = []
        for x in online_repo.listing(self.db, a.key, "assignment"):
            due = parse_server_time(x.get("due_at"))
            cid = str(x.get("class_id"))
            if due is None or cid not in names:
                continue
            course = library_repo.course_named(self.db, names[cid]).id if names[cid].strip() else None
            online_repo.upsert_deadline(self.db, str(x["id"]), x.get("title") or "assignment", due, course)
            keep.append(str(x["id"]))
        online_repo.drop_deadlines_except(self.db, keep)

    def _push_points(self, a: AccountRow, client: ApiClient) -> None:
        monday, points = self.week_points()
        # An absolute weekly total (last write wins), so resending it is harmless and needs no Idempotency-Key.
        client.request("POST", "/api/game/points", json={"week_start": monday.isoformat(), "points": points})

    def week_points(self, now: datetime | None = None) -> tuple[date, int]:
        """This week's Monday and the points earned since then (in the student's time zone)."""
        zone = notifications.student_tz(self.ctx)
        local = (now or _now()).astimezone(zone)
        monday = local.date() - timedelta(days=local.weekday())
        start = datetime.combine(monday, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        return monday, max(0, sum(gamification_repo.points_by_rule(self.db, start, None).values()))

    def _refresh_leaderboards(self, a: AccountRow, client: ApiClient) -> None:
        boards = []
        for c in online_repo.listing(self.db, a.key, "class"):
            boards.append((f"class:{c['id']}", client.request("GET", f"/api/game/leaderboards/class/{c['id']}"), ""))
        boards.append(("connections", client.request("GET", "/api/game/leaderboards/connections"), ""))
        online_repo.replace(self.db, a.key, "leaderboard", boards)

    # -- live notifications ------------------------------------------------------------------------------------
    def start_live(self, callback: Callable[[dict], None]) -> None:
        """Listen for server notifications while online; callback(notification dict) after each new one is merged."""
        a = self._require()
        client = self._ensure_client(a)

        def on_event(payload: dict) -> None:
            if self.merge_notifications([payload]):
                callback(payload)

        def on_status(status: str, message: str) -> None:
            self._set_status(status, EXPIRED_MESSAGE if status == "expired" else "")

        with self._lock:
            if self._live is not None and self._live.running:
                return
            cursor = online_repo.account(self.db).notify_cursor
            self._live = LiveStream(client, on_event, str(cursor) if cursor else None, on_status)
            self._live.start()

    def stop_live(self) -> None:
        """Stop listening (waits briefly for the thread)."""
        with self._lock:
            live, self._live = self._live, None
        if live is not None:
            live.stop()

    @property
    def live_running(self) -> bool:
        """Whether the live notification thread runs."""
        return self._live is not None and self._live.running


def _write(target, data: bytes, name: str) -> Path:
    """Write downloaded bytes to a file, or into a folder under the file's own name."""
    path = Path(target)
    if path.is_dir():
        path = path / Path(name).name
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"cannot save {path}: {exc.strerror or exc}") from exc
    return path


def _message_key(message_id) -> str:
    """Sort key of a message: its server id, zero-padded so text order is numeric order."""
    return f"{int(message_id):015d}"


def _notification_server_id(server_url: str, notification_id) -> str:
    """notifications.server_id of a pulled notification (ids of two servers must not collide)."""
    return f"n{notification_id}@{hashlib.sha256(server_url.encode()).hexdigest()[:16]}"


def _summary(result: dict) -> str:
    status = result["status"]
    if status == "offline":
        return f"working offline; {result['pending']} change(s) waiting"
    if status == "expired":
        return EXPIRED_MESSAGE
    if status == "busy":
        return "a sync is already running"
    extra = f", {result['failed']} refused" if result["failed"] else ""
    return f"synced: {result['sent']} sent{extra}, {result['notifications']} new notification(s)"


_CREATED_KIND = {"create_class": "class", "join_class": "class", "create_assignment": "assignment",
                 "submit": "submission", "create_group": "group", "join_group": "group", "send_message": "message",
                 "share": "share"}
_SECTIONS: list[tuple[str, Callable]] = [
    ("account", Online._refresh_account),
    ("classes", Online._refresh_classes),
    ("groups and messages", Online._refresh_groups),
    ("connections", Online._refresh_connections),
    ("notifications", Online._pull_notifications),
    ("class deadlines", Online._refresh_deadlines),
    ("weekly points", Online._push_points),
    ("leaderboards", Online._refresh_leaderboards),
]


# The default queue: a queue of its own would need this module in core/jobs.JOB_MODULES before the workers start.
@job_kind("sync", queue="default", max_attempts=1)
def sync_job(job: JobContext, params: dict) -> Generator[Progress, None, dict]:
    """The background job that runs a sync (the UI's "Sync now" and the periodic sync)."""
    return (yield from service(job.services).sync(job.cancel_event))


_SERVICE_ATTR = "_lmgpa_online"  # AppContext is an unhashable dataclass, so the service rides on it
_services_lock = threading.Lock()


def service(ctx) -> Online:
    """The Online service of this profile (one per AppContext)."""
    with _services_lock:
        found = getattr(ctx, _SERVICE_ATTR, None)
        if found is None:
            found = Online(ctx)
            setattr(ctx, _SERVICE_ATTR, found)
        return found
