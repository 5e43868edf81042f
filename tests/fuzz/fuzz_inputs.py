"""Hostile inputs for the importers: real files mutated byte by byte or inside their zip members, and crafted
packages (escaping entry names, symlinks, zip and zstd bombs, huge images, garbled SQLite, wrong protobuf)."""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import sys
import tempfile
import zipfile
import zlib
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support import ROOT, SHARED  # noqa: E402

from fuzz_harness import ESCAPE_DIR  # noqa: E402

SAMPLES = ROOT / "resources" / "samples"
ZIP_MAGIC = b"PK\x03\x04"


# ---------------------------------------------------------------------------------------------- seeds
@cache
def seeds(target: str) -> list[tuple[str, bytes]]:
    """(suffix, bytes) of the real files a target starts from (small ones, so each run stays quick)."""
    anki = SHARED / "anki"
    docs = SHARED / "documents"
    files = {
        "anki": [anki / "anki-pylib/media.apkg", anki / "anki-pylib/diffmodels2-1.apkg",
                 anki / "anki-pylib/update1.apkg", anki / "ankipandas/collection.anki2",
                 anki / "anki-pylib/anki2-alpha.anki2"],
        "document": [docs / "pdf/thinkpython2_ch01-02.pdf", SAMPLES / "sample_handout.pdf",
                     docs / "docx/docx_lists.docx", docs / "docx/word_tables.docx", docs / "markdown/mixed.md",
                     SAMPLES / "sample_handout.html"],
        "image": [SHARED / "ocr/phototest-rotated-L.png", SHARED / "ocr/phototest_2.tif"],
        "audio": [SHARED / "audio/jfk.flac", SHARED / "audio/stereo_diarization.wav", SAMPLES / "sample_lecture.ogg",
                  SHARED / "audio/multilingual.mp3"],
        "archive": [],  # made by archive_seed(): a real profile exported by `export-all`
    }[target]
    out = [(p.suffix, p.read_bytes()) for p in files]
    if target == "archive":
        out.append((".zip", archive_seed()))
    if target == "anki":
        out.append((".apkg", modern_apkg()))
    if target == "document":
        out.append((".pptx", pptx_seed()))
    if target == "image":
        out.extend([(".jpg", _image_bytes("JPEG")), (".webp", _image_bytes("WEBP")), (".gif", _image_bytes("GIF")),
                    (".bmp", _image_bytes("BMP"))])
    return out


@cache
def archive_seed() -> bytes:
    """A real `export-all` archive of a small profile: a deadline, a setting and a media file (the PDF handout)."""
    import tempfile
    from datetime import UTC, datetime, timedelta

    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.progress import deadlines
    from lmgpa_desktop.core.safety import archive

    with tempfile.TemporaryDirectory() as tmp:
        ctx = open_app(Path(tmp) / "home")
        try:
            deadlines.add(ctx, "Essay", datetime.now(UTC) + timedelta(days=3))
            ctx.settings.set("backups.interval_minutes", 45)
            folder = ctx.home / "media" / "0d1c5a2e-handout"
            folder.mkdir(parents=True)
            (folder / "handout.pdf").write_bytes((SAMPLES / "sample_handout.pdf").read_bytes())
            target = Path(tmp) / "everything.zip"
            for _ in archive.export_all(ctx, target):
                pass
            return target.read_bytes()
        finally:
            ctx.close()


@cache
def modern_apkg() -> bytes:
    """The modern package (collection.anki21b in zstd, protobuf meta) cut down to a few notes, so a run is quick."""
    import zstandard

    with zipfile.ZipFile(SHARED / "anki/ultimate-geography/UG_EN_textonly.apkg") as z:
        members = {name: z.read(name) for name in z.namelist()}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.sqlite"
        db.write_bytes(zstandard.ZstdDecompressor().stream_reader(io.BytesIO(members["collection.anki21b"])).read())
        conn = sqlite3.connect(db)
        conn.create_collation("unicase", lambda a, b: (a.casefold() > b.casefold()) - (a.casefold() < b.casefold()))
        conn.execute("DELETE FROM notes WHERE id NOT IN (SELECT id FROM notes ORDER BY id LIMIT 3)")
        conn.execute("DELETE FROM cards WHERE nid NOT IN (SELECT id FROM notes)")
        conn.commit()
        conn.execute("VACUUM")
        conn.close()
        members["collection.anki21b"] = zstandard.ZstdCompressor().compress(db.read_bytes())
    return rezip(members)


