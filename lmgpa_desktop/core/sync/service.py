"""Personal sync as the CLI and the window use it: set up, sync now, status, conflicts, keys, files; plain data."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Generator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.job_progress import Progress, run_to_end
from lmgpa_desktop.core.online import service as online
from lmgpa_desktop.core.online import sync as online_sync
from lmgpa_desktop.core.sync import crypto, engine, keys, media
from lmgpa_desktop.remote.api_client import (
    ApiClient,
    RemoteError,
    ServerError,
    ServerRejected,
    ServerUnreachable,
    SessionExpired,
)
from lmgpa_desktop.remote.sync_api import SyncApi
from lmgpa_desktop.storage import sources_repo
from lmgpa_desktop.storage.sync import conflicts_repo, media_repo, outbox_repo, replay_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)

KEEP = ("current", "other", "both")
SECTION = "personal study data"  # its title among the parts of the online sync

MESSAGES = {
    "off": "sync is not set up on this device",
    "signed_out": "sign in to your Little Monster GPA server to sync",
    "account": "sync was set up for another account: set it up again for this one",
    "locked": "type your sync passphrase again to sync on this device",
    "reset": "your synced data was deleted or sync was set up again from another device: set it up again here",
    "offline": "the server cannot be reached; your changes are kept and sync when it is back",
    "expired": "your sign-in has ended; sign in again to sync",
    "busy": "a sync is already running",
}
SET_UP_AGAIN = {MESSAGES[k] for k in ("locked", "reset", "account")}  # states only the student's passphrase ends


# -- shared pieces ----------------------------------------------------------------------------------------------
def _online(ctx: AppContext) -> online.Online:
    return online.service(ctx)


def join_online_sync() -> None:
    """Make personal sync a part of every online sync (core/profile.py calls this for each opened profile)."""
    online_sync.add_section(SECTION, online_section)


def enabled(ctx: AppContext) -> bool:
    """Whether sync is set up on this device."""
    return outbox_repo.get_state(ctx.db, "enabled") == "1"


def _set_up_for(ctx: AppContext, stored: str | None = None) -> dict:
    try:
        return json.loads((stored if stored is not None else outbox_repo.get_state(ctx.db, "account")) or "{}")
    except ValueError:
        return {}


def _signed_in(ctx: AppContext) -> dict | None:
    """{server_url, email, user_id} of the signed-in account, or None."""
    state = _online(ctx).state()
    if state.status == "signed_out" or not state.user:
        return None
    return {"server_url": state.server_url, "email": state.user.get("email"), "user_id": state.user.get("id")}


def _same(a: dict, b: dict) -> bool:
    return (a.get("server_url"), a.get("user_id") or a.get("email")) == \
        (b.get("server_url"), b.get("user_id") or b.get("email"))


def _require_account(ctx: AppContext) -> dict:
    account = _signed_in(ctx)
    if account is None:
        raise UserError(MESSAGES["signed_out"])
    return account


def _call(ctx: AppContext, fn):
    """fn(SyncApi) for the signed-in account, network failures as UserError."""
    return _online(ctx).call(lambda client: fn(SyncApi(client)))


def _local_key(ctx: AppContext, account: dict) -> bytes | None:
    return keys.load_local_key(account["server_url"], account["email"], outbox_repo.device_id(ctx.db))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _note(ctx: AppContext, message: str) -> None:
    outbox_repo.set_state(ctx.db, "message", message or None)


# -- status -----------------------------------------------------------------------------------------------------
def status(ctx: AppContext) -> dict:
    """What the status bar shows (no network)."""
    state = outbox_repo.all_state(ctx.db)
    on = state.get("enabled") == "1"
    files = media_repo.counts(ctx.db)
    message = state.get("message") or ("" if on else MESSAGES["off"])
    return {"enabled": on, "waiting": outbox_repo.waiting(ctx.db) if on else 0,
            "conflicts": conflicts_repo.open_count(ctx.db), "last_sync": state.get("last_sync"),
            "media_waiting": files["local"] + files["missing"], "media_failed": files["failed"],
            "device": state.get("device") or outbox_repo.device_id(ctx.db),
            "account": _set_up_for(ctx, state.get("account", "")) if on else None,
            "message": message, "needs_passphrase": on and message in SET_UP_AGAIN}


def last_result(ctx: AppContext) -> dict | None:
    """The result of this profile's last sync in this process (None before the first)."""
    return ctx.last_sync


# -- setting up ---------------------------------------------------------------------------------------------------
def setup(ctx: AppContext, passphrase: str, first_sync: bool = True) -> dict:
    """Open (or make) the account's sync key, keep it here, start capture with this device's data, and sync.

    {"created", "recovery_key" (shown once, only when this device made the key), "merged" (rows of this device
    queued to merge with the others'), "key_storage", "sync" (the first sync's result, when run)}."""
    account = _require_account(ctx)
    keys.check_passphrase(passphrase)
    made = _call(ctx, lambda api: keys.setup(api, passphrase))
    result = _start(ctx, account, made.key)
    result.update(created=made.created, recovery_key=made.recovery_key)
    if first_sync:
        result["sync"] = run_to_end(sync_now(ctx))
    return result


