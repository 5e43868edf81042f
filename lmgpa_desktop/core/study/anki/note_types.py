"""Anki's note format: note types, their card templates rendered as Anki does, kept beside a deck's media."""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

NOTETYPES_FILE = "notetypes.json"
CLOZE = re.compile(r"\{\{c(\d+)::((?:(?!\{\{c\d+::).)*?)(?:::((?:(?!\{\{c\d+::).)*?))?\}\}", re.DOTALL)
TAG = re.compile(r"\{\{([#^/]?)\s*([^{}]+?)\s*\}\}")
ANSWER_RULE = re.compile(r"<hr[^>]*id\s*=\s*[\"']?answer[\"']?[^>]*>", re.IGNORECASE)
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


def named_fields(nt: NoteType, values: list[str], tags: str, deck_name: str, ordinal: int) -> dict[str, str]:
    """Field values by name plus Anki's special fields."""
    named = dict(zip(nt.fields, values, strict=False))
    named.update(Tags=" ".join(tags.split()), Type=nt.name, Deck=deck_name, Subdeck=deck_name.split("::")[-1],
                 Card=nt.templates[0 if nt.cloze else ordinal].name, CardFlag="")
    return named


def safe_name(name: str) -> str | None:
    """A media file name without any folder part (a package must not write outside the media folder), or None for
    one no file can have (control characters, too long, not encodable) or that would replace our note types."""
    base = Path(name.replace("\\", "/")).name
    if not base or base.startswith(".") or base == NOTETYPES_FILE or any(ord(ch) < 32 for ch in base):
        return None
    try:
        encoded = base.encode(sys.getfilesystemencoding())
    except UnicodeError:
        return None
    return base if len(encoded) <= 255 else None


def save_note_types(folder: Path, types: list[NoteType]) -> None:
    """Keep note types beside a deck's media (by name), so an export rebuilds the same ones."""
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
