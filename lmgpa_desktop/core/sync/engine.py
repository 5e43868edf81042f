"""One sync cycle: pull what other devices sent, apply it, rebuild what derives from it, push what is waiting."""

# Every step is safe to cut and retry:
# - pull: a page is applied in one transaction (apply_repo) and only then the cursor advances; a cut before the
#   cursor moves re-applies the page, which changes nothing (equal HLC = applied). Derived state is rebuilt once,
#   after the last page: per page, a first sync of a long history would judge the same days' points hundreds of
#   times. A marker in sync_state says pages were applied and not yet rebuilt, so a cut before the rebuild is
#   caught up by replaying every card at the next sync.
# - push: a batch is marked pushed only after the server acknowledged it; the server skips message ids it knows,
#   so a batch whose answer was lost is sent again without duplicates.
# - media: see media.py (chunks the server has are not sent again; downloads resume from a .part file).
# Payloads are JSON {t: table, r: row key, o: op, f: fields, b: bases}, sealed with the message's id, HLC and
# device as associated data, so the server sees only those, the sizes and the times.

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.sync import crypto, media, replay
from lmgpa_desktop.remote.sync_api import SyncApi
from lmgpa_desktop.storage.sync import apply_repo, outbox_repo
from lmgpa_desktop.storage.sync.apply_repo import Applied, Incoming
from lmgpa_desktop.storage.sync.spec import spec

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)

PULL_PAGE = 500
PUSH_BATCH = 500
PUSH_BYTES = 8 << 20  # per request: half the server's 16 MiB push cap
REBUILD_MARK = "rebuild_pending"  # sync_state key: a pulled page was applied but its derived state not rebuilt


@dataclass
class Cycle:
    """What one sync cycle needs and what it did."""

    ctx: AppContext
    api: SyncApi
    key: bytes
    device: str
    cancel: threading.Event = field(default_factory=threading.Event)
    pulled: int = 0
    applied: int = 0
    conflicts: int = 0
    deferred: int = 0
    skipped: list[str] = field(default_factory=list)  # ids of messages that did not open (reported, not applied)
    pushed: int = 0
    media_up: int = 0
    media_down: int = 0

    @property
    def db(self):
        return self.ctx.db

    def result(self, status: str) -> dict:
        return {"status": status, "pulled": self.pulled, "pushed": self.pushed, "applied": self.applied,
                "conflicts": self.conflicts, "deferred": self.deferred, "skipped": len(self.skipped),
                "media_up": self.media_up, "media_down": self.media_down}


# -- payloads ---------------------------------------------------------------------------------------------------
def seal(key: bytes, device: str, msg_id: str, hlc: str, body: dict) -> dict:
    """A wire message: metadata in clear, the body sealed."""
    plain = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")
    sealed = crypto.seal_message(key, plain, msg_id, hlc, device)
    return {"id": msg_id, "hlc": hlc, "device": device, "payload": base64.b64encode(sealed).decode("ascii")}


