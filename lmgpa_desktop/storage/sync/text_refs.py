"""Source links inside synced texts (a note's `lmgpa://source/<id>` links): sent naming the source's uuid and turned
back into this device's id on arrival."""

# A note's Markdown links its sources by local row id (core/study/items/source_locations.link), and notes.edit
# rebuilds the note's source_refs from those links, so on another device the id would name another source. Like
# json_refs (ids inside JSON values), the capture triggers keep local ids and the outbox read writes each link's
# id as the source's uuid. Arriving, a uuid whose source is here becomes its local id; one that is not here (not
# arrived yet, or deleted) STAYS a uuid link: the text is the student's, so nothing waits or is dropped for it,
# and the page that opens the link says the source is not on this computer yet (core resolves the uuid then, or
# when the note is next edited, if the source has arrived meanwhile). A number that arrives (an id of the sending
# device, which only an older version sends) and a link to a source no other device will ever have (gone, or
# never synced) become NOWHERE, which names no source, so no link ever opens another source than the one cited.
# Applying translates incoming texts before the per-field comparison, so conflict detection compares two texts
# in this device's form.

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import text

SOURCES = "sources"
NOWHERE = "00000000-0000-0000-0000-000000000000"  # the nil uuid: a source no device has
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# the id of a source link: digits (this device's id) or a uuid; the query (?page=, ?t=) after it is kept as it is
LINK = re.compile(rf"(lmgpa://source/)(\d+|{_UUID})(?![\w-])")
MARK = "lmgpa://source/"  # texts without it are passed over unparsed (almost all of them)

# table -> synced text columns where a student's text may hold source links (notes link them; a link pasted into
# a card, a question's explanation or a chat message is the same link; a conflict copy keeps the lost text)
TEXT_LINKS: dict[str, tuple[str, ...]] = {
    "notes": ("body_md",),
    "cards": ("front", "back"),
    "questions": ("prompt", "answer", "explanation"),
    "chat_messages": ("content",),
    "sync_conflicts": ("lost_value",),
}


def is_uuid(key: str) -> bool:
    return not key.isdigit()


def replace_ids(value, convert: Callable[[str], str]):
    """value (a text, or anything else left alone) with each source link's id replaced by convert(id)."""
    if not isinstance(value, str) or MARK not in value:
        return value
    return LINK.sub(lambda m: m.group(1) + convert(m.group(2)), value)


def rewrite(table: str, fields: dict, convert: Callable[[str], str]) -> dict:
    """fields with the source links of their text columns converted (convert: link id -> new link id)."""
    columns = TEXT_LINKS.get(table)
    if not columns or not any(isinstance(fields.get(c), str) and MARK in fields[c] for c in columns):
        return fields
    return {k: replace_ids(v, convert) if k in columns else v for k, v in fields.items()}


# -- leaving: local ids -> uuids ---------------------------------------------------------------------------------
def leaving(uuid_of: Callable[[str, int], str | None], table: str, fields: dict) -> dict:
    """An outgoing message's fields with uuids in its source links; uuid_of(table, local id) is json_refs.Leaving
    (the source's uuid once it has been on the wire, else None)."""
    return rewrite(table, fields, lambda key: key if is_uuid(key) else (uuid_of(SOURCES, int(key)) or NOWHERE))


# -- arriving, and later: uuids -> local ids ---------------------------------------------------------------------
class _Local:
    """uuid -> this device's source id (as link text), each looked up once; unknown uuids stay."""

    def __init__(self, s):
        self.s = s
        self.known: dict[str, str] = {}

    def __call__(self, key: str) -> str:
        if key not in self.known:
            found = self.s.execute(text("SELECT rowid FROM sources WHERE uuid = :u"), {"u": key.lower()}).scalar()
            self.known[key] = str(found) if found is not None else key
        return self.known[key]


def arriving(s, table: str, fields: dict) -> dict:
    """A received message's fields with this device's source ids in links to sources here (others stay uuids;
    a bare number, another device's id, becomes NOWHERE)."""
    local = _Local(s)
    return rewrite(table, fields, lambda key: local(key) if is_uuid(key) else NOWHERE)


def names_by_uuid(value) -> bool:
    """Whether a text holds a source link that names its source by uuid (synced before the source was here)."""
    return isinstance(value, str) and MARK in value and any(is_uuid(m.group(2)) for m in LINK.finditer(value))


def localize(db, value: str) -> str:
    """A text here with its uuid links to sources that are here now turned into local ids (the rest unchanged)."""
    if not names_by_uuid(value):
        return value  # links by local id (nearly always): no lookup
    with db.read() as s:
        local = _Local(s)
        return replace_ids(value, lambda key: local(key) if is_uuid(key) else key)
