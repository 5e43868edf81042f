"""Anki interop: import .apkg/.colpkg/.anki2 (notes, cards, media, scheduling where it maps); export .apkg.

Scheduling on import: a review card (type 2, interval > 0) becomes an FSRS review card due on its Anki day,
with Anki's own FSRS memory state (cards.data "s"/"d") when it has one, else stability = interval in days
(at 90% retention FSRS's next interval is about the stability, so the schedule carries on) and a difficulty
read from the ease factor (250% → 5, 130% → ~10, 350% → 1). A relearning card stays relearning and is due
at once. New cards keep their order. Learning cards start again as new: Anki's learning steps are not ours,
and a few minutes of steps is all that is lost. Suspended stays suspended. The revlog is copied into our
append-only review log (uuid derived from the Anki rows, so importing again adds nothing).

Re-import matches cards by (note GUID, template ordinal): content is updated in place, scheduling done here
is kept. Media go to <profile>/media/anki/<deck uuid>/ (Deck.media_dir); each note type's fields and
templates are kept beside them in notetypes.json so an export rebuilds the same note types.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import json
import re
import shutil
import tempfile
import uuid as uuidlib
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.jobs import JobContext, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.storage import cards_repo

SUFFIXES = (".apkg", ".colpkg", ".anki2", ".anki21", ".anki21b")
NOTETYPES_FILE = "notetypes.json"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LATEST_PACKAGE = 3  # PackageMetadata.Version: collection.anki21b, zstd media, protobuf media list
REVLOG_NS = uuidlib.UUID("6c1f0b1e-8f53-4d0a-9a43-0b3f3f1e2a71")
CLOZE = re.compile(r"\{\{c(\d+)::((?:(?!\{\{c\d+::).)*?)(?:::((?:(?!\{\{c\d+::).)*?))?\}\}", re.DOTALL)
TAG = re.compile(r"\{\{([#^/]?)\s*([^{}]+?)\s*\}\}")
ANSWER_RULE = re.compile(r"<hr[^>]*id\s*=\s*[\"']?answer[\"']?[^>]*>", re.IGNORECASE)
MEDIA_REF = re.compile(r"""\[sound:(.+?)\]|<(?:img|audio|video|source)\b[^>]*?\bsrc\s*=\s*["']?([^"' >]+)""",
                       re.IGNORECASE)
HTML_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Template:
    """One card template of a note type."""

    name: str
    qfmt: str
    afmt: str


@dataclass(frozen=True)
class NoteType:
    """An Anki note type: its fields and templates."""

    id: int
    name: str
    cloze: bool
    fields: list[str]
    templates: list[Template]
    css: str = ""


@dataclass
class ImportResult:
    """What an import brought in."""

    path: str
    format: str
    decks: list[str] = field(default_factory=list)
    deck_ids: list[int] = field(default_factory=list)
    notes: int = 0
    cards: int = 0
    cards_added: int = 0
    cards_updated: int = 0
    media: int = 0
    review_logs: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: str
    notes: int
    cards: int
    media: int


# -- protobuf messages of the modern format (only the fields we read) ----------------------------------------
_MESSAGES: dict[str, type] = {}