def open_wire(key: bytes, m: dict) -> Incoming:
    """An Incoming from a pulled wire message; crypto.Tampered when it does not open or is not a change."""
    try:
        sealed = base64.b64decode(m["payload"], validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise crypto.Tampered("A synced change is not readable base64.") from exc
    plain = crypto.open_message(key, sealed, m["id"], m["hlc"], m["device"])
    try:
        body = json.loads(plain)
        spec(body["t"])
        if body["o"] not in ("add", "put") or not isinstance(body["f"], dict):
            raise ValueError(body["o"])
        return Incoming(m["id"], m["hlc"], m["device"], body["t"], str(body["r"]), body["o"], body["f"],
                        body.get("b") or {})
    except (ValueError, KeyError, TypeError) as exc:
        # Sealed with our key yet not a change this version understands: a newer app's table, most likely.
        raise crypto.Tampered(f"A synced change names something this version does not know ({exc}).") from exc


# -- pull -------------------------------------------------------------------------------------------------------
def pull(c: Cycle) -> Generator[Progress, None, None]:
    """Fetch, open and apply pages after the cursor until the server has no more."""
    catch_up_rebuild(c.ctx)
    cursor = int(outbox_repo.get_state(c.db, "pull_cursor") or 0)
    media_path = media.media_path_for(c.ctx.home, c.db)
    merged = Applied()
    while not c.cancel.is_set():
        page = c.api.pull(after=cursor, limit=PULL_PAGE, exclude_device=c.device)
        incoming = []
        for m in page.get("messages") or []:
            try:
                incoming.append(open_wire(c.key, m))
            except crypto.Tampered as exc:
                log.warning("sync: message %s skipped: %s", m.get("id"), exc)
                c.skipped.append(str(m.get("id")))
        if incoming:
            outbox_repo.set_state(c.db, REBUILD_MARK, "1")
            applied = apply_repo.apply(c.db, incoming, media_path)
            _merge(merged, applied)
            _count(c, applied)
        c.pulled += len(page.get("messages") or [])
        new_cursor = int(page.get("last_seq") or cursor)
        if new_cursor > cursor:
            cursor = new_cursor
            outbox_repo.set_state(c.db, "pull_cursor", str(cursor))
        yield Progress(c.pulled, None, f"received {c.pulled} change{'s' if c.pulled != 1 else ''}")
        if not page.get("more") or not page.get("messages"):
            break
    if merged.messages:  # also after a cancel: what was applied is rebuilt now, not left to the catch-up
        yield Progress(c.pulled, None, "bringing schedules and points up to date")
        replay.rebuild_after(c.ctx, merged)
        outbox_repo.set_state(c.db, REBUILD_MARK, None)


def _merge(into: Applied, page: Applied) -> None:
    """Add one page's apply to what the sync has applied so far (derived state is rebuilt once, for all)."""
    into.messages += page.messages
    into.cards |= page.cards
    into.sources |= page.sources
    into.notes |= page.notes
    if page.activity:  # activity_from None means "from the start", which wins over any day
        if not into.activity or page.activity_from is None or into.activity_from is None:
            into.activity_from = page.activity_from if not into.activity else None
        else:
            into.activity_from = min(into.activity_from, page.activity_from)
        into.activity = True


def _count(c: Cycle, applied: Applied) -> None:
    c.applied += applied.messages - applied.ignored
    c.conflicts += applied.conflicts
    c.deferred = applied.deferred


def catch_up_rebuild(ctx: AppContext) -> None:
    """A page was applied and the sync cut before its derived state was rebuilt: replay every card now."""
    if outbox_repo.get_state(ctx.db, REBUILD_MARK) != "1":
        return
    log.info("sync: the last sync stopped between apply and rebuild; replaying every card")
    replay.replay_all(ctx)
    replay.rebuild_after(ctx, Applied(activity=True))
    outbox_repo.set_state(ctx.db, REBUILD_MARK, None)


# -- push -------------------------------------------------------------------------------------------------------
def push(c: Cycle) -> Generator[Progress, None, None]:
    """Send unsent outbox messages in batches; each batch marked pushed only once the server has it."""
    total = outbox_repo.waiting(c.db)
    describe = media.Describer(c.db, c.key)
    while not c.cancel.is_set():
        batch = outbox_repo.unsent(c.db, limit=PUSH_BATCH)
        if not batch:
            return
        wire = [seal(c.key, c.device, o.msg_id, o.hlc, _body(o, describe)) for o in batch]
        for part in _by_size(list(zip(batch, wire))):
            c.api.push([w for _o, w in part])
            outbox_repo.mark_pushed(c.db, [o.id for o, _w in part])
            c.pushed += len(part)
            yield Progress(c.pushed, max(total, c.pushed), f"sent {c.pushed} of {total} changes")


def _by_size(pairs: list, limit: int = PUSH_BYTES) -> Generator[list, None, None]:
    """Split a batch so each request stays under the server's body cap (long transcripts make big messages)."""
    part, size = [], 0
    for pair in pairs:
        n = len(pair[1]["payload"]) + 200  # the id, HLC, device and JSON around the payload
        if part and size + n > limit:
            yield part
            part, size = [], 0
        part.append(pair)
        size += n
    if part:
        yield part


def _body(o, describe: Callable[[str | None], dict | None]) -> dict:
    """The plaintext of an outgoing message, media paths turned into descriptors."""
    fields = dict(o.fields)
    for column in spec(o.table).media:
        if column in fields and isinstance(fields[column], str):
            fields[column] = describe(fields[column])
    body = {"t": o.table, "r": o.row, "o": o.op, "f": fields}
    if o.bases:
        body["b"] = o.bases
    return body


# -- media ------------------------------------------------------------------------------------------------------
def upload_media(c: Cycle) -> Generator[Progress, None, None]:
    """Upload the files pushed rows name."""
    c.media_up += yield from media.upload_waiting(c.api, c.db, c.key, c.cancel)


def download_media(c: Cycle) -> Generator[Progress, None, None]:
    """Download the files synced rows name (in the background, after the messages)."""
    c.media_down += yield from media.download_waiting(c.api, c.db, c.key, c.cancel)


def run(c: Cycle) -> Generator[Progress, None, dict]:
    """pull -> push -> upload -> download; the cycle's counts with status "ok" or "cancelled"."""
    for step in (pull, push, upload_media, download_media):
        if c.cancel.is_set():
            break
        yield from step(c)
    return c.result("cancelled" if c.cancel.is_set() else "ok")
