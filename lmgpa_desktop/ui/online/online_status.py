"""The window's online side: the status badge, background sync, live notifications; helpers for online pages."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QPushButton, QTableWidget

from lmgpa_desktop.core.online import service as online
from lmgpa_desktop.ui.kit.operations import Operations
from lmgpa_desktop.ui.kit.text_label import label  # noqa: F401 - the online pages import it from here

log = logging.getLogger(__name__)
SYNC_EVERY_MS = 3 * 60 * 1000  # shared work (messages, grades) arrives within a few minutes without live events
SOON_MS = 400  # after an action is queued: short, so several quick actions go in one sync
BADGE_TEXT = {"signed_out": "Not signed in", "online": "Online", "offline": "Offline", "expired": "Sign in again"}


def field(obj, name: str, default=None):
    """A field of a cache row, whether core hands out dataclasses or dicts."""
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def when(value) -> str:
    """A short local date and time ("Mon 3 Mar 14:05"), or "" for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is None:  # the server and the cache keep naive UTC
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value.astimezone().strftime("%a %d %b %H:%M").replace(" 0", " ")


def table(headers: list[str], name: str) -> QTableWidget:
    """A read-only, single-row-selection table."""
    widget = QTableWidget(0, len(headers))
    widget.setObjectName(name)
    widget.setHorizontalHeaderLabels(headers)
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    widget.verticalHeader().setVisible(False)
    widget.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    widget.horizontalHeader().setStretchLastSection(True)
    return widget


def selected_row(widget: QTableWidget) -> int | None:
    """Index of the selected row, or None."""
    model = widget.selectionModel()
    rows = model.selectedRows() if model is not None else []
    return rows[0].row() if rows else None


def state_sentence(state) -> str:
    """What the student should know about the connection, in one sentence."""
    status = field(state, "status", "signed_out")
    if status == "signed_out":
        return "Not signed in. Sign in to use classes, groups and leaderboards; everything else works offline."
    user = field(state, "user") or {}
    who = field(user, "display_name") or field(user, "email") or "you"
    server = field(state, "server_url", "")
    pending, failed = field(state, "pending", 0) or 0, field(state, "failed", 0) or 0
    extra = f"; {failed} could not be sent (see the outbox)" if failed else ""
    if status == "online":
        waiting = f"; {pending} changes waiting" if pending else ""
        return f"Online as {who} at {server}{waiting}{extra}."
    if status == "offline":
        return f"Server unreachable: working offline; {pending} changes waiting{extra}."
    if status == "expired":
        return f"Your session has expired: sign in again as {who}. {pending} changes are kept and waiting{extra}."
    return field(state, "message", "") or status


def token_sentence(state) -> str:
    """Where the sign-in is kept; never silent about the in-memory fallback."""
    storage = field(state, "token_storage", "none")
    if storage == "keyring":
        return "Your sign-in is saved in the system keyring."
    if storage == "memory":
        return "No keyring on this system: you will need to sign in again next time."
    return ""