def _message(name: str):
    """A protobuf class for the few Anki messages we decode, built from a descriptor at first use."""
    if not _MESSAGES:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

        fdp = descriptor_pb2.FileDescriptorProto(name="lmgpa_anki_subset.proto", package="lmgpa_anki",
                                                 syntax="proto3")
        t = descriptor_pb2.FieldDescriptorProto
        specs = {
            "PackageMetadata": [("version", 1, t.TYPE_INT32, t.LABEL_OPTIONAL, None)],
            "MediaEntry": [("name", 1, t.TYPE_STRING, t.LABEL_OPTIONAL, None),
                           ("size", 2, t.TYPE_UINT32, t.LABEL_OPTIONAL, None),
                           ("sha1", 3, t.TYPE_BYTES, t.LABEL_OPTIONAL, None),
                           ("legacy_zip_filename", 255, t.TYPE_UINT32, t.LABEL_OPTIONAL, None)],
            "MediaEntries": [("entries", 1, t.TYPE_MESSAGE, t.LABEL_REPEATED, ".lmgpa_anki.MediaEntry")],
            "NotetypeConfig": [("kind", 1, t.TYPE_INT32, t.LABEL_OPTIONAL, None),
                               ("css", 3, t.TYPE_STRING, t.LABEL_OPTIONAL, None)],
            "TemplateConfig": [("q_format", 1, t.TYPE_STRING, t.LABEL_OPTIONAL, None),
                               ("a_format", 2, t.TYPE_STRING, t.LABEL_OPTIONAL, None)],
        }
        for message_name, fields in specs.items():
            msg = fdp.message_type.add(name=message_name)
            for fname, number, ftype, label, type_name in fields:
                f = msg.field.add(name=fname, number=number, type=ftype, label=label)
                if type_name:
                    f.type_name = type_name
        pool = descriptor_pool.DescriptorPool()
        pool.Add(fdp)
        for message_name in specs:
            _MESSAGES[message_name] = message_factory.GetMessageClass(
                pool.FindMessageTypeByName(f"lmgpa_anki.{message_name}"))
    return _MESSAGES[name]


def _decode(name: str, data: bytes):
    msg = _message(name)()
    msg.ParseFromString(data or b"")
    return msg


def _unzstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()


# -- reading packages ----------------------------------------------------------------------------------------
@dataclass
class _Package:
    collection: Path
    version: int
    media: dict[str, str]  # zip member -> file name
    zip: zipfile.ZipFile | None
    kind: str

    def media_bytes(self, member: str) -> bytes:
        data = self.zip.read(member)
        if self.version >= LATEST_PACKAGE and data[:4] == ZSTD_MAGIC:
            data = _unzstd(data)
        return data


@contextlib.contextmanager
def _open_package(path: Path) -> Iterator[_Package]:
    """Unpack the collection of an .apkg/.colpkg (or take a bare collection file) into a temporary folder."""
    path = Path(path)
    if not path.is_file():
        raise JobError(f"{path} does not exist")
    with open(path, "rb") as f:
        head = f.read(16)
    with tempfile.TemporaryDirectory(prefix="lmgpa-anki-") as tmp:
        if head == SQLITE_MAGIC:
            yield _Package(path, 1, {}, None, "collection")
            return
        if not zipfile.is_zipfile(path):
            raise JobError(f"{path.name} is not an Anki package (.apkg, .colpkg) or collection (.anki2); Anki 1 "
                           "decks (.anki) must be opened in Anki 2 or later and exported again")
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            version = _decode("PackageMetadata", z.read("meta")).version if "meta" in names else 0
            for member, needed in (("collection.anki21b", LATEST_PACKAGE), ("collection.anki21", 0),
                                   ("collection.anki2", 0)):
                if member in names and version >= needed:
                    break
            else:
                raise JobError(f"{path.name} has no Anki collection inside (found: {', '.join(sorted(names))})")
            version = version or (2 if member == "collection.anki21" else 1)
            target = Path(tmp) / "collection.sqlite"
            with z.open(member) as src, open(target, "wb") as dst:
                if member.endswith("b"):
                    import zstandard

                    zstandard.ZstdDecompressor().copy_stream(src, dst)
                else:
                    shutil.copyfileobj(src, dst)
            media: dict[str, str] = {}
            if "media" in names:
                raw = z.read("media")
                if version >= LATEST_PACKAGE:
                    entries = _decode("MediaEntries", _unzstd(raw)).entries
                    for index, entry in enumerate(entries):
                        member_name = str(entry.legacy_zip_filename if entry.HasField("legacy_zip_filename")
                                          else index)
                        media[member_name] = entry.name
                elif raw.strip():
                    media = {str(k): str(v) for k, v in json.loads(raw.decode("utf-8")).items()}
            media = {k: v for k, v in media.items() if k in names}
            kind = "colpkg" if path.suffix.lower() == ".colpkg" else "apkg"
            yield _Package(target, version, media, z, kind)


