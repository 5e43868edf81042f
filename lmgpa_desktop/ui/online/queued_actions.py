"""Online pages' background actions: run off the UI thread, show the outcome, count what is still in flight."""

from __future__ import annotations

from collections.abc import Callable

OFFLINE_TAIL = " It waits in the outbox until the server can be reached."


class QueuedActions:
    """Mixin for a page with `message` (a label), `status` (OnlineStatus), `ops` (Operations) and `refresh()`."""

    in_flight = 0  # background actions and downloads whose callbacks have not run yet

    def _in_background(self, fn: Callable[[], object], done: Callable[[object], None], lane: str = "db") -> None:
        """fn() off the UI thread ("db": the outbox is local; "network": the server); done(result or exception)."""

        def finish(result):
            self.in_flight -= 1
            done(result)

        self.in_flight += 1
        self.ops.run_either(fn, finish, lane)

    def _queue(self, fn: Callable[[], object], ok: str = "", after: Callable[[object], None] | None = None) -> None:
        """Queue an action off the UI thread (files may be read); then refresh and let sync send it."""
        self.message.setText("Saving…")

        def done(result):
            if isinstance(result, Exception):
                self.message.setText(str(result))
                return
            self.message.setText(ok if self.status.status == "online" or not ok else ok + OFFLINE_TAIL)
            if after is not None:
                after(result)
            self.status.queued()
            self.refresh()

        self._in_background(fn, done)

    def _queue_typed(self, line_edit, missing: str, action: Callable[[str], object], ok: Callable[[str], str]) -> None:
        """Queue action(text) for the text typed in line_edit (then cleared); say `missing` when it is empty."""
        text = line_edit.text().strip()
        if not text:
            self.message.setText(missing)
            return
        line_edit.clear()
        self._queue(lambda: action(text), ok(text))
