"""Local row ids inside synced values (JSON paths, activity refs): the table each names, sent as that row's uuid
and turned back into this device's id on arrival."""

# Row ids differ between devices, so a note's cited source, a test's sources, a chat's scope and citations and
# the card an activity event was about travel as the uuid of the row they name (the capture triggers keep local
# ids; the outbox read rewrites them, so a change captured before this code existed is sent right too).
# Leaving: an id whose row is gone, or never synced (soft-deleted before sync was set up: it has no sync_clock
# entry, so no device will ever have it), travels as null. Arriving: a uuid whose row is not here yet keeps the
# whole message deferred like a missing parent: the row it names was captured before the reference (it existed
# when it was cited), so it is already on its way, and deferring keeps the reference instead of losing it for
# good; a uuid whose row was deleted here (its tombstone clock is known) becomes null; an integer (a local id
# of another device, which only an older version sends) becomes null. A null inside a list of ids is dropped.

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text

from lmgpa_desktop.storage.sync.spec import TOMBSTONE

EACH = "*"  # a path step: every element of a list


@dataclass(frozen=True)
class IdAt:
    """Where ids sit in a JSON value and which table they name."""

    path: tuple[str, ...]  # keys from the top; EACH = every element of a list
    table: str | None  # None: a table that does not sync (chunks are rebuilt per device): always sent as null


SOURCES_IN_LIST = IdAt((EACH, "source_id"), "sources")

# table -> JSON column -> the ids inside it (shapes: core/study/notes.py, items/note_drafts.py, chat/check.py,
# chat/conversations.py, core/activity.py KINDS)
JSON_IDS: dict[str, dict[str, tuple[IdAt, ...]]] = {
    "notes": {"source_refs": (SOURCES_IN_LIST,)},  # [{"source_id", "page_no", "start_s", ...}]
    "practice_tests": {"source_ids": (IdAt((EACH,), "sources"),)},  # [source id, ...]
    "conversations": {"scope": (IdAt(("source_id",), "sources"), IdAt(("course_id",), "courses"))},
    "chat_messages": {"citations": (SOURCES_IN_LIST, IdAt((EACH, "chunk_id"), None))},
    "activity_events": {"details": (IdAt(("deck_id",), "decks"), IdAt(("test_id",), "practice_tests"))},
}

# activity_events.ref_id names a row of a table that depends on the event's kind (core/activity.py KINDS; a
# test checks they match). A kind not listed, or listed with None, sends its ref_id as null.
REF_KIND = "kind"
REF_ID_TABLE: dict[str, str | None] = {
    "review": "cards", "review_undo": "cards", "test": "test_attempts", "recording": "sources",
    "chat": "conversations", "note": "notes", "accept": "notes", "import": "sources", "reading": "sources",
    "focus": None,
}
ACTIVITY = "activity_events"
REF_ID = "ref_id"

TABLES = frozenset({*JSON_IDS, ACTIVITY})
NAMED_TABLES = frozenset({i.table for cols in JSON_IDS.values() for ids in cols.values() for i in ids
                          if i.table} | {t for t in REF_ID_TABLE.values() if t})


class Missing(Exception):
    """A uuid names a row that has not arrived yet."""


Convert = Callable[[str | None, object], object]  # (table, value) -> value; None: gone; raises Missing


# -- rewriting values, whatever the conversion -------------------------------------------------------------------
def _walk(node, path: tuple[str, ...], table: str | None, convert: Convert):
    """node with the ids at path converted (a new object where something changed)."""
    if not path:
        return convert(table, node)
    step, rest = path[0], path[1:]
    if step == EACH:
        if not isinstance(node, list):
            return node
        out = [_walk(item, rest, table, convert) for item in node]
        return [v for v in out if v is not None] if not rest else out  # a plain id list drops the gone ones
    if not isinstance(node, dict) or node.get(step) is None:
        return node
    return {**node, step: _walk(node[step], rest, table, convert)}


def _json_value(raw, ids: tuple[IdAt, ...], convert: Convert):
    """A stored JSON column value (its JSON text) with its ids converted; the raw value when nothing changed."""
    if not isinstance(raw, str):
        return raw  # NULL, or a scalar stored as a number: no ids inside
    keys = [at.path[-1] for at in ids]
    if EACH not in keys and not any(f'"{k}"' in raw for k in keys):
        return raw  # none of the keys: most activity details (ratings, scores) are passed over unparsed
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    new = data
    for at in ids:
        new = _walk(new, at.path, at.table, convert)
    return raw if new == data else json.dumps(new)


def rewrite(table: str, fields: dict, convert: Convert, kind: str | None = None) -> dict:
    """fields with every id they hold converted; kind: the activity kind when fields do not carry it."""
    if table not in TABLES:
        return fields
    out = dict(fields)
    for column, ids in JSON_IDS.get(table, {}).items():
        if column in out:
            out[column] = _json_value(out[column], ids, convert)
    if table == ACTIVITY and out.get(REF_ID) is not None:
        target = REF_ID_TABLE.get(out.get(REF_KIND, kind))
        out[REF_ID] = convert(target, out[REF_ID]) if target else None
    return out


def _needs_kind(table: str, fields: dict) -> bool:
    return table == ACTIVITY and fields.get(REF_ID) is not None and REF_KIND not in fields


def _kind_of(s, row: str) -> str | None:
    return s.execute(text(f"SELECT kind FROM {ACTIVITY} WHERE uuid = :u"), {"u": row}).scalar()


# -- leaving: local ids -> uuids -----------------------------------------------------------------------------------
class Leaving:
    """Converts local ids to uuids for one outbox read (one session; each row looked up once)."""

    def __init__(self, s):
        self.s = s
        self.known: dict[tuple[str, int], str | None] = {}

    def __call__(self, table: str | None, value):
        if table is None or isinstance(value, bool):
            return None
        try:
            local = int(value)
        except (TypeError, ValueError):
            return None
        key = (table, local)
        if key not in self.known:
            # only a row that has been on the wire (it has a sync clock) can be found by the other devices
            self.known[key] = self.s.execute(text(
                f"SELECT t.uuid FROM {table} t WHERE t.rowid = :i AND EXISTS "
                "(SELECT 1 FROM sync_clock c WHERE c.tbl = :t AND c.row_uuid = t.uuid)"),
                {"i": local, "t": table}).scalar()
        return self.known[key]

    def fields(self, table: str, row: str, fields: dict) -> dict:
        """An outgoing message's fields with uuids in place of local ids."""
        if table not in TABLES:
            return fields
        kind = _kind_of(self.s, row) if _needs_kind(table, fields) else None
        return rewrite(table, fields, self, kind)


# -- arriving: uuids -> local ids -----------------------------------------------------------------------------------
def arriving(s, table: str, row: str, fields: dict) -> dict | None:
    """A received message's fields with this device's ids in place of uuids; None when a named row is not here yet
    (the message waits like one whose parent has not arrived)."""
    if table not in TABLES:
        return fields

    def convert(target: str | None, value):
        if target is None or not isinstance(value, str):
            return None
        found = s.execute(text(f"SELECT rowid FROM {target} WHERE uuid = :u"), {"u": value}).scalar()
        if found is not None:
            return found
        gone = s.execute(text("SELECT 1 FROM sync_clock WHERE tbl = :t AND row_uuid = :u AND field = :f"),
                         {"t": target, "u": value, "f": TOMBSTONE}).scalar()
        if gone:
            return None
        raise Missing(f"{target} {value}")

    kind = _kind_of(s, row) if _needs_kind(table, fields) else None
    try:
        return rewrite(table, fields, convert, kind)
    except Missing:
        return None
