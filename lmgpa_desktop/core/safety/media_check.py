"""The media report: files the database points to that are gone, and files in the media folder nothing points to.

It only lists; nothing is ever deleted or moved, so the student decides (as with Anki's "Check Media").
"""

from __future__ import annotations

import html
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop import paths
from lmgpa_desktop.storage import media_refs

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

# Media a card shows or plays: [sound:x] and src="x" (as core/study/anki/exporting.py reads them; not imported from
# there so that safety, which every feature may use, depends on none of them).
MEDIA_REF = re.compile(r"""\[sound:(.+?)\]|<(?:img|audio|video|source)\b[^>]*?\bsrc\s*=\s*["']?([^"' >]+)""",
                       re.IGNORECASE)
URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, data:, file: … are not deck media


@dataclass(frozen=True)
class MediaReport:
    """missing: (what, row id, path) the database points to but that is not on disk; orphans: files nobody uses."""

    missing: list[tuple[str, int, str]] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)
    referenced: int = 0  # files and folders the database points to
    files: int = 0  # files found in the media folder
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Nothing missing and nothing unused."""
        return not self.missing and not self.orphans

    def summary(self) -> str:
        """One line for the student."""
        if self.ok:
            return f"All {self.referenced} media files the data points to are there, and nothing else is in the folder."
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} file(s) the data points to are missing")
        if self.orphans:
            parts.append(f"{len(self.orphans)} file(s) in the media folder are not used by anything (kept, not deleted)")
        return "; ".join(parts) + "."


def media_report(ctx: AppContext) -> MediaReport:
    """Compare what the database points to with what is on disk (reads only; run it off the UI thread)."""
    started = time.perf_counter()
    home = Path(ctx.home)
    missing: list[tuple[str, int, str]] = []
    used_files: set[str] = set()
    used_folders: list[str] = []
    files = media_refs.file_references(ctx.db)
    folders = media_refs.folder_references(ctx.db)
    for what, row_id, stored in files:
        path = _absolute(home, stored)
        used_files.add(path)
        if not os.path.isfile(path):
            missing.append((what, row_id, stored))
    for what, row_id, stored in folders:
        path = _absolute(home, stored)
        used_folders.append(path.rstrip(os.sep) + os.sep)
        if not os.path.isdir(path) and what != "recording folder":  # a recording's folder appears with its first file
            missing.append((what, row_id, stored))
    missing += _missing_card_media(ctx, home)
    orphans, count = _unused_files(paths.media_dir(home), used_files, tuple(used_folders))
    return MediaReport(missing, orphans, len(files) + len(folders), count, time.perf_counter() - started)


def _absolute(home: Path, stored: str) -> str:
    """A stored path as one comparable string: relative ones are inside the profile, linked folders resolved."""
    path = os.path.normpath(os.path.join(home, os.path.expanduser(stored)))
    # Not the last part: the walk of the media folder lists a linked file under its own name, not its target's.
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def _missing_card_media(ctx: AppContext, home: Path) -> list[tuple[str, int, str]]:
    """Images and sounds that cards of Anki decks show but that are not in their deck's media folder."""
    listing: dict[str, set[str]] = {}
    missing = []
    for card_id, folder, front, back in media_refs.card_texts_with_media(ctx.db):
        names = _media_names(front) | _media_names(back)
        if not names:
            continue
        folder = _absolute(home, folder)
        if folder not in listing:
            try:
                listing[folder] = set(os.listdir(folder))
            except OSError:
                listing[folder] = set()  # the folder itself is reported missing
        missing += [("card", card_id, os.path.join(folder, n)) for n in sorted(names - listing[folder])]
    return missing


def _media_names(text: str) -> set[str]:
    """File names a card's HTML refers to (without any folder part, as the importer stores them)."""
    names = set()
    for sound, src in MEDIA_REF.findall(text or ""):
        ref = html.unescape(sound or src).strip()
        if not ref or URL_SCHEME.match(ref):
            continue
        base = ref.replace("\\", "/").rsplit("/", 1)[-1]
        if base and base not in (".", "..") and not base.startswith("."):
            names.add(base)
    return names


def _unused_files(media: Path, used_files: set[str], used_folders: tuple[str, ...]) -> tuple[list[Path], int]:
    """Files under the media folder that no row and no used folder accounts for, and how many files there are."""
    orphans: list[Path] = []
    count = 0
    root = os.path.realpath(media)
    for folder, _dirs, names in os.walk(root):
        inside = (folder.rstrip(os.sep) + os.sep).startswith(used_folders) if used_folders else False
        for name in names:
            count += 1
            path = os.path.join(folder, name)
            if not inside and path not in used_files:
                orphans.append(Path(path))
    orphans.sort()
    return orphans, count
