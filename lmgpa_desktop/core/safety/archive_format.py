"""The whole-profile archive format (a zip with a manifest) and the checks an archive passes before it is unpacked."""

# The archive is a plain zip (every computer opens one) holding database.sqlite3, media/... and manifest.json, which
# lists every member with its size and SHA-256. An archive is treated as hostile until it passes check_members():
# only names the manifest lists, no name that could leave the folder it is unpacked into (../x, /x, C:x), no links,
# devices or folders, no duplicates (also not ones that differ only in case, which collide on Windows and macOS), no
# encryption or unknown compression, and sizes that match the manifest. zipfile never gives back more than a member's
# declared size, so the declared total bounds what unpacking writes: check_size() compares it with the archive's size
# (a decompression bomb) and the free disk space before anything is written.

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.core.disk_space import DiskFull

FORMAT = "lmgpa-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.sqlite3"
MEDIA = "media"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 2_000_000
# Deflate shrinks a database a few times; stored media not at all. Above a small total, a declared size this many times
# the archive's is a decompression bomb, not a profile.
MAX_RATIO = 100
RATIO_FREE_BYTES = 256 * 1024 * 1024
# Already compressed: stored as they are (deflating them again costs time and saves nothing).
STORED_SUFFIXES = frozenset(
    ".ogg .opus .oga .mp3 .m4a .aac .flac .wma .mp4 .m4v .mkv .webm .mov .avi .jpg .jpeg .png .gif .webp .heic .heif "
    ".pdf .docx .pptx .xlsx .odt .odp .epub .zip .apkg .colpkg .gz .xz .zst .bz2 .7z".split())
ALLOWED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(UserError):
    """The file is not a sound Little Monster GPA archive (message says what is wrong, for the student)."""


@dataclass(frozen=True)
class Member:
    """One file of the archive as the manifest lists it."""

    name: str
    size: int
    sha256: str


def compression_for(name: str) -> int:
    """Stored for media that is compressed already, deflated for the rest (the database, raw audio, text)."""
    return zipfile.ZIP_STORED if Path(name).suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED


def manifest_json(members: list[Member], **fields) -> bytes:
    """The manifest: format, version, the given fields, and each member's size and SHA-256."""
    body = {"format": FORMAT, "format_version": FORMAT_VERSION, **fields,
            "members": [{"name": m.name, "size": m.size, "sha256": m.sha256} for m in members]}
    return json.dumps(body, indent=1, ensure_ascii=False).encode("utf-8")


def name_parts(name: str) -> tuple[str, ...]:
    """The folder parts of a member name; ArchiveError for a name that could reach outside the unpack folder."""
    if not name or len(name) > 4096 or "\x00" in name or any(ord(c) < 32 for c in name):
        raise ArchiveError(f"the archive holds a file with an unusable name ({name[:80]!r})")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise ArchiveError(f"the archive holds a file with an absolute path ({name[:200]!r}); it is not ours")
    # Both separators: "..\\x" climbs out on Windows even though it is one name here.
    if any(part in ("", ".", "..") for part in re.split(r"[\\/]", name)):
        raise ArchiveError(f"the archive holds a file whose path leaves its folder ({name[:200]!r}); it is not ours")
    parts = tuple(name.split("/"))
    if os.name == "nt" and any(ch in name for ch in '\\:*?"<>|'):
        raise ArchiveError(f"the archive holds a file name Windows cannot use ({name[:200]!r})")
    if any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in parts):
        raise ArchiveError(f"the archive holds a file name too long for a disk ({name[:200]!r})")
    if name != DATABASE and (parts[0] != MEDIA or len(parts) < 2):
        raise ArchiveError(f"the archive holds a file that is not part of a profile ({name[:200]!r})")
    return parts


# What reading a damaged zip raises (a bad header offset surfaces as OSError EINVAL from seek). Only reads of the
# archive are wrapped, so a full disk while writing stays a disk-space message.
DAMAGED_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, RuntimeError, OSError)


def reading(name: str, read: Callable):
    """read() from the archive, with any sign of damage as one ArchiveError."""
    try:
        return read()
    except DAMAGED_ZIP as exc:
        raise ArchiveError(f"the archive is damaged or incomplete ({name}: {exc}); nothing was imported") from exc


