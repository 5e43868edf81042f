"""An Anki file opened: the collection unpacked from an .apkg/.colpkg, its media list, the modern protobuf parts."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lmgpa_desktop.core.job_progress import JobError

SQLITE_MAGIC = b"SQLite format 3\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LATEST_PACKAGE = 3  # PackageMetadata.Version: collection.anki21b, zstd media, protobuf media list


# -- protobuf messages of the modern format (only the fields we read) ----------------------------------------
_MESSAGES: dict[str, type] = {}


def _message(name: str):
    """A protobuf class for the few Anki messages we decode, built from a descriptor at first use."""
    if not _MESSAGES:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

        fdp = descriptor_pb2.FileDescriptorProto(name="lmgpa_anki_subset.proto", package="lmgpa_anki",
                                                 syntax="proto3")
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
    """One of the Anki protobuf messages we read, decoded."""
    msg = _message(name)()
    msg.ParseFromString(data or b"")
    return msg


def _unzstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()


# -- reading packages ----------------------------------------------------------------------------------------
@dataclass
class Package:
    """An opened Anki file: its collection database, package version and media members."""

    collection: Path
    version: int
    media: dict[str, str]  # zip member -> file name
    zip: zipfile.ZipFile | None
    kind: str

    def media_bytes(self, member: str) -> bytes:
        """A media file's content (decompressed in the modern format)."""
        data = self.zip.read(member)
        if self.version >= LATEST_PACKAGE and data[:4] == ZSTD_MAGIC:
            data = _unzstd(data)
        return data


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
            yield Package(path, 1, {}, None, "collection")
            return
        if not zipfile.is_zipfile(path):
            raise JobError(f"{path.name} is not an Anki package (.apkg, .colpkg) or collection (.anki2); Anki 1 "
                           "decks (.anki) must be opened in Anki 2 or later and exported again")
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            version = decode("PackageMetadata", z.read("meta")).version if "meta" in names else 0
            for member, needed in (("collection.anki21b", LATEST_PACKAGE), ("collection.anki21", 0),
                                   ("collection.anki2", 0)):
                if member in names and version >= needed:
                    break
            else:
                raise JobError(f"{path.name} has no Anki collection inside (found: {', '.join(sorted(names))})")
            version = version or (2 if member == "collection.anki21" else 1)
            target = Path(tmp) / "collection.sqlite"
            with z.open(member) as src, open(target, "wb") as dst:
                if member.endswith("b"):
                    import zstandard

                    zstandard.ZstdDecompressor().copy_stream(src, dst)
                else:
                    shutil.copyfileobj(src, dst)
            media: dict[str, str] = {}
            if "media" in names:
                raw = z.read("media")
                if version >= LATEST_PACKAGE:
                    entries = decode("MediaEntries", _unzstd(raw)).entries
                    for index, entry in enumerate(entries):
                        member_name = str(entry.legacy_zip_filename if entry.HasField("legacy_zip_filename")
                                          else index)
                        media[member_name] = entry.name
                elif raw.strip():
                    media = {str(k): str(v) for k, v in json.loads(raw.decode("utf-8")).items()}
            media = {k: v for k, v in media.items() if k in names}
            kind = "colpkg" if path.suffix.lower() == ".colpkg" else "apkg"
            yield Package(target, version, media, z, kind)