def _note_types(rows: cards_repo.AnkiCollectionRows) -> dict[int, NoteType]:
    """Note types from col.models (schema 11 and older) or the notetypes tables (schema 15 and newer)."""
    out: dict[int, NoteType] = {}
    if rows.notetypes:
        fields: dict[int, list[tuple[int, str]]] = {}
        for ntid, ordinal, name in rows.fields:
            fields.setdefault(ntid, []).append((ordinal, name))
        templates: dict[int, list[tuple[int, Template]]] = {}
        for ntid, ordinal, name, config in rows.templates:
            cfg = _decode("TemplateConfig", config)
            templates.setdefault(ntid, []).append((ordinal, Template(name, cfg.q_format, cfg.a_format)))
        for ntid, name, config in rows.notetypes:
            cfg = _decode("NotetypeConfig", config)
            out[ntid] = NoteType(ntid, name, cfg.kind == 1, [n for _, n in sorted(fields.get(ntid, []))],
                                 [t for _, t in sorted(templates.get(ntid, []), key=lambda x: x[0])], cfg.css)
    elif rows.models_json.strip():
        for key, model in json.loads(rows.models_json).items():
            tmpls = sorted(model.get("tmpls", []), key=lambda t: t.get("ord", 0))
            css = model.get("css") or (tmpls[0].get("css", "") if tmpls else "")
            out[int(key)] = NoteType(int(key), model.get("name", "?"), bool(model.get("type") == 1 or
                                                                             model.get("cloze")),
                                     [f["name"] for f in sorted(model.get("flds", []), key=lambda f: f.get("ord", 0))],
                                     [Template(t.get("name", ""), t.get("qfmt", ""), t.get("afmt", "")) for t in tmpls],
                                     css)
    return out


def _deck_names(rows: cards_repo.AnkiCollectionRows) -> dict[int, str]:
    if rows.deck_rows:
        return {int(i): name.replace("\x1f", "::") for i, name in rows.deck_rows}
    if rows.decks_json.strip():
        return {int(k): v.get("name", "Default") for k, v in json.loads(rows.decks_json).items()}
    return {}


# -- rendering templates -------------------------------------------------------------------------------------
def render_cloze(text: str, ordinal: int, answer: bool) -> str:
    """Cloze text for card `ordinal` (0-based): its deletions hidden (question) or marked (answer)."""
    active = ordinal + 1

    def one(m: re.Match) -> str:
        if int(m.group(1)) != active:
            return m.group(2)
        if answer:
            return f'<span class="cloze">{m.group(2)}</span>'
        return f'<span class="cloze">[{m.group(3) or "..."}]</span>'

    previous = None
    while previous != text:  # innermost deletions first, so nested ones come out right
        previous, text = text, CLOZE.sub(one, text)
    return text


def _cloze_only(text: str, ordinal: int) -> str:
    return ", ".join(m.group(2) for m in CLOZE.finditer(text) if int(m.group(1)) == ordinal + 1)


def _apply(name: str, values: dict[str, str], ordinal: int, answer: bool) -> str:
    """One {{filter:...:Field}} replacement."""
    parts = [p.strip() for p in name.split(":")]
    field_name, filters = parts[-1], parts[:-1]
    if len(parts) == 3 and parts[0] == "cloze" and parts[1].isdigit():  # Anki 2.0 alpha: {{cloze:1:Text}}
        filters, ordinal = ["cloze"], int(parts[1]) - 1
    value = values.get(field_name, "")
    for f in reversed(filters):
        if f == "cloze":
            value = render_cloze(value, ordinal, answer)
        elif f == "cloze-only":
            value = _cloze_only(value, ordinal)
        elif f == "text":
            value = html.unescape(HTML_TAG.sub("", value))
        elif f in ("type", "tts") or f.startswith("tts "):
            value = ""  # typing the answer and text-to-speech are Anki's own widgets
    return value


