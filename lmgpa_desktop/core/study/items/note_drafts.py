"""Draft notes from the material: sections of key points and definitions with source links, and a summary."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.library.search import Hit
from lmgpa_desktop.core.study.items import text_items as ex
from lmgpa_desktop.core.study.items.generated_items import Item, Stats
from lmgpa_desktop.core.study.items.material import AUDIO_KINDS, Material, Request
from lmgpa_desktop.core.study.items.model_items import llm_summary, writer_for
from lmgpa_desktop.core.study.items.source_locations import Locator, link, location_of

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

_SECTION = re.compile(r"(?:^|(?<=\s))(?:\d+\.\d+\.?)\s+([A-Z][^.?!]{2,60}[?]?)(?=\s+[A-Z]|\s*$)")


def _ref(p: Hit, start_s: float | None = None, end_s: float | None = None) -> tuple[str, dict]:
    where = location_of(p, start_s, end_s) or p.source_title
    md = f"[{where}]({link(p.source_id, p.page_no, start_s if start_s is not None else p.start_s)})"
    return md, {"source_id": p.source_id, "page_no": p.page_no,
                "start_s": start_s if start_s is not None else p.start_s,
                "end_s": end_s if end_s is not None else p.end_s}


def _sections(m: Material) -> list[tuple[str, list[int]]]:
    """(title, passage indices) in reading order: numbered headings in documents, a few minutes of speech."""
    sections: list[tuple[str, list[int]]] = []
    for i, p in enumerate(m.passages):
        new_source = i == 0 or m.passages[i - 1].source_id != p.source_id
        if p.source_kind in AUDIO_KINDS:
            if new_source or not sections[-1][0].startswith("@") or len(sections[-1][1]) >= 3:
                sections.append((f"@{p.start_s or 0.0}", [i]))
            else:
                sections[-1][1].append(i)
            continue
        headings = _SECTION.findall(p.text)
        if headings and not (sections and sections[-1][0] == headings[0].strip()):
            sections.append((headings[0].strip(), [i]))
        elif new_source or not sections:
            sections.append((p.source_title, [i]))
        else:
            sections[-1][1].append(i)
    return sections


def notes_markdown(ctx: AppContext, m: Material, request: Request, stats: Stats, cancel: threading.Event | None,
                   locator: Locator) -> Iterator[Progress | tuple[str, str, list[dict]]]:
    """Structured Markdown (sections with key points and definitions, key terms, summary) with source links."""
    titles = list(dict.fromkeys(p.source_title for p in m.passages))
    title = f"Notes: {' + '.join(titles)}" if len(titles) <= 3 else f"Notes: {titles[0]} and {len(titles) - 1} more"
    refs: list[dict] = []
    lines = [f"# {title}", ""]
    key_terms = [t.text for t in m.terms[:12]]
    if key_terms:
        lines += ["**Key terms:** " + ", ".join(key_terms), ""]
    key_by_passage: dict[int, list[tuple[str, float]]] = {}
    for s, score, i in m.key:
        key_by_passage.setdefault(i, []).append((s, score))
    defs_by_passage: dict[int, list[ex.Definition]] = {}
    for d, i in m.definitions:
        defs_by_passage.setdefault(i, []).append(d)
    sections = _sections(m)
    summary_input: list[str] = []
    for n, (name, members) in enumerate(sections, 1):
        yield Progress(n - 1, len(sections) + 1, f"writing section {n} of {len(sections)}")
        first = m.passages[members[0]]
        if name.startswith("@"):
            end = m.passages[members[-1]].end_s
            name = f"{first.source_title}, {clock(first.start_s or 0)}–{clock(end or 0)}"
        points = sorted([(s, sc, i) for i in members for s, sc in key_by_passage.get(i, [])], key=lambda x: -x[1])
        defined = [(d, i) for i in members for d in defs_by_passage.get(i, [])]
        defined_sentences = {ex.normalize(d.sentence) for d, _ in defined}
        points = [p for p in points if ex.normalize(p[0]) not in defined_sentences][:4]
        if not points and not defined:
            continue
        lines += [f"## {name}", ""]
        if points:
            lines += ["### Key points", ""]
            order = {s: k for k, (s, _) in enumerate(m.sentences)}
            for s, _, i in sorted(points, key=lambda x: order.get(x[0], 0)):
                item = locator.place(Item("note", "", "", s, m.passages[i], "sentence", 0.0))
                md, ref = _ref(m.passages[i], item.start_s, item.end_s)
                refs.append({**ref, "quote": s})
                lines.append(f"- {ex.strip_heading(s)} ({md})")
                summary_input.append(ex.strip_heading(s))
            lines.append("")
        if defined:
            lines += ["### Definitions", ""]
            for d, i in defined:
                item = locator.place(Item("note", "", "", d.sentence, m.passages[i], "definition", 0.0))
                md, ref = _ref(m.passages[i], item.start_s, item.end_s)
                refs.append({**ref, "quote": d.sentence})
                lines.append(f"- **{d.term}**: {d.definition.rstrip(' .')}. ({md})")
            lines.append("")
    yield Progress(len(sections), len(sections) + 1, "writing the summary")
    summary = None
    top = [ex.strip_heading(s) for s, _, _ in sorted(m.key[:3], key=lambda x: x[2])]
    engine = writer_for(ctx, request, stats) if top else None
    if engine is not None:
        stats.llm_tried += 1
        summary = llm_summary(engine, " ".join(top), cancel)
        stats.llm_written += 1
        stats.llm_kept += int(summary is not None)
    lines += ["## Summary", ""]
    if summary:
        lines += [summary + " *(written by the model from the key points)*", ""]
    lines += [f"- {s}" for s in top] + [""]
    stats.kept = len(refs)
    # Each location once, in the order first cited.
    unique_refs = list({(r["source_id"], r["page_no"], r["start_s"]): r for r in reversed(refs)}.values())[::-1]
    yield title, "\n".join(lines).rstrip() + "\n", unique_refs
