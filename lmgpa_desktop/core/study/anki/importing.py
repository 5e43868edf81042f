"""Anki import: .apkg/.colpkg/.anki2 files into decks and cards (notes, media, scheduling where it maps)."""

# Scheduling on import: a review card (type 2, interval > 0) becomes an FSRS review card due on its Anki day,
# with Anki's own FSRS memory state (cards.data "s"/"d") when it has one, else stability = interval in days
# (at 90% retention FSRS's next interval is about the stability, so the schedule carries on) and a difficulty
# read from the ease factor (250% → 5, 130% → ~10, 350% → 1). A relearning card stays relearning and is due
# at once. New cards keep their order. Learning cards start again as new: Anki's learning steps are not ours,
# and a few minutes of steps is all that is lost. Suspended stays suspended. The revlog is copied into our
# append-only review log (uuid derived from the Anki rows, so importing again adds nothing).
#
# Re-import matches cards by (note GUID, template ordinal): content is updated in place, scheduling done here
# is kept. Media go to <profile>/media/anki/<deck uuid>/ (Deck.media_dir); each note type's fields and
# templates are kept beside them in notetypes.json so an export rebuilds the same note types.

from __future__ import annotations

import filecmp
import json
import logging
import shutil
import uuid as uuidlib
import zipfile
from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.core.study.anki.note_types import (NoteType, Template, load_note_types, named_fields, render_card,
                                                  safe_name, save_note_types)
from lmgpa_desktop.core.study.anki.package import Package, decode, open_package
from lmgpa_desktop.storage import anki_file, cards_repo
from lmgpa_desktop.storage import review_logs_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)
# What reading rows of unexpected types or values raises (SQLite keeps any type in any column; json nests freely).
_MALFORMED = (TypeError, AttributeError, IndexError, OverflowError, RecursionError, UnicodeError)
SUFFIXES = (".apkg", ".colpkg", ".anki2", ".anki21", ".anki21b")
REVLOG_NS = uuidlib.UUID("6c1f0b1e-8f53-4d0a-9a43-0b3f3f1e2a71")


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


def _note_types(rows: anki_file.AnkiCollectionRows) -> dict[int, NoteType]:
    """Note types from col.models (schema 11 and older) or the notetypes tables (schema 15 and newer)."""
    out: dict[int, NoteType] = {}
    if rows.notetypes:
        fields: dict[int, list[tuple[int, str]]] = {}
        for ntid, ordinal, name in rows.fields:
            fields.setdefault(ntid, []).append((ordinal, name))
        templates: dict[int, list[tuple[int, Template]]] = {}
        for ntid, ordinal, name, config in rows.templates:
            cfg = decode("TemplateConfig", config)
            templates.setdefault(ntid, []).append((ordinal, Template(name, cfg.q_format, cfg.a_format)))
        for ntid, name, config in rows.notetypes:
            cfg = decode("NotetypeConfig", config)
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


def _deck_names(rows: anki_file.AnkiCollectionRows) -> dict[int, str]:
    if rows.deck_rows:
        return {int(i): name.replace("\x1f", "::") for i, name in rows.deck_rows}
    if rows.decks_json.strip():
        return {int(k): v.get("name", "Default") for k, v in json.loads(rows.decks_json).items()}
    return {}


def update_note(ctx: AppContext, card_id: int, values: list[str], tags: str) -> int:
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
            front, back = render_card(nt, named_fields(nt, values, tags, deck.name if deck else "", ordinal), ordinal)
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
    if fields["state"] != 0:
        # where a replay of the merged review log starts (core/sync/replay.py): the revlog before now is in it
        fields["sched_base"] = {k: v.isoformat() if isinstance(v, datetime) else v
                                for k, v in {**{f: fields[f] for f in cards_repo.STATE_FIELDS}, "at": now}.items()}
    return fields


def _media_dir(ctx: AppContext, deck) -> Path:
    folder = Path(deck.media_dir) if deck.media_dir else ctx.home / "media" / "anki" / deck.uuid
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def import_package(ctx: AppContext, path: Path) -> Generator[Progress, None, ImportResult]:
    """Import an Anki package or collection file into decks and cards, yielding progress."""
    path = Path(path)
    now = datetime.now(UTC)
    try:
        with open_package(path) as pkg:
            yield Progress(0, 4, f"reading {path.name}")
            # Checked before the first row: cards take about what the collection does, media what it unpacks to.
            disk_space.ensure_free(ctx.home, _unpacked_size(pkg), f"import {path.name}")
            rows = anki_file.read_anki_collection(pkg.collection)
            result = yield from _import_rows(ctx, path, pkg, rows, now)
            return result
    except (ValueError, zipfile.BadZipFile, KeyError) as exc:
        raise JobError(f"{path.name}: {exc}") from exc
    except _MALFORMED as exc:  # values of the wrong type or range in the foreign database (found by fuzzing)
        log.warning("Anki file %s not imported", path, exc_info=True)
        raise JobError(f"{path.name} is damaged or was not written by Anki: {type(exc).__name__}: {exc}") from exc


def _import_rows(ctx: AppContext, path: Path, pkg: Package, rows,
                 now: datetime) -> Generator[Progress, None, ImportResult]:
    result = ImportResult(str(path), f"{pkg.kind} (schema {rows.ver})")
    staged = _stage_media(pkg)
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
        front, back = render_card(nt, named_fields(nt, values, tags, deck_name, ordinal), ordinal)
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

    result.media = _copy_media(staged, folders)
    for folder in folders:
        save_note_types(folder, list(used_types.values()))
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
    result.review_logs = review_logs_repo.append_review_logs(ctx.db, logs)
    yield Progress(4, 4, f"imported {result.notes} notes into {', '.join(result.decks) or 'no deck'}")
    return result


def _unpacked_size(pkg: Package) -> int:
    """Bytes the package's collection and media take once unpacked (zip sizes; zstd media counted twice)."""
    media = sum(pkg.zip.getinfo(m).file_size for m in pkg.media) if pkg.zip is not None else 0
    return pkg.collection.stat().st_size + (2 * media if pkg.version >= 3 else media)


def _stage_media(pkg: Package) -> dict[str, Path]:
    """Unpack the media files beside the unpacked collection, before any row is written: a damaged or bombed
    media file then stops the import with nothing imported. Returns safe file name -> staged file."""
    staged: dict[str, Path] = {}
    if pkg.zip is None:
        return staged
    folder = pkg.collection.parent / "media"
    folder.mkdir(exist_ok=True)
    for member, name in pkg.media.items():
        safe = safe_name(name)
        if safe is None or safe in staged:
            continue
        target = folder / f"{len(staged)}"
        with open(target, "wb") as dst:
            pkg.copy_media(member, dst)
        staged[safe] = target
    return staged


def _copy_media(staged: dict[str, Path], folders: list[Path]) -> int:
    """Write the staged media files into each target deck's folder (unchanged ones are left); returns how many."""
    for safe, source in staged.items():
        for folder in folders:
            target = folder / safe
            if not target.is_file() or not filecmp.cmp(source, target, shallow=False):
                shutil.copyfile(source, target)
    return len(staged) if folders else 0


def import_file(ctx: AppContext, path: Path) -> ImportResult:
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
def import_job(run: JobRun, payload: dict) -> Generator[Progress, None, dict]:
    """Job: import an Anki file given as payload["path"]."""
    result = yield from import_package(run.services, Path(payload["path"]))
    return asdict(result)