def render_template(fmt: str, values: dict[str, str], ordinal: int, answer: bool) -> str:
    """Render an Anki card template: fields, filters, {{#Field}}/{{^Field}} sections."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # open sections and whether the enclosing output is shown
    showing = True
    pos = 0
    for m in TAG.finditer(fmt):
        if showing:
            out.append(fmt[pos:m.start()])
        pos = m.end()
        sigil, name = m.group(1), m.group(2)
        if sigil in ("#", "^"):
            present = bool(HTML_TAG.sub("", values.get(name, "")).strip())
            stack.append((name, showing))
            showing = showing and (present if sigil == "#" else not present)
        elif sigil == "/":
            while stack:
                opened, was = stack.pop()
                showing = was
                if opened == name:
                    break
        elif showing:
            out.append(_apply(name, values, ordinal, answer))
    if showing:
        out.append(fmt[pos:])
    return "".join(out).strip()


def render_card(note_type: NoteType, values: dict[str, str], ordinal: int) -> tuple[str, str]:
    """Question and answer HTML of card `ordinal`; the answer starts after the question (Anki's answer rule)."""
    template = note_type.templates[0 if note_type.cloze else ordinal]
    question = render_template(template.qfmt, values, ordinal, answer=False)
    full = render_template(template.afmt, {**values, "FrontSide": ""}, ordinal, answer=True)
    parts = ANSWER_RULE.split(full, maxsplit=1)
    return question, (parts[1] if len(parts) == 2 else full).strip()


def _named(nt: NoteType, values: list[str], tags: str, deck_name: str, ordinal: int) -> dict[str, str]:
    """Field values by name plus Anki's special fields."""
    named = dict(zip(nt.fields, values, strict=False))
    named.update(Tags=" ".join(tags.split()), Type=nt.name, Deck=deck_name, Subdeck=deck_name.split("::")[-1],
                 Card=nt.templates[0 if nt.cloze else ordinal].name, CardFlag="")
    return named


def update_note(ctx, card_id: int, values: list[str], tags: str) -> int:
    """Change an imported note's fields and tags; each of its cards is rendered again. Returns how many cards."""
    card = cards_repo.get_card(ctx.db, card_id)
    if card is None or card.anki_fields is None or not card.anki_guid:
        raise UserError("only a card imported from Anki has note fields")
    names = [n for n, _ in card.anki_fields]
    if len(values) != len(names):
        raise ValueError(f"this note has {len(names)} fields, not {len(values)}")
    deck = cards_repo.get_deck(ctx.db, card.deck_id)
    nt = load_note_types(deck.media_dir if deck else None).get(card.anki_model or "")
    fields = [[n, v] for n, v in zip(names, values, strict=True)]
    siblings = cards_repo.cards_by_guid(ctx.db, card.anki_guid)
    for sibling in siblings:
        ordinal = sibling.anki_ord or 0
        if nt is not None and nt.fields == names and nt.templates and (nt.cloze or ordinal < len(nt.templates)):
            front, back = render_card(nt, _named(nt, values, tags, deck.name if deck else "", ordinal), ordinal)
        else:  # note type not kept: the first field asks, the others answer
            front, back = values[0], "<br>".join(v for v in values[1:] if v.strip())
        cards_repo.update_card(ctx.db, sibling.id, front=front, back=back, anki_fields=fields, tags=tags)
    return len(siblings)


# -- scheduling ----------------------------------------------------------------------------------------------
def _difficulty_from_ease(factor: int) -> float:
    """FSRS difficulty (1-10) from an SM-2 ease factor in permille."""
    if not factor:
        return 5.0
    return round(min(10.0, max(1.0, 5.0 + (2.5 - factor / 1000) * 4.0)), 3)


def _schedule(card_row: tuple, crt: int, last_reviews: dict[int, datetime], schema: int, now: datetime) -> dict:
    """Our FSRS fields for an Anki card (see the module docstring)."""
    cid, _nid, _did, _ord, ctype, queue, due, ivl, factor, _reps, _lapses, odue, odid, data = card_row
    fields: dict = {"suspended": queue == -1, "state": 0}
    try:
        memory = json.loads(data) if data else {}
    except (TypeError, ValueError):
        memory = {}
    if schema < 11:
        return fields  # Anki 2.0 alpha scheduling is too different to carry over
    day = odue if odid and odue else due
    if ctype == 2 and ivl > 0:
        due_at = datetime.fromtimestamp(crt, UTC) + timedelta(days=day)
        last = last_reviews.get(cid) or due_at - timedelta(days=ivl)
        fields.update(state=2, step=None, due=due_at, last_review=last,
                      stability=float(memory.get("s") or ivl), difficulty=float(memory.get("d") or
                                                                               _difficulty_from_ease(factor)))
    elif ctype == 3:
        fields.update(state=3, step=0, due=now, last_review=last_reviews.get(cid) or now,
                      stability=float(memory.get("s") or max(ivl, 1)),
                      difficulty=float(memory.get("d") or _difficulty_from_ease(factor)))
    return fields


# -- import --------------------------------------------------------------------------------------------------
def _safe_name(name: str) -> str | None:
    """A media file name without any folder part (a package must not write outside the media folder)."""
    base = Path(name.replace("\\", "/")).name
    return base if base and base not in (".", "..") and not base.startswith(".") else None


def _media_dir(ctx, deck) -> Path:
    folder = Path(deck.media_dir) if deck.media_dir else ctx.home / "media" / "anki" / deck.uuid
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _save_note_types(folder: Path, types: list[NoteType]) -> None:
    path = folder / NOTETYPES_FILE
    known = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    for nt in types:
        known[nt.name] = asdict(nt)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(known, ensure_ascii=False, indent=1), "utf-8")
    tmp.replace(path)


