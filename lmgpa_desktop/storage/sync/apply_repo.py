"""Applying received sync messages: per-field last writer wins by HLC, append tables by uuid, tombstones,
parents that have not arrived yet deferred, concurrent text edits kept as conflict copies."""

# Every rule here is a function of the messages alone, never of their arrival order, so duplicated and
# reordered deliveries end in the same rows: a field takes a value iff its HLC beats the field's clock
# (sync_clock); an append row is inserted once; a message whose parent row is not here yet waits in
# sync_deferred and is retried (also in the same call, after the rest of the batch); a put for a row whose
# required columns have not arrived waits the same way. A hard-deleted row (tables without deleted_at) leaves its
# tombstone clock behind, so nothing brings it back; a soft-deleted row keeps deleted_at by LWW like any field.
# Values are written as the raw stored SQLite values they travel as (SQL text, not the ORM), so they are the
# exact bytes the sender had.

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.base import Base
from lmgpa_desktop.storage.sync import capture, conflicts_repo, json_refs, text_refs
from lmgpa_desktop.storage.sync.conflicts_repo import Lost
from lmgpa_desktop.storage.sync.hlc import CLOCK
from lmgpa_desktop.storage.sync.incoming import Incoming  # noqa: F401 - callers import it from here
from lmgpa_desktop.storage.sync.spec import TOMBSTONE, TableSpec, setting_synced, spec

APPLIED, IGNORED, DEFERRED = "applied", "ignored", "deferred"
BASE_SUFFIX = "#base"  # sync_clock field holding "<hlc>|<base>" of a received text value (see conflicts_repo)
# Rows added or changed in these tables make their source worth indexing again (sources: the source itself).
SOURCE_TEXT = {"sources": None, "document_pages": "source_id", "transcripts": "source_id"}


@dataclass
class Applied:
    """What an apply did, and what the derived state must catch up with."""

    messages: int = 0
    changed_fields: int = 0
    ignored: int = 0
    deferred: int = 0
    conflicts: int = 0
    cards: set[int] = field(default_factory=set)  # replay these (review logs or sched_base changed)
    sources: set[int] = field(default_factory=set)  # index these (added, or their text changed)
    notes: set[int] = field(default_factory=set)
    activity: bool = False  # activity events or study sessions arrived: rebuild points and the like
    activity_from: datetime | None = None  # the earliest of them (points are rebuilt from that local day on)
    media: list[dict] = field(default_factory=list)  # descriptors (+ "path") of files not here yet


class _Batch:
    """One apply call: the session, what it found out, and the conflicts to write once capture is back on."""

    def __init__(self, s, media_path: Callable[[dict], str]):
        self.s = s
        self.media_path = media_path
        self.dialect = s.get_bind().dialect
        self.now = datetime.now(UTC)
        self.out = Applied()
        self.lost: list[Lost] = []

    def q(self, sql: str, params: dict | None = None):
        return self.s.execute(text(sql), params or {})


# -- columns, defaults and raw values ------------------------------------------------------------------------
def _stored(b: _Batch, column, value):
    """A Python value as SQLite stores it for this column (what the ORM would write)."""
    proc = column.type.bind_processor(b.dialect)
    return proc(value) if proc is not None else value


def _default(b: _Batch, column):
    """The stored value of a column's Python-side default, or None when it has none."""
    default = column.default
    if getattr(default, "is_callable", False):
        value = default.arg(None)  # SQLAlchemy wraps a no-argument default to take the execution context
    elif getattr(default, "is_scalar", False):
        value = default.arg
    else:
        return None
    return _stored(b, column, value)


def _parse_stored(raw) -> datetime | None:
    """A stored datetime text as an aware UTC datetime (None when it is not one)."""
    try:
        at = datetime.fromisoformat(str(raw)) if raw is not None else None
    except ValueError:
        return None
    return None if at is None else at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _quoted(name: str) -> str:
    return f'"{name}"'


def _required(column) -> bool:
    return (not column.nullable and not column.primary_key and column.default is None
            and column.server_default is None)


