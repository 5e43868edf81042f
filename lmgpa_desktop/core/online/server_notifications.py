"""Server notifications in the notification centre: pulled by a sync, or pushed live while online."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.core.online.base import EXPIRED_MESSAGE, OnlineBase, _now, parse_server_time
from lmgpa_desktop.remote.api_client import ApiClient
from lmgpa_desktop.remote.live import LiveStream
from lmgpa_desktop.storage import online_repo
from lmgpa_desktop.storage.online_repo import AccountRow


class NotificationsMixin(OnlineBase):
    """Merging server notifications (each once) and the live stream."""

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


def _notification_server_id(server_url: str, notification_id) -> str:
    """notifications.server_id of a pulled notification (ids of two servers must not collide)."""
    return f"n{notification_id}@{hashlib.sha256(server_url.encode()).hexdigest()[:16]}"