def read_manifest(zf: zipfile.ZipFile) -> dict:
    """The archive's manifest, checked for shape; ArchiveError when missing or malformed."""
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        raise ArchiveError("this is not a Little Monster GPA archive (it has no manifest.json)") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise ArchiveError("the archive's manifest is implausibly large; it is not ours")
    try:
        body = json.loads(reading(MANIFEST, lambda: zf.read(info)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"the archive's manifest cannot be read ({exc})") from exc
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ArchiveError("this is not a Little Monster GPA archive (its manifest is of another kind)")
    version = body.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ArchiveError(f"this archive was made by a newer version of Little Monster GPA (format {version}); "
                           "update the app, then import it")
    members = body.get("members")
    if not isinstance(members, list) or len(members) > MAX_MEMBERS:
        raise ArchiveError("the archive's manifest has no usable list of files")
    for entry in members:
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                and isinstance(entry.get("size"), int) and entry["size"] >= 0
                and isinstance(entry.get("sha256"), str) and re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])):
            raise ArchiveError("the archive's manifest lists a file without a proper size and checksum")
    return body


def check_members(zf: zipfile.ZipFile, manifest: dict) -> list[tuple[zipfile.ZipInfo, Member]]:
    """Every member paired with its manifest entry, in archive order; ArchiveError at the first hostile thing."""
    listed: dict[str, Member] = {}
    for entry in manifest["members"]:
        member = Member(entry["name"], entry["size"], entry["sha256"])
        if member.name in listed:
            raise ArchiveError(f"the archive's manifest lists {member.name!r} twice")
        name_parts(member.name)
        listed[member.name] = member
    if DATABASE not in listed:
        raise ArchiveError("the archive holds no database")
    seen: set[str] = set()
    folded: dict[str, str] = {}
    out = []
    for info in zf.infolist():
        name = info.filename
        if name in seen:
            raise ArchiveError(f"the archive holds two files named {name[:200]!r}; it is not ours")
        seen.add(name)
        key = unicodedata.normalize("NFC", name).casefold()
        if key in folded:
            raise ArchiveError(f"the archive holds {folded[key][:200]!r} and {name[:200]!r}, which are the same "
                               "name on Windows and macOS; it is not ours")
        folded[key] = name
        if name == MANIFEST:
            continue
        name_parts(name)
        _check_kind(info)
        member = listed.get(name)
        if member is None:
            raise ArchiveError(f"the archive holds {name[:200]!r}, which its manifest does not list; it is not ours")
        if info.file_size != member.size:
            raise ArchiveError(f"{name[:200]!r} in the archive does not have the size its manifest gives")
        out.append((info, member))
    absent = sorted(set(listed) - seen)
    if absent:
        raise ArchiveError(f"the archive is incomplete: {absent[0]!r}"
                           + (f" and {len(absent) - 1} more files are" if len(absent) > 1 else " is") + " missing")
    return out


def _check_kind(info: zipfile.ZipInfo) -> None:
    """Only plain, unencrypted files packed the way we pack them."""
    mode = info.external_attr >> 16
    if info.is_dir() or (mode and not stat.S_ISREG(mode)):
        kind = "a link" if stat.S_ISLNK(mode) else "a folder entry" if info.is_dir() else "a device or special file"
        raise ArchiveError(f"the archive holds {kind} ({info.filename[:200]!r}); it is not ours")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"{info.filename[:200]!r} in the archive is encrypted; it is not ours")
    if info.compress_type not in ALLOWED_COMPRESSION:
        raise ArchiveError(f"{info.filename[:200]!r} in the archive is packed in a way this app does not use")


def check_size(declared: int, archive_size: int, free: int, reserve: int) -> None:
    """Refuse a decompression bomb, and an archive whose content would not fit on the disk (with reserve to spare)."""
    if declared > RATIO_FREE_BYTES and declared > MAX_RATIO * max(archive_size, 1):
        raise ArchiveError(f"the archive says it unpacks to {human_size(declared)} from a file of "
                           f"{human_size(archive_size)}: that is a decompression bomb, not a profile")
    if declared + reserve > free:
        raise DiskFull(f"Not enough disk space to import this archive: it needs about "
                       f"{human_size(declared + reserve)}, {human_size(free)} free. Free some space or choose a "
                       "folder on another drive, and try again.")