# -- pieces of one message -----------------------------------------------------------------------------------
def _clocks(b: _Batch, table: str, row: str) -> dict[str, str]:
    return dict(b.q("SELECT field, hlc FROM sync_clock WHERE tbl = :t AND row_uuid = :r", {"t": table, "r": row}).all())


def _set_clock(b: _Batch, table: str, row: str, name: str, hlc: str) -> None:
    b.q("INSERT INTO sync_clock (tbl, row_uuid, field, hlc) VALUES (:t, :r, :f, :h) "
        "ON CONFLICT (tbl, row_uuid, field) DO UPDATE SET hlc = excluded.hlc", {"t": table, "r": row, "f": name, "h": hlc})


def _local_id(b: _Batch, sp: TableSpec, key: str):
    return b.q(f'SELECT rowid FROM {sp.table} WHERE "{sp.key}" = :k', {"k": key}).scalar()


def _parent(b: _Batch, sp: TableSpec, column: str, value):
    """(ok, local id) of a reference; ok False: the parent has not arrived; 'gone': deleted with cascade."""
    if value is None:
        return True, None
    parent = spec(sp.refs[column])
    found = _local_id(b, parent, value)
    if found is not None:
        return True, found
    if not parent.soft_delete and b.q("SELECT 1 FROM sync_clock WHERE tbl = :t AND row_uuid = :r AND field = :f",
                                      {"t": parent.table, "r": value, "f": TOMBSTONE}).scalar():
        fk = next(iter(Base.metadata.tables[sp.table].c[column].foreign_keys), None)
        return (True, "gone") if fk is not None and (fk.ondelete or "").upper() == "CASCADE" else (True, None)
    return False, None


def _media(b: _Batch, value):
    """A media descriptor as a local path (sync_media remembers it; a missing file is listed for download)."""
    desc = value
    if isinstance(value, str) and value.startswith("{"):
        try:
            desc = json.loads(value)
        except ValueError:
            return value
    if not isinstance(desc, dict) or "sha256" not in desc:
        return value
    known = b.q("SELECT path FROM sync_media WHERE sha256 = :h", {"h": desc["sha256"]}).scalar()
    path = known if known and Path(known).is_file() else b.media_path(desc)
    here = Path(path).is_file()
    b.q("INSERT INTO sync_media (sha256, blob_id, size, name, path, state) VALUES (:h, :b, :n, :name, :p, :st) "
        "ON CONFLICT (sha256) DO UPDATE SET blob_id = coalesce(excluded.blob_id, sync_media.blob_id), "
        "size = coalesce(excluded.size, sync_media.size), name = coalesce(sync_media.name, excluded.name), "
        "path = excluded.path, state = CASE WHEN sync_media.state IN ('local', 'uploaded') AND :here "
        "THEN sync_media.state ELSE excluded.state END",
        {"h": desc["sha256"], "b": desc.get("blob_id"), "n": desc.get("size"), "name": desc.get("name"), "p": path,
         "st": "uploaded" if here else "missing", "here": here})
    if not here and not any(m["sha256"] == desc["sha256"] for m in b.out.media):
        b.out.media.append({**desc, "path": path})
    return path


def _translate(b: _Batch, sp: TableSpec, fields: dict, row: str):
    """Fields with references (also ids inside values: json_refs) as local ids and media as local paths; None when
    a parent or a named row is missing, 'gone' when the row went with a deleted parent."""
    fields = json_refs.arriving(b.s, sp.table, row, fields)
    if fields is None:
        return None
    out = {}
    for name, value in fields.items():
        if name in sp.refs:
            ok, value = _parent(b, sp, name, value)
            if not ok:
                return None
            if value == "gone":
                return "gone"
        elif name in sp.media and value is not None:
            value = _media(b, value)
        out[name] = value
    return out


