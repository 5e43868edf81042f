"""Online pages' background actions: run off the UI thread, show the outcome, count what is still in flight."""

from __future__ import annotations

from collections.abc import Callable

from lmgpa_desktop.ui.kit.plain_errors import plain_message

KEPT_TAIL = " What you typed is kept, so you can try again."
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

    def _queue(self, fn: Callable[[], object], ok: str = "", after: Callable[[object], None] | None = None,
               kept: str = "") -> None:
        """Queue an action off the UI thread (files may be read); then refresh and let sync send it.

        kept: said after an error when the student's typed text is still in its box (e.g. KEPT_TAIL)."""
        self.message.setText("Saving…")

        def done(result):
            if isinstance(result, Exception):
                self._show_error(result, kept)
                return
            self.message.setText(ok if self.status.status == "online" or not ok else ok + OFFLINE_TAIL)
            if after is not None:
                after(result)
            self.status.queued()
            self.refresh()

        self._in_background(fn, done)

    def _show_error(self, error: BaseException | str, kept: str = "") -> None:
        """An error in the student's words (no command lines); it stays until the next message."""
        text = plain_message(error) + kept
        show = getattr(self.message, "show_error", self.message.setText)
        show(text)

    def _queue_typed(self, line_edit, missing: str, action: Callable[[str], object], ok: Callable[[str], str]) -> None:
        """Queue action(text) for the text typed in line_edit, cleared once it is queued (kept if that fails); say
        `missing` when it is empty."""
        text = line_edit.text().strip()
        if not text:
            self.message.setText(missing)
            return
        self._queue(lambda: action(text), ok(text), after=lambda _r: clear_if_unchanged(line_edit, text),
                    kept=KEPT_TAIL)


def clear_if_unchanged(line_edit, text: str) -> None:
    """Empty a box whose text was sent, unless the student has typed something else meanwhile."""
    if line_edit.text().strip() == text:
        line_edit.clear()