@cache
def pptx_seed() -> bytes:
    """A deck written by the app's own slide writer (python-pptx): titles, bullets, a table, notes."""
    from lmgpa_desktop.engines.slides import Bullet, SlideSpec, write_deck

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deck.pptx"
        write_deck(path, "Cellular respiration", "Week 3", [
            SlideSpec("Glycolysis", [Bullet("Glucose splits into two pyruvate", term="Step 1"),
                                     Bullet("Net two ATP", level=1)], notes="Mention the cytosol."),
            SlideSpec("Yield", table=[["Stage", "ATP"], ["Glycolysis", "2"], ["Krebs", "2"]])], ["Handout p. 1"])
        return path.read_bytes()


def _image_bytes(fmt: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("L", (120, 60), 255)
    ImageDraw.Draw(image).text((5, 20), "Mitochondria", fill=0)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def rezip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- byte mutations
INTERESTING = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f",
               b"\x00\x00\x00\x80", b"\x01\x00\x00\x00", b"%", b"<", b"{{c1::", b"\"", b"'", b"\n", b"9" * 20]


@st.composite
def mutated(draw, data: bytes, max_ops: int = 6) -> bytes:
    """The bytes with a few flips, overwrites with interesting values, inserts, deletions or a truncation."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, max_ops))):
        if not buf:
            break
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "duplicate"]))
        at = draw(st.integers(0, len(buf) - 1))
        if op == "flip":
            buf[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            value = draw(st.sampled_from(INTERESTING))
            buf[at:at + len(value)] = value
        elif op == "insert":
            buf[at:at] = draw(st.sampled_from(INTERESTING)) * draw(st.integers(1, 64))
        elif op == "delete":
            del buf[at:at + draw(st.integers(1, 256))]
        elif op == "truncate":
            del buf[at:]
        else:
            length = draw(st.integers(1, 512))
            buf[at:at] = buf[at:at + length] * draw(st.integers(1, 8))
    return bytes(buf)


@st.composite
def member_mutated(draw, data: bytes) -> bytes:
    """A zip package with one member's content mutated and the zip rebuilt (checksums right): reaches the parser."""
    import zstandard

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {name: z.read(name) for name in z.namelist()}
    name = draw(st.sampled_from(sorted(members)))
    content = members[name]
    packed = content[:4] == b"\x28\xb5\x2f\xfd"
    if packed:
        content = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(content)).read()
    content = draw(mutated(content))
    members[name] = zstandard.ZstdCompressor().compress(content) if packed else content
    return rezip(members)


def mutations(target: str) -> st.SearchStrategy[tuple[str, bytes]]:
    """(suffix, bytes): a seed mutated as raw bytes, or (zip packages) inside a member."""
    def one(seed: tuple[str, bytes]) -> st.SearchStrategy[tuple[str, bytes]]:
        suffix, data = seed
        options = [mutated(data)]
        if data[:4] == ZIP_MAGIC:
            options.append(member_mutated(data))
        return st.tuples(st.just(suffix), st.one_of(options))

    return st.sampled_from(seeds(target)).flatmap(one)


# ---------------------------------------------------------------------------------------------- SQLite inside Anki
WEIRD_VALUES = [None, "", "x", "\x1f\x1f", "{", "[]", "[1,2]", '{"s": "x"}', "{{c1::a", -1, 0, 2**63 - 1, -2**63,
                1e308, float("nan"), b"\x00\xff", "9" * 5000, "\ud7ff", "::", "a\x00b"]
COLLECTION_COLUMNS = {
    "col": ["ver", "crt", "models", "decks"],
    "notes": ["id", "guid", "mid", "tags", "flds"],
    "cards": ["id", "nid", "did", "ord", "type", "queue", "due", "ivl", "factor", "reps", "lapses", "odue", "odid",
              "data"],
    "revlog": ["id", "cid", "ease", "ivl", "lastIvl", "factor", "time", "type"],
    "notetypes": ["id", "name", "config"],
    "fields": ["ntid", "ord", "name"],
    "templates": ["ntid", "ord", "name", "config"],
    "decks": ["id", "name"],
}
HOSTILE_SCHEMA = [
    "DROP TABLE IF EXISTS revlog",
    "DROP TABLE IF EXISTS notetypes",
    "DROP TABLE IF EXISTS fields; CREATE VIEW fields(ntid, ord, name) AS WITH RECURSIVE c(x) AS "
    "(SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, x, 'f' FROM c",
    "DROP TABLE IF EXISTS decks; CREATE TABLE decks(id, name)",
    "ALTER TABLE notes RENAME TO notes_old",
    "DELETE FROM col",
    "INSERT INTO col SELECT * FROM col",
    "ALTER TABLE cards ADD COLUMN big AS (zeroblob(500000000))",
    "UPDATE col SET models = '" + "[" * 100000 + "'",
    "UPDATE col SET decks = '" + '{"a":' * 50000 + "'",
]