def load_note_types(folder: str | Path | None) -> dict[str, NoteType]:
    """Note types kept beside a deck's media by earlier imports, by name."""
    path = Path(folder) / NOTETYPES_FILE if folder else None
    if not path or not path.is_file():
        return {}
    out = {}
    for name, d in json.loads(path.read_text("utf-8")).items():
        out[name] = NoteType(d["id"], d["name"], d["cloze"], d["fields"], [Template(**t) for t in d["templates"]],
                             d.get("css", ""))
    return out


def import_package(ctx, path: Path) -> Generator[Progress, None, ImportResult]:
    """Import an Anki package or collection file into decks and cards, yielding progress."""
    path = Path(path)
    now = datetime.now(UTC)
    try:
        with _open_package(path) as pkg:
            yield Progress(0, 4, f"reading {path.name}")
            rows = cards_repo.read_anki_collection(pkg.collection)
            result = yield from _import_rows(ctx, path, pkg, rows, now)
            return result
    except (ValueError, zipfile.BadZipFile, KeyError) as exc:
        raise JobError(f"{path.name}: {exc}") from exc


def _import_rows(ctx, path: Path, pkg: _Package, rows, now: datetime) -> Generator[Progress, None, ImportResult]:
    result = ImportResult(str(path), f"{pkg.kind} (schema {rows.ver})")
    types = _note_types(rows)
    deck_names = _deck_names(rows)
    notes = {nid: (guid, mid, tags, flds.split("\x1f")) for nid, guid, mid, tags, flds in rows.notes}
    last_reviews: dict[int, datetime] = {}
    for rid, cid, *_rest in rows.revlog:
        last_reviews[cid] = datetime.fromtimestamp(rid / 1000, UTC)
    # Cards per target deck, in Anki's new-card order so positions keep it.
    by_deck: dict[str, list[dict]] = {}
    anki_card_of: dict[int, tuple[str, int]] = {}
    used_types: dict[str, NoteType] = {}
    new_order = sorted(rows.cards, key=lambda c: (c[4] != 0, c[6] if c[4] == 0 else 0, c[1], c[3]))
    for card_row in new_order:
        cid, nid, did, ordinal, *_ = card_row
        odid = card_row[12]
        note = notes.get(nid)
        nt = types.get(note[1]) if note else None
        if note is None or nt is None or not nt.templates or (not nt.cloze and ordinal >= len(nt.templates)):
            result.skipped += 1
            continue
        guid, _mid, tags, values = note
        values = (values + [""] * len(nt.fields))[:max(len(nt.fields), len(values))]
        deck_name = deck_names.get(odid or did) or deck_names.get(did) or "Default"
        front, back = render_card(nt, _named(nt, values, tags, deck_name, ordinal), ordinal)
        row = {"anki_guid": guid, "anki_ord": ordinal, "anki_model": nt.name, "kind": "cloze" if nt.cloze else "basic",
               "anki_fields": [[n, v] for n, v in zip(nt.fields, values, strict=False)], "front": front,
               "back": back, "tags": tags}
        row.update(_schedule(card_row, rows.crt, last_reviews, rows.ver, now))
        by_deck.setdefault(deck_name, []).append(row)
        anki_card_of[cid] = (guid, ordinal)
        used_types[nt.name] = nt
    result.notes = len({r["anki_guid"] for rs in by_deck.values() for r in rs})
    result.cards = sum(len(rs) for rs in by_deck.values())
    yield Progress(1, 4, f"{result.notes} notes, {result.cards} cards")

    ids: dict[tuple[str, int], int] = {}
    folders: list[Path] = []
    for deck_name, cards in by_deck.items():
        deck = cards_repo.deck_named(ctx.db, deck_name)
        anki_id = next((i for i, n in deck_names.items() if n == deck_name), None)
        if deck is None:
            deck = cards_repo.create_deck(ctx.db, deck_name, anki_deck_id=anki_id)
        folder = _media_dir(ctx, deck)
        if deck.media_dir != str(folder):
            deck = cards_repo.update_deck(ctx.db, deck.id, media_dir=str(folder))
        folders.append(folder)
        for card in cards:
            card["deck_id"] = deck.id
        added, updated, deck_ids = cards_repo.import_notes(ctx.db, cards)
        ids.update(deck_ids)
        result.cards_added += added
        result.cards_updated += updated
        result.decks.append(deck_name)
        result.deck_ids.append(deck.id)
    yield Progress(2, 4, f"{result.cards_added} cards added, {result.cards_updated} updated")

    result.media = _copy_media(pkg, folders)
    for folder in folders:
        _save_note_types(folder, list(used_types.values()))
    yield Progress(3, 4, f"{result.media} media files")

    logs = []
    first_seen: set[int] = set()
    for rid, cid, ease, _ivl, _last_ivl, _factor, taken, rtype in rows.revlog:
        key = anki_card_of.get(cid)
        if key is None or key not in ids or not 1 <= ease <= 4 or rtype not in (0, 1, 2, 3):
            continue
        state_before = {0: 0 if cid not in first_seen else 1, 1: 2, 2: 3, 3: 2}[rtype]
        first_seen.add(cid)
        logs.append({"uuid": str(uuidlib.uuid5(REVLOG_NS, f"{key[0]}:{key[1]}:{rid}")), "card_id": ids[key],
                     "rating": ease, "reviewed_at": datetime.fromtimestamp(rid / 1000, UTC),
                     "duration_ms": int(taken) if taken else None, "state_before": state_before,
                     "stability_after": None, "difficulty_after": None, "due_after": None})
    result.review_logs = cards_repo.append_review_logs(ctx.db, logs)
    yield Progress(4, 4, f"imported {result.notes} notes into {', '.join(result.decks) or 'no deck'}")
    return result


