"""An Anki file opened: the collection unpacked from an .apkg/.colpkg, its media list, the modern protobuf parts."""

from __future__ import annotations

import contextlib
import io
import json
import lzma
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lmgpa_desktop.core.job_progress import JobError

SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LATEST_PACKAGE = 3  # PackageMetadata.Version: collection.anki21b, zstd media, protobuf media list
# Unpacking limits, so a zip or zstd bomb is refused instead of filling memory or the disk. A real collection
# compresses a few times (a mostly empty one up to some hundred times); a bomb a thousand times or more.
MAX_RATIO = 200
MIN_ALLOWED = 256 << 20  # whatever the ratio, this much may always be unpacked
MAX_UNPACKED = 8 << 30  # a collection or media file larger than this is refused outright
MAX_LIST = 64 << 20  # the media list and package metadata (a few bytes per media file)
CHUNK = 1 << 20


class DamagedPackage(JobError):
    """The file is not a readable Anki package (damaged, truncated, a bomb or made by something else)."""


def _zip_errors() -> tuple[type[BaseException], ...]:
    """What zipfile, zlib, lzma, zstd and protobuf raise on damaged input (they share no base class)."""
    import zstandard
    from google.protobuf.message import DecodeError

    # zipfile: RuntimeError for an encrypted member, NotImplementedError for an unknown compression method,
    # OSError (EINVAL) when a damaged directory points before the start of the file.
    return (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error,
            lzma.LZMAError, zstandard.ZstdError, DecodeError, ValueError, KeyError, RecursionError, UnicodeError)


def _allowed(compressed: int) -> int:
    """How many bytes a member of this compressed size may unpack to."""
    return min(MAX_UNPACKED, max(MIN_ALLOWED, MAX_RATIO * compressed))


# -- protobuf messages of the modern format (only the fields we read) ----------------------------------------
_MESSAGES: dict[str, type] = {}


def _message(name: str):
    """A protobuf class for the few Anki messages we decode, built from a descriptor at first use."""
    if not _MESSAGES:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

        # proto2: optional fields have presence (Anki's legacy_zip_filename is `optional`; in proto3 without it,
        # HasField raises and every modern package with media failed to import).
        fdp = descriptor_pb2.FileDescriptorProto(name="lmgpa_anki_subset.proto", package="lmgpa_anki",
                                                 syntax="proto2")
        t = descriptor_pb2.FieldDescriptorProto
        specs = {
            "PackageMetadata": [("version", 1, t.TYPE_INT32, t.LABEL_OPTIONAL, None)],
            "MediaEntry": [("name", 1, t.TYPE_STRING, t.LABEL_OPTIONAL, None),
                           ("size", 2, t.TYPE_UINT32, t.LABEL_OPTIONAL, None),
                           ("sha1", 3, t.TYPE_BYTES, t.LABEL_OPTIONAL, None),
                           ("legacy_zip_filename", 255, t.TYPE_UINT32, t.LABEL_OPTIONAL, None)],
            "MediaEntries": [("entries", 1, t.TYPE_MESSAGE, t.LABEL_REPEATED, ".lmgpa_anki.MediaEntry")],
            "NotetypeConfig": [("kind", 1, t.TYPE_INT32, t.LABEL_OPTIONAL, None),
                               ("css", 3, t.TYPE_STRING, t.LABEL_OPTIONAL, None)],
            "TemplateConfig": [("q_format", 1, t.TYPE_STRING, t.LABEL_OPTIONAL, None),
                               ("a_format", 2, t.TYPE_STRING, t.LABEL_OPTIONAL, None)],
        }
        for message_name, fields in specs.items():
            msg = fdp.message_type.add(name=message_name)
            for fname, number, ftype, label, type_name in fields:
                f = msg.field.add(name=fname, number=number, type=ftype, label=label)
                if type_name:
                    f.type_name = type_name
        pool = descriptor_pool.DescriptorPool()
        pool.Add(fdp)
        for message_name in specs:
            _MESSAGES[message_name] = message_factory.GetMessageClass(
                pool.FindMessageTypeByName(f"lmgpa_anki.{message_name}"))
    return _MESSAGES[name]


def decode(name: str, data: bytes):
    """One of the Anki protobuf messages we read, decoded (DecodeError when the bytes are not that message)."""
    from google.protobuf.message import DecodeError

    msg = _message(name)()
    try:
        msg.ParseFromString(data or b"")
    except DecodeError as exc:
        raise ValueError(f"its {name} part is damaged ({exc})") from exc
    return msg


def _unzstd(data: bytes, limit: int = MAX_LIST) -> bytes:
    """zstd-decompressed bytes, refusing more than limit (a zstd bomb)."""
    out = io.BytesIO()
    _copy_limited(_zstd_reader(io.BytesIO(data)), out, limit, "a compressed part")
    return out.getvalue()


def _zstd_reader(src):
    import zstandard

    return zstandard.ZstdDecompressor().stream_reader(src)


def _copy_limited(src, dst, limit: int, what: str) -> int:
    """Copy src to dst in chunks; DamagedPackage as soon as more than limit bytes come out."""
    total = 0
    while chunk := src.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise DamagedPackage(f"{what} unpacks to more than {limit >> 20} MB (the file is damaged or a "
                                 f"decompression bomb)")
        dst.write(chunk)
    return total


def _read_small(z: zipfile.ZipFile, member: str) -> bytes:
    """A small member (metadata, media list), refused when it declares more than MAX_LIST bytes."""
    if z.getinfo(member).file_size > MAX_LIST:
        raise DamagedPackage(f"its {member} list is {z.getinfo(member).file_size >> 20} MB, far more than a "
                             f"package holds (the file is damaged or a decompression bomb)")
    return z.read(member)