def _start(ctx: AppContext, account: dict, key: bytes) -> dict:
    device = outbox_repo.device_id(ctx.db)
    storage = keys.save_local_key(account["server_url"], account["email"], device, key)
    before = _set_up_for(ctx)
    if before and not _same(before, account):
        # Another account's data was synced here before: this one's message sequence starts from its beginning.
        outbox_repo.set_state(ctx.db, "pull_cursor", None)
        media_repo.forget_uploads(ctx.db)
    replay_repo.snapshot_bases(ctx.db, datetime.now(UTC))  # history made before sync replays as it stands
    merged = outbox_repo.enable(ctx.db, account)
    _note(ctx, "")
    return {"merged": merged, "key_storage": storage}


def change_passphrase(ctx: AppContext, new: str) -> None:
    """Re-wrap the sync key under a new passphrase (other devices keep their saved key)."""
    account = _require_account(ctx)
    key = _local_key(ctx, account)
    if key is None or not enabled(ctx):
        raise UserError("set up sync on this device first (it needs your current passphrase once)")
    _call(ctx, lambda api: keys.change_passphrase(api, key, new))


def recover(ctx: AppContext, recovery_key: str, new_passphrase: str) -> dict:
    """Open the sync key with the recovery key, choose a new passphrase, and set this device up with it."""
    account = _require_account(ctx)
    key = _call(ctx, lambda api: keys.recover(api, recovery_key, new_passphrase))
    return _start(ctx, account, key)


def forget_this_device(ctx: AppContext) -> None:
    """Stop syncing here: capture off, the saved key removed; this device's data stays as it is."""
    account = _set_up_for(ctx)
    if account.get("server_url") and account.get("email"):
        keys.forget_local_key(account["server_url"], account["email"], outbox_repo.device_id(ctx.db))
    outbox_repo.disable(ctx.db)
    outbox_repo.set_state(ctx.db, "pull_cursor", None)
    media_repo.forget_uploads(ctx.db)
    _note(ctx, "")


def delete_server_data(ctx: AppContext) -> dict:
    """Delete every synced message, file and the key from the server; sync stops on this device.
    Other devices stop too (their key no longer matches) until sync is set up again. {messages, blobs}."""
    _require_account(ctx)
    deleted = _call(ctx, lambda api: api.delete_data())
    forget_this_device(ctx)
    return deleted if isinstance(deleted, dict) else {}


# -- conflicts ----------------------------------------------------------------------------------------------------
def conflicts(ctx: AppContext, include_resolved: bool = False) -> list[dict]:
    """Texts two devices edited at once: the kept one and the other, newest first."""
    return [asdict(c) for c in conflicts_repo.list_conflicts(ctx.db, include_resolved=include_resolved)]


def resolve(ctx: AppContext, conflict_id: int, keep: str) -> None:
    """Keep the current text, the other one, or both joined; the choice syncs like an edit."""
    if keep not in KEEP:
        raise ValueError(f"keep is one of {', '.join(KEEP)}, not {keep!r}")
    conflicts_repo.resolve(ctx.db, conflict_id, keep)


# -- syncing ------------------------------------------------------------------------------------------------------
def sync_now(ctx: AppContext, cancel: threading.Event | None = None,
             client: ApiClient | None = None) -> Generator[Progress, None, dict]:
    """One cycle (pull, apply, rebuild, push, files); never raises for offline or refusals: status says.

    {"status", "pulled", "pushed", "applied", "conflicts", "deferred", "skipped", "media_up", "media_down",
    "message"}; status is ok, cancelled, off, signed_out, account, locked, reset, offline, expired, refused,
    error or busy."""
    lock = ctx.sync_lock
    if not lock.acquire(blocking=False):
        yield Progress(1, 1, MESSAGES["busy"])
        return _finish(ctx, engine.Cycle(ctx, None, b"", "").result("busy"), record=False)
    try:
        return (yield from _sync(ctx, cancel or threading.Event(), client))
    finally:
        lock.release()