class OnlineStatus(QObject):
    """One per window: account state for the badge and pages, background sync, live notifications."""

    state_changed = Signal(object)  # AccountState
    synced = Signal(object)  # the sync's summary dict when it finished, or the exception it raised
    sync_progress = Signal(object)  # Progress
    sync_running = Signal(bool)
    live_event = Signal(object)  # a notification that arrived over the live stream
    open_account = Signal()  # the badge was clicked
    _relay_state = Signal(object)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.service = online.service(ctx)
        self.state = None
        self.last_error: Exception | None = None
        self.last_result: dict | None = None
        self.syncing = False
        self._cancel: threading.Event | None = None
        self._again = False
        self._live = False
        self._closed = False
        self.ops = Operations(self, "online", lane="network")  # sign in/out, devices, sync: in order, off the UI thread
        self.badge = QPushButton("…")
        self.badge.setObjectName("onlineBadge")
        self.badge.setFlat(True)
        # An indicator, not a stop for Tab: a click opens Account, which the navigation reaches by keyboard too.
        self.badge.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.badge.setToolTip("Account and sync")
        self.badge.clicked.connect(self.open_account.emit)
        self.timer = QTimer(self)
        self.timer.setInterval(SYNC_EVERY_MS)
        self.timer.timeout.connect(self.sync_now)
        self.soon = QTimer(self)
        self.soon.setSingleShot(True)
        self.soon.setInterval(SOON_MS)
        self.soon.timeout.connect(self.sync_now)
        self._relay_state.connect(self._apply)
        self._listener = self._from_worker
        try:
            self.service.subscribe(self._listener)
        except Exception:  # noqa: BLE001 - without change events the badge still updates after each call and sync
            log.exception("could not follow account changes")
        # The first reading may open the system keyring (which can ask to be unlocked): never on the UI thread.
        self.ops.run_either(self.service.state, self._first_state)

    # -- state -----------------------------------------------------------------------------------------------
    def _from_worker(self, state=None) -> None:
        """Core tells us of a change, maybe from a worker thread: apply on the UI thread."""
        try:
            self._relay_state.emit(state)
        except RuntimeError:
            pass  # the window is gone

    def _first_state(self, state) -> None:
        if isinstance(state, Exception):
            log.error("could not read the account state: %s", state)
            state = {"status": "signed_out", "message": f"Online features are unavailable: {state}"}
        self._apply(state)

    def refresh(self) -> None:
        """Read the account state (local, no network) and update the badge."""
        self._apply(None)

    def _apply(self, state) -> None:
        if self._closed:
            return
        if state is None or not (hasattr(state, "status") or isinstance(state, dict)):
            try:
                state = self.service.state()
            except Exception as exc:  # noqa: BLE001 - the offline app must open whatever the online side does
                log.exception("could not read the account state")
                state = {"status": "signed_out", "message": f"Online features are unavailable: {exc}"}
        self.state = state
        status = field(state, "status", "signed_out")
        text = BADGE_TEXT.get(status, status)
        pending = field(state, "pending", 0) or 0
        if status == "offline":
            text = f"Offline · {pending} waiting"
        elif status == "online" and pending:
            text = f"Online · {pending} waiting"
        self.badge.setText(text)
        self.badge.setProperty("status", status)
        self.badge.setToolTip(state_sentence(state))
        signed_in = status in ("online", "offline", "expired")
        if signed_in and status != "expired":
            if not self.timer.isActive():
                self.timer.start()
                self.soon.start()  # just signed in, or the app just opened: catch up now, not in minutes
            self._start_live()
        else:
            self.timer.stop()
            self._stop_live()
        self.state_changed.emit(state)

    @property
    def status(self) -> str:
        """signed_out, online, offline or expired."""
        return field(self.state, "status", "signed_out")

    def role(self) -> str:
        """The signed-in person's role ("student" when unknown)."""
        return field(field(self.state, "user") or {}, "role", "student") or "student"

    # -- network calls from pages -------------------------------------------------------------------------------
    def call(self, fn: Callable[[], object], done: Callable[[object], None]) -> None:
        """Run a call that may touch the network off the UI thread; done(result or exception) on the UI thread;
        the state is read again afterwards (sign-in, sign-out and failures change it)."""
        def finished(result):
            self.refresh()
            done(result)

        self.ops.run_either(fn, finished)

    def queued(self) -> None:
        """An action went to the outbox: update the badge and send it soon."""
        self.refresh()
        if self.status in ("online", "offline"):
            self.soon.start()

    # -- sync --------------------------------------------------------------------------------------------------
    def sync_now(self) -> bool:
        """Start a background sync (one at a time; a request during one runs another after it)."""
        if self._closed or self.status not in ("online", "offline"):
            return False
        if self.syncing:
            self._again = True
            return False
        self.syncing = True
        self._cancel = threading.Event()
        cancel = self._cancel
        self.sync_running.emit(True)

        def work():
            steps = self.service.sync(cancel)
            while True:
                try:
                    report = next(steps)
                except StopIteration as stop:
                    return stop.value  # the sync's summary: status, sent, failed, pending
                try:
                    self.sync_progress.emit(report)
                except RuntimeError:
                    return None  # the window is gone

        self.ops.run_either(work, self._synced)
        return True

    def cancel_sync(self) -> None:
        """Stop the running sync after its current step; unsent items stay in the outbox."""
        if self._cancel is not None:
            self._cancel.set()

    def _synced(self, result) -> None:
        self.syncing = False
        self._cancel = None
        self.last_error = result if isinstance(result, Exception) else None
        self.last_result = None if isinstance(result, Exception) else result
        if self.last_error is not None:
            log.info("sync did not finish: %s", self.last_error)
        if self._closed:
            return
        self.sync_running.emit(False)
        self.refresh()
        self.synced.emit(result)
        if self._again:
            self._again = False
            self.sync_now()

    # -- live notifications ------------------------------------------------------------------------------------
    def _start_live(self) -> None:
        if self._live:
            return
        self._live = True

        def on_event(event) -> None:  # called on the live thread
            try:
                self.live_event.emit(event)
            except RuntimeError:
                pass

        try:
            self.service.start_live(on_event)
        except Exception as exc:  # noqa: BLE001 - live events are a convenience; periodic sync still runs
            log.warning("live notifications did not start: %s", exc)
            self._live = False

    def _stop_live(self) -> None:
        if not self._live:
            return
        self._live = False
        try:
            self.service.stop_live()
        except Exception as exc:  # noqa: BLE001 - stopping must never break sign-out or closing
            log.warning("live notifications did not stop cleanly: %s", exc)

    def stop(self) -> None:
        """The window is closing: stop the timer, live events and any running sync."""
        self._closed = True
        self.timer.stop()
        self.soon.stop()
        self.cancel_sync()
        self._stop_live()
        try:
            self.service.unsubscribe(self._listener)
        except AttributeError:
            pass  # core without unsubscribe: the relay ignores a closed window
        self.ops.close()
