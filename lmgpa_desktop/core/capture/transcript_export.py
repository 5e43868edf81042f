"""Transcript export: TXT, Markdown, SRT, WebVTT and JSON (segments and words with times)."""

from __future__ import annotations

import json

from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.storage.transcripts_repo import TranscriptRow

FORMATS = ("txt", "md", "srt", "vtt", "json")


def _stamp(seconds: float, sep: str) -> str:
    """HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (VTT)."""
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_txt(t: TranscriptRow, title: str = "") -> str:
    """Plain text, one segment per line."""
    return "\n".join(seg.shown for seg in t.segments) + "\n"


def to_md(t: TranscriptRow, title: str = "") -> str:
    """Markdown with a heading and a timestamp per segment."""
    lines = [f"# {title or 'Transcript'}", ""]
    if t.language:
        lines += [f"*Language: {t.language}*", ""]
    lines += [f"**[{clock(seg.start)}]** {seg.shown}  " for seg in t.segments]
    return "\n".join(lines).rstrip() + "\n"


def to_srt(t: TranscriptRow, title: str = "") -> str:
    """SubRip subtitles."""
    blocks = [f"{i}\n{_stamp(seg.start, ',')} --> {_stamp(seg.end, ',')}\n{seg.shown}\n"
              for i, seg in enumerate(t.segments, 1)]
    return "\n".join(blocks)


def to_vtt(t: TranscriptRow, title: str = "") -> str:
    """WebVTT subtitles."""
    blocks = [f"{_stamp(seg.start, '.')} --> {_stamp(seg.end, '.')}\n{seg.shown}\n" for seg in t.segments]
    return "WEBVTT\n\n" + "\n".join(blocks)


def to_json(t: TranscriptRow, title: str = "") -> str:
    """{"language", "duration", "segments": [{"start", "end", "text", "words": [{"start", "end", "word"}]}]}."""
    data = {
        "language": t.language,
        "duration": t.duration_s,
        "segments": [
            {"start": round(seg.start, 3), "end": round(seg.end, 3), "text": seg.shown,
             "edited": seg.edited_text is not None,
             "words": [{"start": round(w[0], 3), "end": round(w[1], 3), "word": w[2].strip()} for w in seg.words]}
            for seg in t.segments
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


WRITERS = {"txt": to_txt, "md": to_md, "srt": to_srt, "vtt": to_vtt, "json": to_json}


def render(t: TranscriptRow, fmt: str, title: str = "") -> str:
    """The transcript in one of FORMATS."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return WRITERS[fmt](t, title)
