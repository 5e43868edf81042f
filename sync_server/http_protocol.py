"""uvicorn's HTTP protocol (httptools) with read deadlines, so idle or trickling clients cannot hold connections.

uvicorn arms no timer while a request head arrives, and any byte cancels its keep-alive timer: a client sending half
a header (or one byte every few seconds) keeps its connection forever, and every such connection counts against
limit_concurrency until real requests get 503. Here a whole request head must arrive within HEADER_TIMEOUT_SECONDS
of connecting (or of the previous answer), a body may not pause longer than BODY_TIMEOUT_SECONDS, and a head larger
than MAX_HEAD_BYTES is refused with 431. Served with `uvicorn --http sync_server.http_protocol:GuardedHttpToolsProtocol`
(lmgpa-server does this)."""

from __future__ import annotations

import asyncio
from functools import cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 64 * 1024  # request line and headers; nginx's default large_client_header_buffers is 4 x 8 KB


@cache
def _timeouts_from_env() -> tuple[float, float]:
    """(header, body) seconds from the environment, read once per worker process."""
    from sync_server.settings import ServerSettings

    settings = ServerSettings.from_env()
    return settings.header_timeout_seconds, settings.body_timeout_seconds


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a header deadline, a body idle timeout and a cap on the request head's size."""

    header_timeout: float | None = None  # None: from HEADER_TIMEOUT_SECONDS / BODY_TIMEOUT_SECONDS
    body_timeout: float | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.header_timeout is None or self.body_timeout is None:
            self.header_timeout, self.body_timeout = _timeouts_from_env()
        self._deadline: asyncio.TimerHandle | None = None
        self._in_head = True
        self._head_bytes = 0

    @classmethod
    def with_timeouts(cls, header_timeout: float, body_timeout: float) -> type[GuardedHttpToolsProtocol]:
        """A subclass with these timeouts (for a server started in-process, e.g. by a test)."""
        return type(cls.__name__, (cls,), {"header_timeout": header_timeout, "body_timeout": body_timeout})

    # The client's turn starts at connecting and after each answer, and lasts until its request is read whole.
    def _wait_for_client(self, seconds: float) -> None:
        self._stop_waiting()
        self._deadline = self.loop.call_later(seconds, self._client_too_slow)

    def _stop_waiting(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _client_too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection from %s: the request did not arrive in time", self.client)
            self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_client(self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head and self.parser is not None and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._stop_waiting()
                self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n"
                                     b"connection: close\r\n\r\n")
                self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0
        if self._deadline is None:  # a pipelined request, begun while the server works: its head has a deadline too
            self._wait_for_client(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._wait_for_client(self.body_timeout)  # the body (if any) must keep coming
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._wait_for_client(self.body_timeout)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self.cycle is not None and self.cycle.response_complete:
            self._wait_for_client(self.header_timeout)  # answered early (e.g. 413): the next request's turn
        else:
            self._stop_waiting()  # the server's turn: a slow route or a live stream is never cut off
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._wait_for_client(self.header_timeout)  # the next request (or the rest of an unread body)
