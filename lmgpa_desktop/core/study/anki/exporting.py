"""Anki export: a deck written as an .apkg that Anki opens, Anki's own notes with their note types."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core.study.anki.note_types import NOTETYPES_FILE, NoteType, load_note_types, safe_name
from lmgpa_desktop.storage import cards_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

MEDIA_REF = re.compile(r"""\[sound:(.+?)\]|<(?:img|audio|video|source)\b[^>]*?\bsrc\s*=\s*["']?([^"' >]+)""",
                       re.IGNORECASE)


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: str
    notes: int
    cards: int
    media: int


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


def export_deck(ctx: AppContext, deck_id: int, path: Path) -> ExportResult:
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
        wanted = {safe_name(r) for r in refs} | {p.name for p in folder.iterdir() if p.name.startswith("_")}
        media = sorted(str(folder / n) for n in wanted if n and n != NOTETYPES_FILE and (folder / n).is_file())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    genanki.Package(out, media_files=media).write_to_file(str(tmp))
    tmp.replace(path)
    return ExportResult(str(path), len(out.notes), len(cards), len(media))


@job_kind("deck.export", queue="default")
def export_job(run: JobRun, payload: dict) -> Generator[Progress, None, dict]:
    """Job: export payload["deck_id"] to payload["path"]."""
    yield Progress(0, 1, "writing the package")
    result = export_deck(run.services, int(payload["deck_id"]), Path(payload["path"]))
    yield Progress(1, 1, f"exported {result.notes} notes")
    return asdict(result)