def _copy_media(pkg: _Package, folders: list[Path]) -> int:
    """Write the package's media files into each target deck's folder; returns how many files."""
    count = 0
    if pkg.zip is None or not folders:
        return 0
    for member, name in pkg.media.items():
        safe = _safe_name(name)
        if safe is None:
            continue
        data = pkg.media_bytes(member)
        for folder in folders:
            target = folder / safe
            if not target.is_file() or target.read_bytes() != data:
                target.write_bytes(data)
        count += 1
    return count


def import_file(ctx, path: Path) -> ImportResult:
    """Import without a job (the generator run to its end)."""
    gen = import_package(ctx, path)
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def check_importable(path: Path) -> None:
    """Refuse files that are plainly not Anki packages, before queuing a job."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} does not exist")
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"{path.name} is not an Anki file ({', '.join(SUFFIXES)})")


@job_kind("deck.import", queue="default")
def import_job(job: JobContext, payload: dict) -> Generator[Progress, None, dict]:
    """Job: import an Anki file given as payload["path"]."""
    result = yield from import_package(job.services, Path(payload["path"]))
    return asdict(result)


# -- export --------------------------------------------------------------------------------------------------
def _stable_id(text: str) -> int:
    """A positive id Anki accepts, the same for the same text."""
    return (1 << 30) + int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % (1 << 30)


def _model_for(nt: NoteType | None, model_name: str, field_names: list[str]):
    import genanki

    if nt is not None and nt.fields == field_names and nt.templates:
        return genanki.Model(nt.id, nt.name, fields=[{"name": f} for f in nt.fields],
                             templates=[{"name": t.name, "qfmt": t.qfmt, "afmt": t.afmt} for t in nt.templates],
                             css=nt.css, model_type=genanki.Model.CLOZE if nt.cloze else genanki.Model.FRONT_BACK)
    # Note type unknown (its templates were not kept): first field asks, the others answer.
    rest = "<br>".join(f"{{{{{f}}}}}" for f in field_names[1:])
    cloze = "cloze" in model_name.lower() and field_names[:1] == ["Text"]
    qfmt = f"{{{{cloze:{field_names[0]}}}}}" if cloze else f"{{{{{field_names[0]}}}}}"
    afmt = (f"{{{{cloze:{field_names[0]}}}}}<br>{rest}" if cloze else f"{{{{FrontSide}}}}<hr id=answer>{rest}")
    return genanki.Model(_stable_id("\x1f".join([model_name, *field_names])), model_name,
                         fields=[{"name": f} for f in field_names], templates=[{"name": "Card 1", "qfmt": qfmt,
                                                                               "afmt": afmt}],
                         model_type=genanki.Model.CLOZE if cloze else genanki.Model.FRONT_BACK)


def _media_refs(text: str) -> set[str]:
    return {html.unescape(a or b) for a, b in MEDIA_REF.findall(text)}


def export_deck(ctx, deck_id: int, path: Path) -> ExportResult:
    """Write one deck as an .apkg that Anki opens: Anki notes with their own note types, ours as Basic/Cloze."""
    import genanki

    deck = cards_repo.get_deck(ctx.db, deck_id)
    if deck is None or deck.deleted_at is not None:
        raise JobError(f"there is no deck {deck_id}")
    path = Path(path)
    if path.suffix.lower() != ".apkg":
        path = path.with_suffix(".apkg")
    cards = cards_repo.cards_of_deck(ctx.db, deck_id)
    known = load_note_types(deck.media_dir)
    out = genanki.Deck(deck.anki_deck_id or _stable_id(deck.uuid), deck.name)
    models: dict[tuple, object] = {}
    seen: set[str] = set()
    refs: set[str] = set()
    for card in cards:
        if card.anki_fields is not None and card.anki_guid:
            if card.anki_guid in seen:
                continue  # one note per GUID; Anki makes its cards from the note type
            seen.add(card.anki_guid)
            names = [n for n, _ in card.anki_fields]
            values = [v for _, v in card.anki_fields]
            key = (card.anki_model, tuple(names))
            if key not in models:
                models[key] = _model_for(known.get(card.anki_model or ""), card.anki_model or "Imported", names)
            model = models[key]
        elif card.kind == "cloze":
            model, values = genanki.CLOZE_MODEL, [card.front, card.back]
        else:
            model, values = genanki.BASIC_MODEL, [card.front, card.back]
        refs.update(r for v in values for r in _media_refs(v))
        guid = card.anki_guid or card.uuid  # our uuid as GUID: importing the file here again updates, not adds
        out.add_note(genanki.Note(model=model, fields=values, guid=guid, tags=card.tags.split()))
    media: list[str] = []
    if deck.media_dir and Path(deck.media_dir).is_dir():
        folder = Path(deck.media_dir)
        wanted = {_safe_name(r) for r in refs} | {p.name for p in folder.iterdir() if p.name.startswith("_")}
        media = sorted(str(folder / n) for n in wanted if n and n != NOTETYPES_FILE and (folder / n).is_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    genanki.Package(out, media_files=media).write_to_file(str(tmp))
    tmp.replace(path)
    return ExportResult(str(path), len(out.notes), len(cards), len(media))


@job_kind("deck.export", queue="default")
def export_job(job: JobContext, payload: dict) -> Generator[Progress, None, dict]:
    """Job: export payload["deck_id"] to payload["path"]."""
    yield Progress(0, 1, "writing the package")
    result = export_deck(job.services, int(payload["deck_id"]), Path(payload["path"]))
    yield Progress(1, 1, f"exported {result.notes} notes")
    return asdict(result)