def _insert(b: _Batch, sp: TableSpec, key: str, values: dict) -> int | None:
    """Insert a row from received values and column defaults; None when a required column has no value yet."""
    table = Base.metadata.tables[sp.table]
    row = {sp.key: key}
    for column in table.columns:
        name = column.name
        if name in values or name == sp.key:
            continue
        if name in sp.fill:
            row[name] = sp.fill[name]
        elif column.primary_key and name != sp.key:
            continue  # the local id
        elif column.default is not None:
            row[name] = _default(b, column)
        elif _required(column):
            return None
    row.update({k: v for k, v in values.items() if k in table.c})
    cols = list(row)
    b.q(f"INSERT INTO {sp.table} ({', '.join(_quoted(c) for c in cols)}) VALUES ({', '.join(':' + c for c in cols)})",
        row)
    return _local_id(b, sp, key)


def _note_change(b: _Batch, sp: TableSpec, local_id, values: dict) -> None:
    """Remember what derived state this row change touches."""
    t = sp.table
    if t == "review_logs" and values.get("card_id") is not None:
        b.out.cards.add(values["card_id"])
    elif t == "cards" and "sched_base" in values:
        b.out.cards.add(local_id)
    elif t in SOURCE_TEXT:
        column = SOURCE_TEXT[t]
        source = local_id if column is None else values.get(column)
        if source is not None:
            b.out.sources.add(source)
    elif t == "transcript_segments":
        source = b.q("SELECT t.source_id FROM transcript_segments s JOIN transcripts t ON t.id = s.transcript_id "
                     "WHERE s.rowid = :i", {"i": local_id}).scalar()
        if source is not None:
            b.out.sources.add(source)
    elif t == "notes":
        b.out.notes.add(local_id)
    elif t in ("activity_events", "study_sessions"):
        b.out.activity = True
        raw = values.get("at" if t == "activity_events" else "started_at")
        at = _parse_stored(raw)
        if at is not None and (b.out.activity_from is None or at < b.out.activity_from):
            b.out.activity_from = at


# -- one message -------------------------------------------------------------------------------------------------
def _apply_one(b: _Batch, m: Incoming) -> str:
    try:
        sp = spec(m.table)
    except KeyError:
        return IGNORED  # a table this version does not sync
    if sp.table == "settings" and not setting_synced(m.row):
        return IGNORED
    known = set(sp.fields) | {TOMBSTONE}
    fields = {k: v for k, v in m.fields.items() if k in known}
    fields = text_refs.arriving(b.s, sp.table, fields)  # source links in this device's form, also to compare texts
    clocks = _clocks(b, sp.table, m.row)
    if not sp.soft_delete and TOMBSTONE in clocks:
        return IGNORED  # hard-deleted here: nothing brings it back
    local_id = _local_id(b, sp, m.row)
    if not sp.soft_delete and TOMBSTONE in fields:
        if local_id is not None:
            b.q(f"DELETE FROM {sp.table} WHERE rowid = :i", {"i": local_id})
        _set_clock(b, sp.table, m.row, TOMBSTONE, m.hlc)
        b.out.changed_fields += 1
        return APPLIED
    if sp.kind == "append":
        if local_id is not None:
            return IGNORED
        values = _translate(b, sp, fields, m.row)
        if values is None:
            return DEFERRED
        if values == "gone":
            return IGNORED
        local_id = _insert(b, sp, m.row, values)
        if local_id is None:
            return DEFERRED
        b.out.changed_fields += len(values)
        _note_change(b, sp, local_id, values)
        return APPLIED

    if local_id is None and TOMBSTONE in clocks and (m.op == "put" or m.hlc <= clocks[TOMBSTONE]):
        # Deleted here for good (a study session merged into another, a card never studied): an edit made
        # elsewhere meanwhile does not bring it back; only a newer whole 'add' (a restore) does.
        return IGNORED
    winners = {}
    current = None
    for name, value in fields.items():
        stored = clocks.get(name)
        if stored is not None and m.hlc <= stored:
            if name in sp.texts and m.hlc < stored and local_id is not None:
                current = current or _row_values(b, sp, local_id)
                conflicts_repo.judge_loser(b, sp, m, name, value, stored, current.get(name), clocks)
            continue
        winners[name] = value
    if not winners:
        return IGNORED
    values = _translate(b, sp, winners, m.row)
    if values is None:
        return DEFERRED
    if values == "gone":
        return IGNORED
    if local_id is None:
        local_id = _insert(b, sp, m.row, values)
        if local_id is None:
            return DEFERRED  # a put that overtook its row's 'add'
    else:
        current = current or _row_values(b, sp, local_id)
        for name in sp.texts:
            if name in values and name in clocks:
                conflicts_repo.judge_winner(b, sp, m, name, clocks[name], current.get(name), values[name])
        sets = dict(values)
        if "updated_at" in Base.metadata.tables[sp.table].c:
            sets["updated_at"] = _stored(b, Base.metadata.tables[sp.table].c.updated_at, b.now)
        b.q(f"UPDATE {sp.table} SET {', '.join(f'{_quoted(k)} = :{k}' for k in sets)} WHERE rowid = :rowid_",
            {**sets, "rowid_": local_id})
    for name in winners:
        _set_clock(b, sp.table, m.row, name, m.hlc)
        if name in sp.texts:
            _set_clock(b, sp.table, m.row, name + BASE_SUFFIX, f"{m.hlc}|{m.bases.get(name) or ''}")
    b.out.changed_fields += len(winners)
    _note_change(b, sp, local_id, values)
    return APPLIED


