"""Real material the crash rounds write with, read once (in the fork server and in the checker alike)."""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: support (where ../shared/data is)

from support import ROOT, SHARED  # noqa: E402

NOTE_HEAD = re.compile(r"\A# Crash note (?P<uid>[0-9a-f]{12})\n\nversion (?P<version>\d+)\n\n")


def _paragraphs() -> list[str]:
    """Prose paragraphs of the shared Markdown documents (real text, other authors)."""
    out = []
    for path in sorted((SHARED / "documents" / "markdown").glob("*.md")):
        if path.name.endswith(".docling-groundtruth.md"):
            continue
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            block = block.strip()
            if len(block) > 40:
                out.append(block)
    return out


def _documents() -> list[Path]:
    """Documents the library imports: the shared Markdown and DOCX files and the bundled two-page handout PDF."""
    docs = SHARED / "documents"
    found = [p for p in sorted((docs / "markdown").glob("*.md")) if not p.name.endswith(".docling-groundtruth.md")]
    found += sorted((docs / "docx").glob("*.docx"))
    found.append(ROOT / "resources" / "samples" / "sample_handout.pdf")
    return found


def _clip(path: Path) -> tuple[np.ndarray, int]:
    """A real audio file as int16 frames x channels, the way a microphone hands them over."""
    import soundfile

    audio, rate = soundfile.read(str(path), dtype="int16", always_2d=True)
    return audio, rate


@dataclass
class Material:
    """Texts, documents and clips; loading the audio is deferred to the paths that need it."""

    paragraphs: list[str] = field(default_factory=_paragraphs)
    documents: list[Path] = field(default_factory=_documents)
    mic_clips: list[tuple[np.ndarray, int]] = field(default_factory=list)
    lecture: tuple[np.ndarray, int] | None = None

    def load_audio(self) -> None:
        """Decode the recorder's clips (16 kHz mono speech, 44.1 kHz stereo speech) and the long lecture."""
        audio = SHARED / "audio"
        self.mic_clips = [_clip(audio / "2412-153948-0000.flac"), _clip(audio / "jfk.flac")]
        self.lecture = _clip(audio / "LJ001-0001_0032_concat_16k.flac")

    def note_body(self, uid: str, version: int) -> str:
        """The exact Markdown of one version of a note: a header naming it, then real paragraphs."""
        rng = random.Random(f"{uid}:{version}")
        picked = rng.sample(self.paragraphs, k=min(len(self.paragraphs), rng.randint(1, 4)))
        return f"# Crash note {uid}\n\nversion {version}\n\n" + "\n\n".join(picked) + "\n"

    def card_texts(self, count: int) -> list[tuple[str, str]]:
        """Front and back of count cards cut from the real paragraphs."""
        sentences = [s.strip() for p in self.paragraphs for s in re.split(r"(?<=[.!?])\s+", p) if len(s.split()) > 3]
        out = []
        for i in range(count):
            words = sentences[i % len(sentences)].split()
            cut = max(1, len(words) // 2)
            out.append((" ".join(words[:cut]) + f" … (#{i})", " ".join(words[cut:])))
        return out


def parse_note(body: str) -> tuple[str, int] | None:
    """The uid and version a crash note's Markdown names, or None for a body that is not one."""
    m = NOTE_HEAD.match(body)
    return (m.group("uid"), int(m.group("version"))) if m else None