# -- reading packages ----------------------------------------------------------------------------------------
@dataclass
class Package:
    """An opened Anki file: its collection database, package version and media members."""

    collection: Path
    version: int
    path: Path
    media: dict[str, str]  # zip member -> file name
    zip: zipfile.ZipFile | None
    kind: str

    def copy_media(self, member: str, dst) -> int:
        """Write a media file's content (decompressed in the modern format) to the open file dst, in bounded memory."""
        info = self.zip.getinfo(member)
        limit = _allowed(info.compress_size)
        if info.file_size > limit:
            raise DamagedPackage(f"{self.path.name}: media file {member} claims {info.file_size >> 20} MB "
                                 f"(the file is damaged or a decompression bomb)")
        try:
            with self.zip.open(member) as src:
                head = src.read(4)
                if self.version >= LATEST_PACKAGE and head == ZSTD_MAGIC:
                    return _copy_limited(_zstd_reader(_Prefixed(head, src)), dst, limit, f"media file {member}")
                dst.write(head)
                return len(head) + _copy_limited(src, dst, limit, f"media file {member}")
        except DamagedPackage:
            raise
        except _zip_errors() as exc:
            raise DamagedPackage(f"{self.path.name}: media file {member} is damaged ({exc})") from exc
        except OSError as exc:
            if dst.closed or exc.errno not in (None, 22):  # disk errors of the target are not damage
                raise
            raise DamagedPackage(f"{self.path.name}: media file {member} is damaged ({exc})") from exc


class _Prefixed(io.RawIOBase):
    """A stream that gives back bytes already read, then the rest of src (zstd needs the frame's magic)."""

    def __init__(self, head: bytes, src):
        self.head, self.src = head, src

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.src.read(n)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


@contextlib.contextmanager
def open_package(path: Path) -> Iterator[Package]:
    """Unpack the collection of an .apkg/.colpkg (or take a bare collection file) into a temporary folder."""
    path = Path(path)
    if not path.is_file():
        raise JobError(f"{path} does not exist")
    with open(path, "rb") as f:
        head = f.read(16)
    with tempfile.TemporaryDirectory(prefix="lmgpa-anki-") as tmp:
        if head == SQLITE_MAGIC:
            yield Package(path, 1, path, {}, None, "collection")
            return
        if not zipfile.is_zipfile(path):
            raise JobError(f"{path.name} is not an Anki package (.apkg, .colpkg) or collection (.anki2); Anki 1 "
                           "decks (.anki) must be opened in Anki 2 or later and exported again")
        try:
            z = zipfile.ZipFile(path)
        except (*_zip_errors(), OSError) as exc:  # nothing is written yet: any OSError here is the file's
            raise DamagedPackage(f"{path.name} is damaged and could not be opened as an Anki package ({exc})") from exc
        with z:
            target = Path(tmp) / "collection.sqlite"
            version, media = _unpack(path, z, target)
            kind = "colpkg" if path.suffix.lower() == ".colpkg" else "apkg"
            yield Package(target, version, path, media, z, kind)


def _unpack(path: Path, z: zipfile.ZipFile, target: Path) -> tuple[int, dict[str, str]]:
    """Write the package's collection to target; its package version and media map (zip member -> file name)."""
    try:
        names = set(z.namelist())
        version = decode("PackageMetadata", _read_small(z, "meta")).version if "meta" in names else 0
        for member, needed in (("collection.anki21b", LATEST_PACKAGE), ("collection.anki21", 0),
                               ("collection.anki2", 0)):
            if member in names and version >= needed:
                break
        else:
            shown = ", ".join(sorted(names)[:10]) + (", ..." if len(names) > 10 else "")
            raise JobError(f"{path.name} has no Anki collection inside (found: {shown or 'nothing'})")
        version = version or (2 if member == "collection.anki21" else 1)
        info = z.getinfo(member)
        limit = _allowed(info.compress_size)
        if info.file_size > limit:
            raise DamagedPackage(f"{path.name}: its collection claims {info.file_size >> 20} MB from "
                                 f"{info.compress_size >> 10} kB (the file is damaged or a decompression bomb)")
        with z.open(member) as src, open(target, "wb") as dst:
            reader = _zstd_reader(src) if member.endswith("b") else src
            _copy_limited(reader, dst, limit, f"{path.name}: its collection")
        media: dict[str, str] = {}
        if "media" in names:
            raw = _read_small(z, "media")
            if version >= LATEST_PACKAGE:
                entries = decode("MediaEntries", _unzstd(raw)).entries
                for index, entry in enumerate(entries):
                    member_name = str(entry.legacy_zip_filename if entry.HasField("legacy_zip_filename")
                                      else index)
                    media[member_name] = entry.name
            elif raw.strip():
                listed = json.loads(raw.decode("utf-8"))
                if not isinstance(listed, dict):
                    raise DamagedPackage(f"{path.name}: its media list is not a list of files")
                media = {str(k): str(v) for k, v in listed.items()}
        return version, {k: v for k, v in media.items() if k in names}
    except JobError:
        raise
    except _zip_errors() as exc:
        raise DamagedPackage(f"{path.name} is damaged or not a complete Anki package ({exc})") from exc
    except OSError as exc:
        if exc.errno != 22:  # EINVAL: zipfile seeking before the start of a damaged file; others are the disk's
            raise
        raise DamagedPackage(f"{path.name} is damaged or not a complete Anki package ({exc})") from exc