def _row_values(b: _Batch, sp: TableSpec, local_id) -> dict:
    cols = ", ".join(_quoted(c) for c in sp.texts) or _quoted(sp.key)
    return dict(b.q(f"SELECT {cols} FROM {sp.table} WHERE rowid = :i", {"i": local_id}).mappings().one())


# -- the batch ---------------------------------------------------------------------------------------------------
def _as_body(m: Incoming) -> str:
    return json.dumps(asdict(m), sort_keys=True, separators=(",", ":"))


def _from_body(body: str) -> Incoming:
    return Incoming(**json.loads(body))


def apply(db: Database, messages: list[Incoming], media_path: Callable[[dict], str]) -> Applied:
    """Apply received messages in one transaction (capture paused; conflict copies are captured so they sync)."""
    with db.write() as s:
        b = _Batch(s, media_path)
        with capture.paused():
            waiting = {r.msg_id: _from_body(r.body) for r in b.q("SELECT msg_id, body FROM sync_deferred")}
            was_waiting = set(waiting)
            pending = {**waiting, **{m.msg_id: m for m in messages}}
            top = None
            for m in messages:
                CLOCK.observe(m.hlc)
                top = max(top or m.hlc, m.hlc)
            # parents come first when the sender's order is kept; passes repeat while a deferred row gets its parent
            queue = sorted(pending.values(), key=lambda m: (m.hlc, m.msg_id))
            while queue:
                left = []
                for m in queue:
                    result = _apply_one(b, m)
                    if result == DEFERRED:
                        left.append(m)
                    elif result == IGNORED:
                        b.out.ignored += 1
                if len(left) == len(queue):
                    break
                queue = left
            b.out.messages = len(messages)
            b.out.deferred = len(queue)
            still = {m.msg_id for m in queue}
            for msg_id in was_waiting - still:
                b.q("DELETE FROM sync_deferred WHERE msg_id = :m", {"m": msg_id})
            for m in queue:
                if m.msg_id not in was_waiting:
                    b.q("INSERT INTO sync_deferred (msg_id, hlc, body) VALUES (:m, :h, :b) ON CONFLICT DO NOTHING",
                        {"m": m.msg_id, "h": m.hlc, "b": _as_body(m)})
            if top is not None:
                b.q("INSERT INTO sync_state (key, value) VALUES ('clock', :h) ON CONFLICT (key) DO UPDATE SET "
                    "value = max(coalesce(sync_state.value, ''), excluded.value)", {"h": top})
        b.out.conflicts = conflicts_repo.write_lost(b, b.lost)  # captured: every device gets the copy
        return b.out
