"""Conflict copies: a text edit that lost to a concurrent one, kept, listed and resolved like any other edit."""

# Two edits of one text field are concurrent when the later one (the winner, by HLC) was made on top of a value
# older than the earlier one (the loser): its author never saw the loser. The winner's base travels with it
# (message bases); the base of a value already here is remembered in sync_clock under "<field>#base" as
# "<hlc>|<base>" when it was received, or read from the outbox when it was a local edit. The judgement only
# looks at the pair (loser, winner), so it is the same whichever arrives first, and the conflict row's uuid is
# a uuid5 of the lost edit: two devices that see the same conflict make the same row. The row is written with
# capture on, so it syncs and every device shows it; resolving it is a normal local edit of the row.

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.base import Base
from lmgpa_desktop.storage.sync.hlc import parse
from lmgpa_desktop.storage.sync.incoming import Incoming
from lmgpa_desktop.storage.sync.spec import TableSpec, spec

BASE_SUFFIX = "#base"
KEEP = ("current", "other", "both")
TITLE_COLUMNS = ("title", "name", "front", "prompt", "text", "key")


@dataclass(frozen=True)
class Lost:
    """A losing text edit found while applying."""

    table: str
    row_uuid: str
    field: str
    kept_hlc: str
    lost_hlc: str
    lost_value: str | None


@dataclass(frozen=True)
class ConflictRecord:
    """A conflict copy as the conflicts list shows it."""

    id: int
    uuid: str
    table: str
    row_uuid: str
    field: str
    kept_value: str | None
    lost_value: str | None
    lost_device: str | None
    created_at: datetime | None
    resolved_at: datetime | None
    title: str


def conflict_uuid(table: str, row_uuid: str, field: str, lost_hlc: str) -> str:
    """The same conflict gets the same row on every device."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{table}/{row_uuid}/{field}/{lost_hlc}"))


def concurrent(loser_hlc: str, winner_base: str | None) -> bool:
    """Whether the winner was made without seeing the loser (its base is older than the loser, or none)."""
    return winner_base is None or winner_base < loser_hlc


# -- judging, during apply (b is apply_repo's batch) ---------------------------------------------------------
def _stored_base(b, sp: TableSpec, row: str, name: str, stored: str, clocks: dict) -> tuple[bool, str | None]:
    """(known, base) of the value here: remembered at receipt, or the local edit's outbox message."""
    mark = clocks.get(name + BASE_SUFFIX)
    if mark and mark.split("|", 1)[0] == stored:
        return True, mark.split("|", 1)[1] or None
    found = b.q("SELECT op, bases FROM sync_outbox WHERE tbl = :t AND row_uuid = :r AND hlc = :h",
                {"t": sp.table, "r": row, "h": stored}).first()
    if found is None:
        return False, None  # pruned: judged as seen (a missed copy rather than a false one)
    if found.op == "add":
        return True, None
    bases = json.loads(found.bases) if found.bases else {}
    return name in bases, bases.get(name)


def judge_loser(b, sp: TableSpec, m: Incoming, name: str, value, stored: str, here, clocks: dict) -> None:
    """An incoming text value older than the one here: kept as a copy if the one here never saw it."""
    known, base = _stored_base(b, sp, m.row, name, stored, clocks)
    if known and concurrent(m.hlc, base) and value != here and value not in (None, ""):
        b.lost.append(Lost(sp.table, m.row, name, stored, m.hlc, value))


def judge_winner(b, sp: TableSpec, m: Incoming, name: str, stored: str, here, value) -> None:
    """An incoming text value that replaces the one here: the one here is kept if the newcomer never saw it."""
    if concurrent(stored, (m.bases or {}).get(name)) and here != value and here not in (None, ""):
        b.lost.append(Lost(sp.table, m.row, name, m.hlc, stored, here))


def _stamp(s, column: str, at: datetime):
    proc = Base.metadata.tables["sync_conflicts"].c[column].type.bind_processor(s.get_bind().dialect)
    return proc(at) if proc else at