@st.composite
def garbled_collection(draw, data: bytes) -> bytes:
    """An Anki collection (SQLite) with odd values in its columns or a hostile schema, saved again."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.sqlite"
        db.write_bytes(data)
        conn = sqlite3.connect(db)
        conn.create_collation("unicase", lambda a, b: (a.casefold() > b.casefold()) - (a.casefold() < b.casefold()))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for _ in range(draw(st.integers(1, 4))):
            if draw(st.integers(0, 5)) == 0:
                statement = draw(st.sampled_from(HOSTILE_SCHEMA))
            else:
                table = draw(st.sampled_from(sorted(set(COLLECTION_COLUMNS) & tables)))
                column = draw(st.sampled_from(COLLECTION_COLUMNS[table]))
                value = draw(st.sampled_from(WEIRD_VALUES))
                statement = (f"UPDATE {table} SET {column} = ? WHERE rowid IN (SELECT rowid FROM {table} "
                             f"LIMIT {draw(st.integers(1, 3))})", value)
            try:
                if isinstance(statement, tuple):
                    conn.execute(*statement)
                else:
                    conn.executescript(statement)
            except sqlite3.Error:
                pass
        conn.commit()
        conn.close()
        return db.read_bytes()


def anki_collections() -> st.SearchStrategy[tuple[str, bytes]]:
    """Real collections, bare (.anki2) or inside a modern package, with garbled columns or schema."""
    import zstandard

    bare = [(s, d) for s, d in seeds("anki") if s == ".anki2"]
    with zipfile.ZipFile(io.BytesIO(modern_apkg())) as z:
        members = {n: z.read(n) for n in z.namelist()}
    modern = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(members["collection.anki21b"])).read()

    def repack(db: bytes) -> tuple[str, bytes]:
        return ".apkg", rezip({**members, "collection.anki21b": zstandard.ZstdCompressor().compress(db)})

    return st.one_of(
        st.sampled_from(bare).flatmap(lambda s: st.tuples(st.just(s[0]), garbled_collection(s[1]))),
        garbled_collection(modern).map(repack))


# ---------------------------------------------------------------------------------------------- crafted packages
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _media_entries(names: list[str]) -> bytes:
    """A MediaEntries protobuf: one entry (name, size) per file."""
    body = b""
    for name in names:
        raw = name.encode("utf-8", "surrogatepass")
        entry = b"\x0a" + _varint(len(raw)) + raw + b"\x10" + _varint(1)
        body += b"\x0a" + _varint(len(entry)) + entry
    return body


def _zip_with(entries: list[tuple[str, bytes]], symlink: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            if name == symlink:
                info.external_attr = (0o120777 << 16)  # a symlink entry, as unzip would create it
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return out.getvalue()


BOMB = 1 << 30  # what a bomb unpacks to: far more than any limit, half the worker's memory limit


@cache
def zstd_bomb(size: int) -> bytes:
    """A zstd frame of `size` zero bytes (a few kB), compressed without ever holding them in memory."""
    import zstandard

    out = io.BytesIO()
    with zstandard.ZstdCompressor(level=3).stream_writer(out, closefd=False) as w:
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            w.write(chunk)
    return out.getvalue()


@cache
def _zip_bomb_member(size: int) -> tuple[bytes, int]:
    """Raw deflate of `size` zero bytes (about 1 MB for a GB) and its CRC, built from one repeated block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)  # a full flush resets history: blocks repeat exactly
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(chunk, crc)
    return block * (size >> 20) + c.flush(), crc


