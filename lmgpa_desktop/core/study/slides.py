"""Notes as slides: a note's Markdown (headings, key points, definitions, summary, references) to a PPTX deck."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.study.read_aloud import Block, markdown_blocks, plain_inline, split_sentences
from lmgpa_desktop.engines.slides import Bullet, SlideSpec, SlidesError, write_deck

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["Deck", "deck_from_markdown", "export_note_pptx"]

SLIDE_HEADING_LEVELS = 3  # deeper headings become bold bullets inside their slide
BULLET_WORDS = 35  # a longer paragraph becomes several bullets, a few sentences each
_SOURCES = re.compile(r"^(references?|sources?|bibliography|citations?|works cited|further reading)$", re.I)
_DEFINITIONS = re.compile(r"definitions?|glossary|key terms|terms|vocabulary", re.I)
_BOLD_TERM = re.compile(r"^\s*(\*\*|__)(.+?)\1\s*[:—–-]?\s*(.*)$")
_PLAIN_TERM = re.compile(r"^([^:.!?]{1,60}?)\s*(?::|\s[—–-])\s+(.+)$")
_NUMBERED = re.compile(r"^\[\d+\]")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)(?:\s+\"[^\"]*\")?\)")


@dataclass
class Deck:
    """Everything on the slides, before layout: title, subtitle, content slides and sources."""

    title: str
    subtitle: str = ""
    slides: list[SlideSpec] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _bullet(block: Block, in_definitions: bool) -> Bullet:
    """An item as a bullet; "**Term**: text" (or "Term: text" under a definitions heading) keeps the term bold."""
    match = _BOLD_TERM.match(block.text)
    if match and match.group(3):
        return Bullet(plain_inline(match.group(3), keep_citations=True), block.level,
                      plain_inline(match.group(2), keep_citations=True).rstrip(":"))
    text = plain_inline(block.text, keep_citations=True)
    plain = _PLAIN_TERM.match(text) if in_definitions else None
    if plain:
        return Bullet(plain.group(2), block.level, plain.group(1))
    return Bullet(text, block.level)


def _paragraph_bullets(text: str) -> list[Bullet]:
    """A paragraph as one bullet, or as bullets of a few sentences each when it is long."""
    if len(text.split()) <= BULLET_WORDS:
        return [Bullet(text)]
    bullets, current = [], []
    for sentence in split_sentences(text):
        if current and len(" ".join(current + [sentence]).split()) > BULLET_WORDS:
            bullets.append(Bullet(" ".join(current)))
            current = []
        current.append(sentence)
    if current:
        bullets.append(Bullet(" ".join(current)))
    return bullets


def _after(section: SlideSpec) -> str:
    """Title of a further slide of a section: a table or code listing after its bullets is marked as going on."""
    if not (section.bullets or section.table or section.code) or section.title.endswith(" (cont.)"):
        return section.title
    return f"{section.title} (cont.)"


def deck_from_markdown(markdown: str, title: str | None = None, subtitle: str = "", fallback: str = "Notes") -> Deck:
    """Slides from Markdown: a slide per heading (levels 1-3), items and paragraphs as bullets, tables and code
    on their own slides, a references section as the sources slide."""
    blocks = markdown_blocks(markdown)
    headings = [b for b in blocks if b.kind == "heading"]
    if title is None and headings and headings[0].level == 1 and blocks[0] is headings[0]:
        title = plain_inline(headings[0].text)
    deck = Deck(title or fallback, subtitle)
    current: SlideSpec | None = None
    in_sources = in_definitions = False
    table: list[list[str]] = []

    def close_table() -> None:
        nonlocal table
        if table and current is not None:
            deck.slides.append(SlideSpec(_after(current), table=table))
        table = []

    def slide() -> SlideSpec:
        nonlocal current
        if current is None:
            current = SlideSpec("Overview")
            deck.slides.append(current)
        return current

    for block in blocks:
        if block.kind != "row":
            close_table()
        if block.kind == "heading" and block.level <= SLIDE_HEADING_LEVELS:
            name = plain_inline(block.text)
            in_sources = bool(_SOURCES.match(name.strip(" :")))
            in_definitions = bool(_DEFINITIONS.search(name))
            if in_sources or (current is None and not deck.slides and name == deck.title):
                current = None
                continue
            current = SlideSpec(name)
            deck.slides.append(current)
        elif in_sources:
            if block.kind in ("item", "paragraph", "row"):
                # A reference keeps its address: the slide is read away from the note, without links.
                text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})",
                                 block.text)
                deck.sources.append(plain_inline(text, keep_citations=True, keep_urls=True))
        elif block.kind == "heading":
            slide().bullets.append(Bullet("", 0, plain_inline(block.text)))
        elif block.kind == "item":
            slide().bullets.append(_bullet(block, in_definitions))
        elif block.kind == "paragraph":
            text = plain_inline(block.text, keep_citations=True)
            match = _BOLD_TERM.match(block.text)
            if match and match.group(3):
                slide().bullets.append(_bullet(block, True))
            elif text:
                slide().bullets.extend(_paragraph_bullets(text))
                if len(text.split()) > BULLET_WORDS:
                    slide().notes = (slide().notes + "\n\n" + text).strip()  # the whole paragraph to speak from
        elif block.kind == "row":
            slide()
            table.append([plain_inline(c, keep_citations=True) for c in block.text.split(" | ")])
        elif block.kind == "code" and block.text.strip():
            deck.slides.append(SlideSpec(_after(slide()), code=block.text))
    close_table()
    deck.slides = [s for s in deck.slides if s.bullets or s.table or s.code]
    return deck


def _numbered(sources: list[str]) -> list[str]:
    """Sources as "[n] ..." so citation marks in the slides find them."""
    return [s if _NUMBERED.match(s) else f"[{n}] {s}" for n, s in enumerate(sources, start=1)]


def _ref_label(ctx: AppContext, ref: dict) -> str | None:
    """A stored note reference as "Title, page 3" or "Title at 12:04"."""
    from lmgpa_desktop.storage import sources_repo

    source_id = ref.get("source_id")
    source = sources_repo.get(ctx.db, int(source_id)) if source_id is not None else None
    if source is None:
        return None
    if ref.get("page_no") is not None:
        return f"{source.title}, page {ref['page_no']}"
    if ref.get("start_s") is not None:
        return f"{source.title} at {clock(float(ref['start_s']))}"
    return source.title


def export_note_pptx(ctx: AppContext, note_id_or_markdown: int | str, path: Path, title: str | None = None,
                     fallback_title: str = "Notes") -> Path:
    """Write a note (by id, through storage) or a Markdown text as a PPTX deck at path; returns the path."""
    path = Path(path).expanduser()
    if path.suffix.lower() != ".pptx":
        raise UserError(f"{path.name}: choose a .pptx file name for the slides")
    if not path.parent.is_dir():
        raise UserError(f"the folder {path.parent} does not exist")
    refs: list[str] = []
    if isinstance(note_id_or_markdown, int):
        from lmgpa_desktop.storage import notes_read

        note = notes_read.get_note(ctx.db, note_id_or_markdown)
        if note is None:
            raise UserError(f"note {note_id_or_markdown} does not exist (or is in the trash)")
        note_title, markdown = note
        title = title or note_title
        refs = [label for ref in notes_read.get_note_source_refs(ctx.db, note_id_or_markdown)
                if (label := _ref_label(ctx, ref))]
    else:
        markdown = note_id_or_markdown
    deck = deck_from_markdown(markdown, title, date.today().strftime("%d %B %Y").lstrip("0"), fallback_title)
    if not deck.slides:
        raise UserError("there is nothing to put on slides in this note")
    sources = deck.sources + [r for r in dict.fromkeys(refs) if r not in deck.sources]
    try:
        return write_deck(path, deck.title, deck.subtitle, deck.slides, _numbered(sources))
    except SlidesError as exc:
        raise UserError(str(exc)) from exc
