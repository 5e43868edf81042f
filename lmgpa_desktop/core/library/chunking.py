"""Split pages and transcripts into passages that keep their location (page, time range, image region)."""

from __future__ import annotations

import re

from lmgpa_desktop.storage.search_repo import ChunkDraft

TARGET_WORDS = 140  # all-MiniLM-L6-v2 reads 256 tokens: ~140 words leaves room and keeps passages precise
OVERLAP_WORDS = 25
MIN_WORDS = 20  # a shorter last piece of a page ("1.8.") joins the passage before it
TRANSCRIPT_SECONDS = 60.0

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _sentences(text: str) -> list[str]:
    """Sentences of a page (lines that are not sentences, like headings, stay whole)."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        para = " ".join(para.split())
        if para:
            out.extend(s for s in _SENTENCE_END.split(para) if s)
    return out


def chunk_page(page_no: int, text: str, words: list | None = None) -> list[ChunkDraft]:
    """Passages of one page, about TARGET_WORDS each, overlapping by whole sentences."""
    sentences = _sentences(text)
    drafts, current, count = [], [], 0
    for sentence in sentences:
        n = len(sentence.split())
        if current and count + n > TARGET_WORDS:
            drafts.append(" ".join(current))
            keep, kept = [], 0
            for prev in reversed(current):  # carry the last sentences over as overlap
                if kept + len(prev.split()) > OVERLAP_WORDS:
                    break
                keep.insert(0, prev)
                kept += len(prev.split())
            current, count = keep, kept
        current.append(sentence)
        count += n
    if current:
        tail = " ".join(current)
        if drafts and len(tail.split()) < MIN_WORDS:
            drafts[-1] = drafts[-1] + " " + " ".join(current[len(_overlap_of(drafts[-1], current)):])
        else:
            drafts.append(tail)
    return [ChunkDraft(text=t, page_no=page_no, region=_region(t, words)) for t in _split_long(drafts)]


def _overlap_of(previous: str, sentences: list[str]) -> list[str]:
    """The leading sentences already at the end of the previous passage (the carried-over overlap)."""
    shared = []
    for sentence in sentences:
        if sentence in previous:
            shared.append(sentence)
        else:
            break
    return shared


def _split_long(passages: list[str]) -> list[str]:
    """A run-on "sentence" (OCR, tables) longer than twice the target is cut by words."""
    out = []
    for passage in passages:
        tokens = passage.split()
        if len(tokens) <= 2 * TARGET_WORDS:
            out.append(passage)
            continue
        step = TARGET_WORDS - OVERLAP_WORDS
        out.extend(" ".join(tokens[i:i + TARGET_WORDS]) for i in range(0, len(tokens), step)
                   if tokens[i:i + TARGET_WORDS])
    return out


def _region(passage: str, words: list | None) -> list | None:
    """Bounding box [x, y, w, h] of the OCR words that make up a passage (for highlighting on the image)."""
    if not words:
        return None
    wanted = {w.strip(".,;:!?\"'()").lower() for w in passage.split()}
    boxes = [w for w in words if str(w[4]).strip(".,;:!?\"'()").lower() in wanted]
    if not boxes:
        return None
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return [x0, y0, x1 - x0, y1 - y0]


def chunk_transcript(segments) -> list[ChunkDraft]:
    """Passages of about a minute of speech (or TARGET_WORDS), with their time range."""
    drafts, current = [], []
    for seg in segments:
        if current and (seg.end - current[0].start > TRANSCRIPT_SECONDS
                        or sum(len(s.shown.split()) for s in current) > TARGET_WORDS):
            drafts.append(current)
            current = current[-1:] if len(current) > 1 else []  # one segment of overlap
        current.append(seg)
    if current:
        drafts.append(current)
    return [ChunkDraft(text=" ".join(s.shown for s in group), start_s=group[0].start, end_s=group[-1].end)
            for group in drafts]
