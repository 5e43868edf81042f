"""A background thread reading the server's notification stream (Server-Sent Events) with Last-Event-ID resume."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from lmgpa_desktop.remote.api_client import (
    ApiClient,
    RemoteError,
    ServerUnreachable,
    SessionExpired,
)

log = logging.getLogger(__name__)
__all__ = ["LiveStream", "SseEvent", "parse_sse"]

STREAM_PATH = "/api/notify/stream"


@dataclass(frozen=True)
class SseEvent:
    """One server-sent event."""

    id: str | None
    event: str
    data: str


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Events from the lines of a text/event-stream (comments such as keepalives are skipped)."""
    event_id, name, data = None, "message", []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield SseEvent(event_id, name, "\n".join(data))
            name, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            event_id = value
        elif field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if data:
        yield SseEvent(event_id, name, "\n".join(data))


def _wake_reader(response) -> None:
    """Shut the stream's socket down so a read blocked in another thread returns now: closing the response alone
    leaves it blocked until the next keepalive or the read timeout."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError as exc:  # already closed by the server or the reader
        log.debug("shutting the live stream down: %s", exc)


class LiveStream:
    """Calls on_event(payload dict) for every notification event until stop(); reconnects after drops."""

    def __init__(self, client: ApiClient, on_event: Callable[[dict], None], last_event_id: str | None = None,
                 on_status: Callable[[str, str], None] | None = None, retry_s: float = 5.0):
        self.client, self.on_event, self.on_status = client, on_event, on_status
        self.last_event_id = last_event_id
        self.retry_s = retry_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._response = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Whether the reader thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the reader thread (no-op when running)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lmgpa-live", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the thread to stop, close the open stream so the blocked read returns, and wait for it."""
        self._stop.set()
        with self._lock:
            response = self._response
        if response is not None:
            _wake_reader(response)
            try:
                response.close()
            except Exception as exc:  # noqa: BLE001 - closing from another thread may race the reader
                log.debug("closing the live stream: %s", exc)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _status(self, status: str, message: str = "") -> None:
        if self.on_status is not None and not self._stop.is_set():  # a stream being stopped says nothing more
            try:
                self.on_status(status, message)
            except Exception:
                log.exception("live status listener failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            used = self.client.tokens.access_token
            try:
                self._read_once()
            except SessionExpired as exc:
                try:  # the access token may just have run out: one refresh, then give up
                    self.client.refresh(seen_access=used)
                    continue
                except SessionExpired:
                    self._status("expired", str(exc))
                    return
                except RemoteError as again:
                    self._status("offline", str(again))
            except ServerUnreachable as exc:
                self._status("offline", str(exc))
            except RemoteError as exc:
                log.warning("live notifications: %s", exc)
            except Exception:
                if not self._stop.is_set():
                    log.exception("live notification stream failed")
            self._stop.wait(self.retry_s)

    def _read_once(self) -> None:
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id:
            headers["Last-Event-ID"] = str(self.last_event_id)
        params = {"after_id": self.last_event_id} if self.last_event_id else None
        with self.client.stream(STREAM_PATH, headers=headers, params=params) as response:
            with self._lock:
                self._response = response
            try:
                self._status("online")
                for event in parse_sse(response.iter_lines()):
                    if self._stop.is_set():
                        return
                    if event.event not in ("notification", "message"):
                        continue
                    try:
                        payload = json.loads(event.data)
                    except ValueError:
                        log.warning("live notifications: unreadable event %r", event.data[:100])
                        continue
                    self.on_event(payload)
                    if event.id:
                        self.last_event_id = event.id
            finally:
                with self._lock:
                    self._response = None
