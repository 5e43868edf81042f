"""The SQL of the self-test: full-text search (FTS5) and sqlite-vec used for real on a scratch database."""

from __future__ import annotations

import struct
from pathlib import Path

import sqlean

from lmgpa_desktop.storage.database import Database


def fts_roundtrip(path: Path) -> str:
    """Create an FTS5 table in a new file at path, index two rows and find one; returns a description."""
    conn = sqlean.connect(str(path))
    try:
        conn.execute("CREATE VIRTUAL TABLE words USING fts5(body)")
        conn.executemany("INSERT INTO words(body) VALUES (?)",
                         [("glycolysis splits glucose in the cytoplasm",), ("the citric acid cycle",)])
        found = conn.execute("SELECT rowid FROM words WHERE words MATCH 'glucose' ORDER BY bm25(words)").fetchall()
        version = conn.execute("SELECT sqlite_version()").fetchone()[0]
    finally:
        conn.close()
    if [row[0] for row in found] != [1]:
        raise RuntimeError(f"FTS5 found rows {found} for 'glucose' instead of row 1")
    return f"SQLite {version} (sqlean), FTS5 table created and searched"


def vec_roundtrip(path: Path) -> str:
    """Open a new database at path the way the app does (sqlite-vec loaded on every connection), store three
    vectors in a vec0 table and ask for the nearest; returns a description."""
    db = Database(path)
    try:
        with db.write(counted=False) as s:
            conn = s.connection().connection.driver_connection
            version = conn.execute("SELECT vec_version()").fetchone()[0]
            conn.execute("CREATE VIRTUAL TABLE probe USING vec0(embedding float[3])")
            for rowid, vector in ((1, (1.0, 0.0, 0.0)), (2, (0.0, 1.0, 0.0)), (3, (0.0, 0.0, 1.0))):
                conn.execute("INSERT INTO probe(rowid, embedding) VALUES (?, ?)", (rowid, _blob(vector)))
            nearest = conn.execute("SELECT rowid, distance FROM probe WHERE embedding MATCH ? AND k = 1",
                                   (_blob((0.1, 0.9, 0.0)),)).fetchall()
            distance = conn.execute("SELECT vec_distance_l2(?, ?)",
                                    (_blob((0.0, 0.0, 0.0)), _blob((3.0, 4.0, 0.0)))).fetchone()[0]
    finally:
        db.dispose()
    if not nearest or nearest[0][0] != 2:
        raise RuntimeError(f"vec0 returned {nearest} as the nearest vector instead of row 2")
    if abs(distance - 5.0) > 1e-6:
        raise RuntimeError(f"vec_distance_l2 gave {distance} instead of 5.0")
    return f"sqlite-vec {version} loaded on a connection; vec0 nearest-neighbour query and vec_distance_l2 correct"


def _blob(vector: tuple[float, ...]) -> bytes:
    """A float32 vector as sqlite-vec stores it."""
    return struct.pack(f"{len(vector)}f", *vector)
