"""SQL of the capture triggers, built from SPECS (so a later migration can rebuild them after a spec change).

Every write path (ORM, Core, bulk, raw SQL, cascades) passes through SQLite, so triggers see every change. Each
captured row change: take the next HLC into sync_state 'clock', write one sync_outbox message, then stamp each
changed field's clock in sync_clock (after the message read the old clocks as its bases).
"""

from __future__ import annotations

from lmgpa_desktop.storage.sync.spec import SPECS, TOMBSTONE, TableSpec

GATE = "(SELECT value FROM sync_state WHERE key = 'enabled') = '1' AND lmgpa_capture()"
CLOCK = "(SELECT value FROM sync_state WHERE key = 'clock')"
NEXT_HLC = f"lmgpa_hlc((SELECT value FROM sync_state WHERE key = 'device'), {CLOCK})"
MSG_ID = "lower(hex(randomblob(16)))"
# A random (version 4) uuid, for rows a raw SQL insert left without one.
UUID4 = ("lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
         "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
         "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))")
# The stored text of a UTCDateTime column (what SQLAlchemy writes), for the tombstone of a hard delete.
NOW_TEXT = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"

STAMP = (f"INSERT INTO sync_state (key, value) VALUES ('clock', {NEXT_HLC}) "
         "ON CONFLICT (key) DO UPDATE SET value = excluded.value;")
# The fields of the message just written get the message's HLC as their clock.
CLOCK_FIELDS = ("INSERT INTO sync_clock (tbl, row_uuid, field, hlc) "
                "SELECT o.tbl, o.row_uuid, j.key, o.hlc FROM sync_outbox o, json_each(o.fields) j "
                "WHERE o.id = (SELECT max(id) FROM sync_outbox) "
                "ON CONFLICT (tbl, row_uuid, field) DO UPDATE SET hlc = excluded.hlc;")


def value_sql(spec: TableSpec, column: str, row: str) -> str:
    """The value a field travels with: the stored value, or the parent's uuid for a reference."""
    parent = spec.refs.get(column)
    if parent is None:
        return f"{row}.{column}"
    return f"(SELECT uuid FROM {parent} WHERE id = {row}.{column})"


def fields_sql(spec: TableSpec, row: str, changed: bool = False) -> str:
    """A JSON object of the synced fields of row (changed=True: only those that differ from OLD).

    lmgpa_pick builds it in Python: SQLite's JSON keeps 15 digits of a REAL, Python's keeps every bit.
    """
    args = []
    for column in spec.fields:
        flag = f"NEW.{column} IS NOT OLD.{column}" if changed else "1"
        args += [flag, f"'{column}'", value_sql(spec, column, row)]
    return f"lmgpa_pick({', '.join(args)})"


def bases_sql(spec: TableSpec) -> str:
    """JSON object text field -> the HLC of the value this update overwrites (NULL when no text changed)."""
    if not spec.texts:
        return "NULL"
    args = []
    for column in spec.texts:
        clock = (f"(SELECT hlc FROM sync_clock WHERE tbl = '{spec.table}' AND row_uuid = NEW.{spec.key} "
                 f"AND field = '{column}')")
        args += [f"NEW.{column} IS NOT OLD.{column}", f"'{column}'", clock]
    return f"lmgpa_pick({', '.join(args)})"


def row_filter(spec: TableSpec, row: str) -> str:
    """SQL that is true when row is one that syncs (spec.where evaluated on its columns), or ''."""
    if not spec.where:
        return ""
    names = dict.fromkeys((spec.key, *spec.fields, *spec.where_columns))
    columns = ", ".join(f"{row}.{name} AS {name}" for name in names)
    return f" AND EXISTS (SELECT 1 FROM (SELECT {columns}) WHERE {spec.where})"


def _outbox(spec: TableSpec, row: str, op: str, fields: str, bases: str) -> str:
    return ("INSERT INTO sync_outbox (msg_id, tbl, row_uuid, op, fields, hlc, bases) VALUES "
            f"({MSG_ID}, '{spec.table}', {row}.{spec.key}, '{op}', {fields}, {CLOCK}, {bases});")


def names(spec: TableSpec) -> tuple[str, str, str]:
    """The names of a table's insert, update and delete capture triggers."""
    return (f"sync_{spec.table}_ai", f"sync_{spec.table}_au", f"sync_{spec.table}_ad")


def create_sql(spec: TableSpec) -> list[str]:
    """CREATE TRIGGER statements capturing inserts, updates and deletes of one synced table."""
    ins, upd, dele = names(spec)
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in spec.fields)
    add = _outbox(spec, "NEW", "add", fields_sql(spec, "NEW"), "NULL")
    put = _outbox(spec, "NEW", "put", fields_sql(spec, "NEW", changed=True), bases_sql(spec))
    tomb = _outbox(spec, "OLD", "put", f"json_object('{TOMBSTONE}', {NOW_TEXT})", "NULL")
    live = f" AND OLD.{TOMBSTONE} IS NULL" if spec.soft_delete else ""  # a soft-deleted row's tombstone was sent
    return [
        f"CREATE TRIGGER {ins} AFTER INSERT ON {spec.table} WHEN {GATE}{row_filter(spec, 'NEW')} "
        f"BEGIN {STAMP} {add} {CLOCK_FIELDS} END",
        f"CREATE TRIGGER {upd} AFTER UPDATE ON {spec.table} WHEN {GATE}{row_filter(spec, 'NEW')} "
        f"AND ({changed}) BEGIN {STAMP} {put} {CLOCK_FIELDS} END",
        f"CREATE TRIGGER {dele} AFTER DELETE ON {spec.table} WHEN {GATE}{row_filter(spec, 'OLD')}{live} "
        f"BEGIN {STAMP} {tomb} {CLOCK_FIELDS} END",
    ]


def drop_sql(spec: TableSpec) -> list[str]:
    """DROP TRIGGER statements for one table's capture triggers."""
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names(spec)]


def create_all() -> list[str]:
    """Capture triggers for every synced table."""
    return [sql for spec in SPECS for sql in create_sql(spec)]


def drop_all() -> list[str]:
    """Drop every capture trigger."""
    return [sql for spec in SPECS for sql in drop_sql(spec)]