def _sync(ctx: AppContext, cancel: threading.Event, client: ApiClient | None) -> Generator[Progress, None, dict]:
    empty = engine.Cycle(ctx, None, b"", "")
    if not enabled(ctx):
        return _finish(ctx, empty.result("off"), record=False)
    account = _signed_in(ctx)
    if account is None:
        return _finish(ctx, empty.result("signed_out"))
    if not _same(_set_up_for(ctx), account):
        return _finish(ctx, empty.result("account"))
    key = _local_key(ctx, account)
    if key is None:
        return _finish(ctx, empty.result("locked"))
    api = SyncApi(client or _online(ctx).api_client())
    cycle = engine.Cycle(ctx, api, key, outbox_repo.device_id(ctx.db), cancel)
    yield Progress(0, None, f"syncing with {account['server_url']}")
    try:
        stored = api.get_key()
        if stored is None or stored.get("key_check") != crypto.key_check(key):
            return _finish(ctx, cycle.result("reset"))
        result = yield from engine.run(cycle)
    except ServerUnreachable:
        return _finish(ctx, cycle.result("offline"))
    except SessionExpired:
        return _finish(ctx, cycle.result("expired"))
    except ServerRejected as exc:
        log.warning("sync refused: %s %s", exc.code, exc.message)
        return _finish(ctx, cycle.result("refused"), _refusal(exc))
    except (ServerError, RemoteError) as exc:
        return _finish(ctx, cycle.result("error"), str(exc))
    except UserError as exc:  # a damaged key on the server, a full disk: said, never a crash of the caller
        log.warning("sync stopped: %s", exc)
        return _finish(ctx, cycle.result("error"), str(exc))
    if cycle.skipped:
        log.warning("sync: %d message(s) did not open with the sync key: %s", len(cycle.skipped),
                    ", ".join(cycle.skipped[:5]))
    return _finish(ctx, result)


def _refusal(exc: ServerRejected) -> str:
    if exc.code == "QUOTA_EXCEEDED":
        return "your sync storage on the server is full: delete synced data or ask for more room"
    if exc.code == "CLOCK_AHEAD":
        return "this computer's clock is more than a week ahead: correct the date and time, then sync again"
    return f"the server refused sync: {exc.message}"


def _finish(ctx: AppContext, result: dict, message: str | None = None, record: bool = True) -> dict:
    status_ = result["status"]
    if message is None:
        if status_ == "ok":
            message = _summary(result)
        else:
            message = MESSAGES.get(status_, "")
    result["message"] = message
    if record:
        if status_ == "ok":
            outbox_repo.set_state(ctx.db, "last_sync", _now())
        _note(ctx, "" if status_ in ("ok", "cancelled") and not result["skipped"] else message)
        ctx.last_sync = result
    return result


def _summary(result: dict) -> str:
    parts = [f"received {result['pulled']}", f"sent {result['pushed']}"]
    if result["conflicts"]:
        parts.append(f"{result['conflicts']} conflict(s) to look at")
    if result["skipped"]:
        parts.append(f"{result['skipped']} change(s) that did not open with your sync key were skipped")
    return "synced: " + ", ".join(parts)


def online_section(service_: online.Online, _account, client: ApiClient) -> int:
    """Personal sync as a section of the online sync: nothing when it is off; a failure is reported as a
    ServerRejected, which the online sync lists as a problem of this section and goes on."""
    ctx = service_.ctx
    if not enabled(ctx):
        return 0
    try:
        result = run_to_end(sync_now(ctx, client=client))
    except Exception as exc:  # noqa: BLE001 - personal sync must never break the online sync
        log.exception("personal sync failed inside the online sync")
        raise ServerRejected(0, "PERSONAL_SYNC", f"personal sync failed: {exc}") from exc
    if result["status"] not in ("ok", "cancelled", "busy", "off"):
        raise ServerRejected(0, "PERSONAL_SYNC", result["message"])
    return 0


# -- files ----------------------------------------------------------------------------------------------------------
def fetch_media(ctx: AppContext, source_id: int,
                cancel: threading.Event | None = None) -> Generator[Progress, None, str]:
    """Download a synced source's file now (it was opened before the background download reached it); its path."""
    src = sources_repo.get(ctx.db, source_id)
    if src is None:
        raise UserError(f"there is no source {source_id}")
    path = src.stored_path or ""
    if path and Path(path).is_file():
        return path
    row = media_repo.by_path(ctx.db, path) if path else None
    if row is None:
        raise UserError(f"the file of {src.title!r} is not on this computer and was not synced")
    account = _require_account(ctx)
    key = _local_key(ctx, account)
    if key is None:
        raise UserError(MESSAGES["locked"])
    api = SyncApi(_online(ctx).api_client())
    size = row.size or None
    yield Progress(0, size, f"downloading {src.title}")
    try:
        for got in media.download(api, ctx.db, key, row, cancel or threading.Event()):
            yield Progress(got, size, f"downloading {src.title}")
    except ServerUnreachable as exc:
        raise UserError(MESSAGES["offline"]) from exc
    except RemoteError as exc:
        raise UserError(f"the file could not be downloaded: {exc}") from exc
    if not Path(path).is_file():
        if media_repo.get(ctx.db, row.sha256).state == "failed":
            raise UserError(f"the file of {src.title!r} arrived damaged and was not kept")
        raise UserError(f"the file of {src.title!r} is not on the server yet: the device that has it uploads it "
                        "at its next sync")
    return path
