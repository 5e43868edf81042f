"""Anki collection files, read-only: the only SQL that touches a foreign database (unpacked from an .apkg)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlean


@dataclass(frozen=True)
class AnkiCollectionRows:
    """The raw rows of an Anki collection file, for core.study.anki_import to interpret."""

    ver: int
    crt: int
    models_json: str  # schema <= 11: note types as JSON in col.models
    decks_json: str
    notetypes: list[tuple]  # schema >= 15: (id, name, config blob)
    fields: list[tuple]  # (notetype id, ord, name)
    templates: list[tuple]  # (notetype id, ord, name, config blob)
    deck_rows: list[tuple]  # (id, name)
    notes: list[tuple]  # (id, guid, mid, tags, flds)
    cards: list[tuple]  # (id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, odue, odid, data)
    revlog: list[tuple]  # (id, cid, ease, ivl, lastIvl, factor, time, type)


def _unicase(a: str, b: str) -> int:
    """Anki's case-insensitive collation, needed to touch its name columns."""
    a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


def _int(value) -> int:
    """An integer column of a foreign row (SQLite keeps any type in any column)."""
    try:
        return int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def _text(value) -> str:
    """A text column of a foreign row."""
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


_CAST = {"i": "COALESCE(CAST({} AS INTEGER), 0)", "t": "COALESCE(CAST({} AS TEXT), '')", "b": "CAST({} AS BLOB)"}


def _rows(conn, table: str, columns: str, order: str = "") -> list[tuple]:
    """Rows of a foreign table, each column cast to the type the importer expects ("i ord, t name, b config")."""
    cast = ", ".join(_CAST[kind].format(name) for kind, name in (c.split() for c in columns.split(", ")))
    return conn.execute(f"SELECT {cast} FROM {table}" + (f" ORDER BY {order}" if order else "")).fetchall()


@contextlib.contextmanager
def _foreign(path: Path) -> Iterator:
    conn = sqlean.connect(f"file:{path}?mode=ro", uri=True)
    conn.create_collation("unicase", _unicase)
    # A foreign file is data, not code: no functions from its schema, text that is not UTF-8 read anyway.
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    try:
        yield conn
    finally:
        conn.close()


def read_anki_collection(path: Path) -> AnkiCollectionRows:
    """Every row the importer needs from an Anki collection (collection.anki2/anki21/anki21b, unpacked)."""
    try:
        with _foreign(path) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"col", "notes", "cards"} <= tables:
                raise ValueError(f"{path.name} is not an Anki collection (no notes and cards tables)")
            card_cols = {r[1] for r in conn.execute("PRAGMA table_info(cards)")}
            odue = "odue" if "odue" in card_cols else "0"
            odid = "odid" if "odid" in card_cols else "0"
            data = "data" if "data" in card_cols else "''"
            # Only tables are read: a view of the same name could compute rows without end (a recursive CTE).
            modern = {"notetypes", "fields", "templates"} <= tables
            row = conn.execute("SELECT ver, crt, models, decks FROM col").fetchone()
            if row is None:
                raise ValueError(f"{path.name} is not an Anki collection (its col table is empty)")
            ver, crt, models_json, decks_json = (_int(row[0]), _int(row[1]), _text(row[2]), _text(row[3]))
            return AnkiCollectionRows(
                ver=ver, crt=crt, models_json=models_json, decks_json=decks_json,
                notetypes=_rows(conn, "notetypes", "i id, t name, b config") if modern else [],
                fields=_rows(conn, "fields", "i ntid, i ord, t name") if modern else [],
                templates=_rows(conn, "templates", "i ntid, i ord, t name, b config") if modern else [],
                deck_rows=_rows(conn, "decks", "i id, t name") if "decks" in tables else [],
                notes=_rows(conn, "notes", "i id, t guid, i mid, t tags, t flds", "id"),
                cards=_rows(conn, "cards", f"i id, i nid, i did, i ord, i type, i queue, i due, i ivl, i factor, "
                                           f"i reps, i lapses, i {odue}, i {odid}, t {data}", "nid, ord"),
                revlog=_rows(conn, "revlog", "i id, i cid, i ease, i ivl, i lastIvl, i factor, i time, i type",
                             "id") if "revlog" in tables else [],
            )
    except sqlean.DatabaseError as exc:
        raise ValueError(f"{path.name} could not be read as an Anki collection: {exc}") from exc
