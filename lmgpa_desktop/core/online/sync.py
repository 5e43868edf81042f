"""The sync pipeline: refresh the session, send the outbox in order, then refresh each part of the cache."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator

from lmgpa_desktop.core.online.base import (
    EXPIRED_MESSAGE,
    LOCAL_ID,
    OnlineBase,
    _friendly,
    _message_key,
    _now,
)
from lmgpa_desktop.core.online.server_notifications import NotificationsMixin
from lmgpa_desktop.core.online.refresh import RefreshMixin
from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.remote.api_client import (
    ApiClient,
    RemoteError,
    ServerError,
    ServerRejected,
    ServerUnreachable,
    SessionExpired,
)
from lmgpa_desktop.storage import online_repo
from lmgpa_desktop.storage.online_repo import AccountRow, OutboxRow

log = logging.getLogger(__name__)


class SyncMixin(OnlineBase):
    """sync(): a generator of Progress, run by the "sync" job."""

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


def add_section(title: str, section: Callable) -> None:
    """Run section(online, account, client) in every sync after the built-in parts (once per title): how a
    feature built on this one (personal sync, core/sync) joins the background sync without a cycle."""
    if all(known != title for known, _ in _SECTIONS):
        _SECTIONS.append((title, section))


_CREATED_KIND = {"create_class": "class", "join_class": "class", "create_assignment": "assignment",
                 "submit": "submission", "create_group": "group", "join_group": "group", "send_message": "message",
                 "share": "share"}
_SECTIONS: list[tuple[str, Callable]] = [
    ("account", RefreshMixin._refresh_account),
    ("classes", RefreshMixin._refresh_classes),
    ("groups and messages", RefreshMixin._refresh_groups),
    ("connections", RefreshMixin._refresh_connections),
    ("notifications", NotificationsMixin._pull_notifications),
    ("class deadlines", RefreshMixin._refresh_deadlines),
    ("weekly points", RefreshMixin._push_points),
    ("leaderboards", RefreshMixin._refresh_leaderboards),
]
