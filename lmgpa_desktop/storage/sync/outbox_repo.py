"""The sync outbox and this device's sync state: what waits to be pushed, enabling and disabling capture."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.sync import json_refs, text_refs
from lmgpa_desktop.storage.sync.spec import SPECS, TOMBSTONE, TableSpec
from lmgpa_desktop.storage.sync.triggers import MSG_ID, NEXT_HLC, UUID4, fields_sql


@dataclass(frozen=True)
class Outgoing:
    """One captured change: its message id, HLC, table, row key, op and fields (and text bases)."""

    id: int
    msg_id: str
    hlc: str
    table: str
    row: str
    op: str
    fields: dict
    bases: dict


def unsent(db: Database, limit: int = 500) -> list[Outgoing]:
    """Messages not pushed yet, oldest first."""
    with db.read() as s:
        rows = s.execute(text("SELECT id, msg_id, hlc, tbl, row_uuid, op, fields, bases FROM sync_outbox "
                              "WHERE pushed_at IS NULL ORDER BY id LIMIT :limit"), {"limit": limit}).all()
        ids = json_refs.Leaving(s)  # local ids inside values go as uuids (captured as ids: see json_refs)
        return [Outgoing(r.id, r.msg_id, r.hlc, r.tbl, r.row_uuid, r.op,
                         text_refs.leaving(ids, r.tbl, ids.fields(r.tbl, r.row_uuid, json.loads(r.fields))),
                         json.loads(r.bases) if r.bases else {}) for r in rows]


def mark_pushed(db: Database, ids: list[int]) -> None:
    """Record that the server has these messages."""
    if not ids:
        return
    now = datetime.now(UTC).isoformat()
    with db.write(counted=False) as s:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join(str(int(i)) for i in chunk)
            s.execute(text(f"UPDATE sync_outbox SET pushed_at = :now WHERE id IN ({marks}) AND pushed_at IS NULL"),
                      {"now": now})


def prune_pushed(db: Database) -> int:
    """Forget messages the server has (it keeps them for the other devices); returns how many went."""
    with db.write(counted=False) as s:
        return s.execute(text("DELETE FROM sync_outbox WHERE pushed_at IS NOT NULL")).rowcount or 0


def waiting(db: Database) -> int:
    """How many captured changes wait to be pushed."""
    with db.read() as s:
        return s.execute(text("SELECT count(*) FROM sync_outbox WHERE pushed_at IS NULL")).scalar_one()


def get_state(db: Database, key: str) -> str | None:
    """A sync_state value, or None."""
    with db.read() as s:
        return s.execute(text("SELECT value FROM sync_state WHERE key = :key"), {"key": key}).scalar()


def set_state(db: Database, key: str, value: str | None) -> None:
    """Store a sync_state value (None removes it)."""
    with db.write(counted=False) as s:
        _put_state(s, key, value)


def _put_state(s, key: str, value: str | None) -> None:
    if value is None:
        s.execute(text("DELETE FROM sync_state WHERE key = :key"), {"key": key})
    else:
        s.execute(text("INSERT INTO sync_state (key, value) VALUES (:key, :value) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"key": key, "value": value})


def all_state(db: Database) -> dict[str, str]:
    """Every sync_state value in one read (the status bar asks every 30 s)."""
    with db.read() as s:
        return dict(s.execute(text("SELECT key, value FROM sync_state")).all())


def device_id(db: Database) -> str:
    """This database's device id (16 hex; made by the migration, or now if it went missing)."""
    device = get_state(db, "device")
    return device if device else reset_device(db)


def reset_device(db: Database) -> str:
    """Give this database a new device id (a copy restored onto another machine must not share its stamps)."""
    device = secrets.token_hex(8)
    set_state(db, "device", device)
    return device


def enable(db: Database, account: dict) -> int:
    """Turn capture on for account and write every live synced row as an 'add' message, in one transaction.

    Returns the messages written; 0 when sync was already on (a second call adds nothing).
    """
    with db.write(counted=False) as s:
        already = s.execute(text("SELECT value FROM sync_state WHERE key = 'enabled'")).scalar() == "1"
        _put_state(s, "account", json.dumps(account, sort_keys=True))
        if already:
            return 0
        if not s.execute(text("SELECT value FROM sync_state WHERE key = 'device'")).scalar():
            _put_state(s, "device", secrets.token_hex(8))
        before = s.execute(text("SELECT coalesce(max(id), 0) FROM sync_outbox")).scalar_one()
        for spec in SPECS:
            if spec.key == "uuid":  # only a raw SQL insert leaves one out; the ORM always fills it
                s.execute(text(f"UPDATE {spec.table} SET uuid = {UUID4} WHERE uuid IS NULL"))
            s.execute(text(_snapshot_sql(spec)))
        written = s.execute(text("SELECT count(*) FROM sync_outbox WHERE id > :before"), {"before": before})
        written = written.scalar_one()
        if written:
            s.execute(text("INSERT INTO sync_clock (tbl, row_uuid, field, hlc) "
                           "SELECT o.tbl, o.row_uuid, j.key, o.hlc FROM sync_outbox o, json_each(o.fields) j "
                           "WHERE o.id > :before "
                           "ON CONFLICT (tbl, row_uuid, field) DO UPDATE SET hlc = excluded.hlc"),
                      {"before": before})
            top = s.execute(text("SELECT max(hlc) FROM sync_outbox WHERE id > :before"), {"before": before})
            _put_state(s, "clock", top.scalar_one())
        _put_state(s, "enabled", "1")
        return written


def _snapshot_sql(spec: TableSpec) -> str:
    """INSERT ... SELECT of one 'add' message per live synced row of a table, each with its own HLC."""
    conditions = [f"r.{TOMBSTONE} IS NULL"] if spec.soft_delete else []
    if spec.where:
        conditions.append(spec.where)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return ("INSERT INTO sync_outbox (msg_id, tbl, row_uuid, op, fields, hlc, bases) "
            f"SELECT {MSG_ID}, '{spec.table}', r.{spec.key}, 'add', {fields_sql(spec, 'r')}, {NEXT_HLC}, NULL "
            f"FROM {spec.table} r{where} ORDER BY r.rowid")


def disable(db: Database) -> None:
    """Stop capturing changes; the outbox is kept (what was captured still goes when sync is on again)."""
    set_state(db, "enabled", None)
