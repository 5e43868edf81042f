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


@contextlib.contextmanager
def _foreign(path: Path) -> Iterator:
    conn = sqlean.connect(f"file:{path}?mode=ro", uri=True)
    conn.create_collation("unicase", _unicase)
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
            ver, crt, models_json, decks_json = conn.execute("SELECT ver, crt, models, decks FROM col").fetchone()
            card_cols = {r[1] for r in conn.execute("PRAGMA table_info(cards)")}
            odue = "odue" if "odue" in card_cols else "0"
            odid = "odid" if "odid" in card_cols else "0"
            data = "data" if "data" in card_cols else "''"
            modern = "notetypes" in tables
            return AnkiCollectionRows(
                ver=int(ver), crt=int(crt or 0), models_json=models_json or "", decks_json=decks_json or "",
                notetypes=conn.execute("SELECT id, name, config FROM notetypes").fetchall() if modern else [],
                fields=conn.execute("SELECT ntid, ord, name FROM fields").fetchall() if modern else [],
                templates=conn.execute("SELECT ntid, ord, name, config FROM templates").fetchall() if modern else [],
                deck_rows=conn.execute("SELECT id, name FROM decks").fetchall() if "decks" in tables else [],
                notes=conn.execute("SELECT id, guid, mid, tags, flds FROM notes ORDER BY id").fetchall(),
                cards=conn.execute(f"SELECT id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, {odue}, "
                                   f"{odid}, {data} FROM cards ORDER BY nid, ord").fetchall(),
                revlog=conn.execute("SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog "
                                    "ORDER BY id").fetchall() if "revlog" in tables else [],
            )
    except sqlean.DatabaseError as exc:
        raise ValueError(f"{path.name} could not be read as an Anki collection: {exc}") from exc