def zip_raw(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of (name, stored bytes, declared size, crc, method) members written by hand (bombs, lies)."""
    body, central = b"", b""
    for name, raw, size, crc, method in members:
        name_b = name.encode()
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(raw), size,
                            len(name_b), 0) + name_b + raw
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(raw), size,
                               len(name_b), 0, 0, 0, 0, 0, offset) + name_b
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(body), 0)
    return body + central + end


def _bomb(name: str, size: int = 0, declared: int | None = None) -> tuple[str, bytes, int, int, int]:
    raw, crc = _zip_bomb_member(size or BOMB)
    return name, raw, declared if declared is not None else (size or BOMB), crc, 8


def _plain(members: dict[str, bytes]) -> list[tuple[str, bytes, int, int, int]]:
    return [(n, d, len(d), zlib.crc32(d), 0) for n, d in members.items()]


@cache
def crafted_anki() -> list[tuple[str, str, bytes]]:
    """(label, suffix, bytes) of hand-made hostile packages around the real collections."""
    import zstandard

    with zipfile.ZipFile(io.BytesIO(modern_apkg())) as z:
        modern = {n: z.read(n) for n in z.namelist()}
    legacy_collection = (SHARED / "anki/ankipandas/collection.anki2").read_bytes()
    zc = zstandard.ZstdCompressor()
    escape = str(ESCAPE_DIR / "abs")
    traversal = ["../x", "../../../../../../x", "..\\..\\x", escape, "a/../../x", "..", ".", "", "notetypes.json",
                 "a\x00b", "x" * 300, "COM1", ".hidden", "\ud800"]
    out = [
        ("legacy media map escaping", ".apkg", _zip_with([("collection.anki2", legacy_collection),
                                                          ("media", json.dumps({str(i): n for i, n in
                                                                                enumerate(traversal)}).encode()),
                                                          *[(str(i), b"media") for i in range(len(traversal))]])),
        ("members named ../x and absolute", ".apkg", _zip_with([("collection.anki2", legacy_collection),
                                                                ("../x", b"x"), (escape, b"x"), ("/etc/x", b"x")])),
        ("symlink member", ".apkg", _zip_with([("collection.anki2", legacy_collection), ("media", b'{"0": "link"}'),
                                               ("0", escape.encode())], symlink="0")),
        ("modern media map escaping", ".apkg", rezip({**modern, "media": zc.compress(_media_entries(traversal[:-1])),
                                                      **{str(i): zc.compress(b"m") for i in range(len(traversal))}})),
        ("zstd bomb collection", ".apkg", rezip({**modern, "collection.anki21b": zstd_bomb(BOMB)})),
        ("zstd bomb media map", ".apkg", rezip({**modern, "media": zstd_bomb(BOMB)})),
        ("zstd bomb media file", ".apkg", rezip({**modern, "media": zc.compress(_media_entries(["big.png"])),
                                                  "0": zstd_bomb(BOMB)})),
        ("zip bomb collection", ".apkg", zip_raw([_bomb("collection.anki2")])),
        ("zip bomb media file", ".apkg", zip_raw([*_plain({"collection.anki2": legacy_collection,
                                                           "media": b'{"0": "big.png"}'}), _bomb("0")])),
        ("zip bomb media map", ".apkg", zip_raw([*_plain({"collection.anki2": legacy_collection}), _bomb("media")])),
        ("declared 4 GB member", ".apkg", zip_raw([_bomb("collection.anki2", 1 << 20, 0xFFFFFFFE)])),
        ("wrong protobuf meta", ".apkg", rezip({**modern, "meta": b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"})),
        ("garbage protobuf meta", ".apkg", rezip({**modern, "meta": b"\x0a\xff\xff\xff\x0f"})),
        ("nested protobuf media map", ".apkg", rezip({**modern, "media": zc.compress(b"\x0a\x02\x0a\x00" * 3 +
                                                                                      b"\x0a\x80\x01" * 200)})),
        ("zstd garbage media map", ".apkg", rezip({**modern, "media": b"\x28\xb5\x2f\xfd" + b"\x00" * 20})),
        ("not zstd collection", ".apkg", rezip({**modern, "collection.anki21b": b"\x28\xb5\x2f\xfdjunk"})),
        ("truncated sqlite", ".apkg", rezip({"collection.anki2": legacy_collection[:5000]})),
        ("sqlite header only", ".anki2", legacy_collection[:100]),
        ("deep json media map", ".apkg", _zip_with([("collection.anki2", legacy_collection),
                                                    ("media", b"[" * 100000)])),
        ("media map not an object", ".apkg", _zip_with([("collection.anki2", legacy_collection),
                                                        ("media", b"[1, 2]")])),
        ("encrypted member", ".apkg", _encrypted_flag(rezip({"collection.anki2": legacy_collection}))),
        ("unsupported compression", ".apkg", _method(rezip({"collection.anki2": legacy_collection}), 99)),
        ("empty zip", ".apkg", rezip({})),
        ("empty file", ".apkg", b""),
    ]
    return [(label, suffix, data) for label, suffix, data in out]


def _encrypted_flag(data: bytes) -> bytes:
    """Set the encryption flag on every entry (local and central headers)."""
    buf = bytearray(data)
    for magic, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = buf.find(magic)
        while at >= 0:
            buf[at + offset] |= 1
            at = buf.find(magic, at + 4)
    return bytes(buf)


def _method(data: bytes, method: int) -> bytes:
    """Every entry claiming another compression method."""
    buf = bytearray(data)
    for magic, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = buf.find(magic)
        while at >= 0:
            buf[at + offset:at + offset + 2] = struct.pack("<H", method)
            at = buf.find(magic, at + 4)
    return bytes(buf)


@cache
def crafted_documents() -> list[tuple[str, str, bytes]]:
    """(label, suffix, bytes) of hand-made hostile documents and images."""
    docx = (SHARED / "documents/docx/docx_lists.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    deep_sdt = (b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                b'main"><w:body>' + b"<w:sdt><w:sdtContent>" * 5000 + b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" +
                b"</w:sdtContent></w:sdt>" * 5000 + b"</w:body></w:document>")
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
              b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i else b"&lol;") * 10)
                       for i in range(9)) +
              b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
              b"<w:p><w:r><w:t>&lol8;</w:t></w:r></w:p></w:body></w:document>")
    out = [
        ("docx deep content controls", ".docx", rezip({**parts, "word/document.xml": deep_sdt})),
        ("docx billion laughs", ".docx", rezip({**parts, "word/document.xml": laughs})),
        ("docx zip bomb part", ".docx", _bomb_into(docx, "word/document.xml")),
        ("docx not a zip", ".docx", b"PK\x03\x04" + b"\x00" * 100),
        ("docx ole", ".docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500),
        ("pptx missing parts", ".pptx", rezip({"[Content_Types].xml": b"<x/>"})),
        ("png 100000x100000", ".png", _png_header(100_000, 100_000)),
        ("png 12000x12000", ".png", _png_header(12_000, 12_000)),
        ("tiff 60000 pages claimed", ".tif", _tiff_claiming(60_000, 60_000)),
        ("html deep nesting", ".html", b"<div>" * 30_000 + b"x"),
        ("html deep tables", ".html", b"<table><tr><td>" * 10_000 + b"x"),
        ("markdown unclosed comments", ".md", b"<!--" * 250_000),
        ("text many blank paragraphs", ".txt", (b"word " * 1000 + b"\n \n") * 300),
        ("text one long word", ".txt", b"a" * 3_000_000),
        ("utf16 odd length", ".txt", b"\xff\xfe" + b"a\x00" * 10 + b"\x00"),
        ("pdf empty", ".pdf", b"%PDF-1.4\n%%EOF"),
        ("pdf huge page", ".pdf", _pdf_with_mediabox(14400, 14400)),
    ]
    return out


def _bomb_into(zip_bytes: bytes, member: str) -> bytes:
    """The package with one member replaced by 1 GB of zeros (deflated to about 1 MB)."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        parts = {n: z.read(n) for n in z.namelist() if n != member}
    return zip_raw([*_plain(parts), _bomb(member)])


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height pixels and holds one tiny compressed row."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1))) +
            chunk(b"IEND", b""))


def _tiff_claiming(width: int, height: int) -> bytes:
    """A little-endian TIFF whose one IFD declares a huge 8-bit image with a short strip."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, 16)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\x00" * 4
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00" * 16


def _pdf_with_mediabox(width: int, height: int) -> bytes:
    """A one-page PDF with no text and a page of width x height points (rendering must stay bounded)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] >>" % (width, height)]
    body = b"%PDF-1.4\n"
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


def crafted(target: str) -> list[tuple[str, str, bytes]]:
    """The crafted inputs of a target."""
    if target == "anki":
        return crafted_anki()
    if target in ("document", "image"):
        return [c for c in crafted_documents() if (c[1] in {".png", ".tif"}) == (target == "image")]
    return []