def write_lost(b, lost: list[Lost]) -> int:
    """Write new conflict rows (capture on, so they sync); returns how many were new."""
    new = 0
    for item in {conflict_uuid(x.table, x.row_uuid, x.field, x.lost_hlc): x for x in lost}.items():
        uid, x = item
        if b.q("SELECT 1 FROM sync_conflicts WHERE uuid = :u", {"u": uid}).scalar():
            continue
        # when the conflict came to be: the later of the two edits (the same on every device)
        millis = parse(max(x.kept_hlc, x.lost_hlc))[0]
        created = _stamp(b.s, "created_at", datetime.fromtimestamp(millis / 1000, UTC))
        b.q("INSERT INTO sync_conflicts (uuid, tbl, row_uuid, field, kept_hlc, lost_hlc, lost_value, lost_device, "
            "created_at, updated_at) VALUES (:u, :t, :r, :f, :k, :l, :v, :d, :c, :now)",
            {"u": uid, "t": x.table, "r": x.row_uuid, "f": x.field, "k": x.kept_hlc, "l": x.lost_hlc,
             "v": x.lost_value, "d": parse(x.lost_hlc)[2], "c": created, "now": _stamp(b.s, "updated_at", b.now)})
        new += 1
    return new


# -- listing and resolving -----------------------------------------------------------------------------------
def _title(s, sp: TableSpec, row_uuid: str) -> str:
    table = Base.metadata.tables[sp.table]
    column = next((c for c in TITLE_COLUMNS if c in table.c), None)
    if column is None:
        return sp.table
    value = s.execute(text(f'SELECT "{column}" FROM {sp.table} WHERE "{sp.key}" = :k'), {"k": row_uuid}).scalar()
    label = " ".join(str(value or "").split())
    return (label[:77] + "...") if len(label) > 80 else (label or f"({sp.table})")


def _current(s, sp: TableSpec, row_uuid: str, name: str):
    return s.execute(text(f'SELECT "{name}" FROM {sp.table} WHERE "{sp.key}" = :k'), {"k": row_uuid}).scalar()


def _when(value) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(str(value))
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def list_conflicts(db: Database, include_resolved: bool = False) -> list[ConflictRecord]:
    """Conflict copies, newest first (open ones only unless include_resolved)."""
    where = "deleted_at IS NULL" + ("" if include_resolved else " AND resolved_at IS NULL")
    out = []
    with db.read() as s:
        rows = s.execute(text("SELECT id, uuid, tbl, row_uuid, field, lost_value, lost_device, created_at, "
                              f"resolved_at FROM sync_conflicts WHERE {where} ORDER BY created_at DESC, id DESC"))
        for r in rows.all():
            try:
                sp = spec(r.tbl)
            except KeyError:
                continue
            out.append(ConflictRecord(r.id, r.uuid, r.tbl, r.row_uuid, r.field, _current(s, sp, r.row_uuid, r.field),
                                      r.lost_value, r.lost_device, _when(r.created_at), _when(r.resolved_at),
                                      _title(s, sp, r.row_uuid)))
    return out


def open_count(db: Database) -> int:
    """Conflicts waiting for the student."""
    with db.read() as s:
        return s.execute(text("SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL "
                              "AND deleted_at IS NULL")).scalar_one()


def resolve(db: Database, conflict_id: int, keep: str) -> None:
    """Settle a conflict: keep the current text, take the other one, or keep both (current, blank line, other).

    A normal local edit (captured), so the choice syncs; KeyError when there is no such conflict."""
    if keep not in KEEP:
        raise ValueError(f"keep is one of {', '.join(KEEP)}, not {keep!r}")
    with db.write() as s:
        r = s.execute(text("SELECT tbl, row_uuid, field, lost_value FROM sync_conflicts WHERE id = :i "
                           "AND deleted_at IS NULL"), {"i": conflict_id}).first()
        if r is None:
            raise KeyError(conflict_id)
        now = datetime.now(UTC)
        sp = spec(r.tbl)
        if keep != "current" and r.field in sp.texts:
            current = _current(s, sp, r.row_uuid, r.field)
            value = r.lost_value if keep == "other" else "\n\n".join(v for v in (current, r.lost_value) if v)
            sets = f'"{r.field}" = :v'
            params = {"v": value, "k": r.row_uuid}
            if "updated_at" in Base.metadata.tables[sp.table].c:
                sets += ", updated_at = :now"
                params["now"] = _stamp(s, "updated_at", now)
            s.execute(text(f'UPDATE {sp.table} SET {sets} WHERE "{sp.key}" = :k'), params)
        s.execute(text("UPDATE sync_conflicts SET resolved_at = :now, updated_at = :now WHERE id = :i"),
                  {"now": _stamp(s, "resolved_at", now), "i": conflict_id})
