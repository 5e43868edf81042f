"""Chunks of sources, their FTS5 words and vec0 vectors, and the queries over them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select, text, update

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Chunk, Source


@dataclass(frozen=True)
class ChunkDraft:
    """A passage to index, with where it came from."""

    text: str
    page_no: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    region: list | None = None  # [x, y, w, h] on the page image


@dataclass(frozen=True)
class ChunkRow:
    """An indexed passage with its source."""

    id: int
    source_id: int
    source_title: str
    source_kind: str
    text: str
    page_no: int | None
    start_s: float | None
    end_s: float | None
    region: list | None


def replace_chunks(db: Database, source_id: int, drafts: list[ChunkDraft]) -> list[int]:
    """Swap a source's passages for new ones (triggers drop the old words and vectors)."""
    with db.write() as s:
        s.execute(delete(Chunk).where(Chunk.source_id == source_id))
        rows = [Chunk(source_id=source_id, ordinal=i, text=d.text, page_no=d.page_no, start_s=d.start_s,
                      end_s=d.end_s, region=d.region) for i, d in enumerate(drafts)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def _bump(s) -> None:
    """Say that the vectors changed (search caches compare this number)."""
    s.execute(text("UPDATE index_state SET generation = generation + 1 WHERE id = 1"))


def generation(db: Database) -> int:
    """A number that changes whenever passages or vectors change."""
    with db.read() as s:
        return int(s.execute(text("SELECT generation FROM index_state WHERE id = 1")).scalar())


def all_vectors(db: Database) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(generation, chunk ids, vectors, source ids, course ids) of every live passage, read in one transaction."""
    with db.read() as s:
        gen = int(s.execute(text("SELECT generation FROM index_state WHERE id = 1")).scalar())
        rows = s.execute(text("SELECT chunk_id, embedding, source_id, course_id FROM chunks_vec WHERE live = 1")).all()
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return gen, empty, np.zeros((0, 384), dtype=np.float32), empty, empty
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
    sources = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    courses = np.fromiter((r[3] for r in rows), dtype=np.int64, count=len(rows))
    return gen, ids, matrix, sources, courses


def pending(db: Database, source_id: int | None = None, limit: int = 256) -> list[tuple[int, str]]:
    """(id, text) of passages still without a vector."""
    with db.read() as s:
        q = select(Chunk.id, Chunk.text).where(Chunk.embedded.is_(False)).order_by(Chunk.id).limit(limit)
        if source_id is not None:
            q = q.where(Chunk.source_id == source_id)
        return [(r[0], r[1]) for r in s.execute(q)]


def count_pending(db: Database, source_id: int | None = None) -> int:
    """How many passages still need a vector."""
    with db.read() as s:
        q = select(text("count(*)")).select_from(Chunk).where(Chunk.embedded.is_(False))
        if source_id is not None:
            q = q.where(Chunk.source_id == source_id)
        return int(s.scalar(q))


def store_vectors(db: Database, ids: list[int], vectors: np.ndarray) -> None:
    """Insert the vectors of passages, tagged with their source, class and trash state."""
    with db.write() as s:
        meta = {r.id: r for r in s.execute(
            select(Chunk.id, Chunk.source_id, Source.course_id, Source.deleted_at)
            .join(Source, Source.id == Chunk.source_id).where(Chunk.id.in_(ids)))}
        for chunk_id, vector in zip(ids, vectors):
            row = meta.get(chunk_id)
            if row is None:  # the source was re-indexed or deleted meanwhile
                continue
            s.execute(text("DELETE FROM chunks_vec WHERE chunk_id = :id"), {"id": chunk_id})
            s.execute(
                text("INSERT INTO chunks_vec(chunk_id, embedding, source_id, course_id, live) "
                     "VALUES (:id, :v, :source, :course, :live)"),
                {"id": chunk_id, "v": np.asarray(vector, dtype=np.float32).tobytes(), "source": row.source_id,
                 "course": row.course_id or 0, "live": int(row.deleted_at is None)})
        if meta:
            s.execute(update(Chunk).where(Chunk.id.in_(list(meta))).values(embedded=True))
            _bump(s)


def sync_source_scope(db: Database, source_id: int) -> None:
    """After a source moves class or to/from the trash, carry that into its vectors."""
    with db.write() as s:
        src = s.get(Source, source_id)
        s.execute(text("UPDATE chunks_vec SET course_id = :course, live = :live "
                       "WHERE chunk_id IN (SELECT id FROM chunks WHERE source_id = :source)"),
                  {"course": src.course_id or 0, "live": int(src.deleted_at is None), "source": source_id})
        _bump(s)


STOPWORDS = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i if in into is it its me my "
    "no not of on or our she so than that the their them then there these they this to was we were what when "
    "where which who whom why will with would you your".split())


def fts_query(query: str, prefix_last: bool = False, all_words: bool = False) -> str | None:
    """An FTS5 expression for what a student typed: all or any of the words (the last a prefix while typing)."""
    words = re.findall(r"\w+", query.lower())
    # Common words make long posting lists and rank nothing; keep them only if nothing else was typed.
    words = [w for w in words if w not in STOPWORDS] or words
    if not words:
        return None
    last = f'"{words[-1]}"*' if prefix_last and len(words[-1]) >= 3 else f'"{words[-1]}"'
    terms = [f'"{w}"' for w in words[:-1]] + [last]
    return (" AND " if all_words else " OR ").join(terms)


def _scope_sql(source_ids: list[int] | None, course_id: int | None) -> tuple[str, dict]:
    clauses, params = [], {}
    if source_ids:
        clauses.append(f"c.source_id IN ({','.join(str(int(i)) for i in source_ids)})")
    if course_id is not None:
        clauses.append("s.course_id = :course")
        params["course"] = course_id
    return "".join(f" AND {c}" for c in clauses), params


def search_words(db: Database, query: str, limit: int = 50, source_ids: list[int] | None = None,
                 course_id: int | None = None, prefix_last: bool = False) -> list[tuple[int, float]]:
    """(chunk id, bm25 score) best first, live sources in scope only.

    Passages with all the words come first; any-word matches are only computed when those are few, because
    ranking every passage that has one common word ("code", "first") is what makes big libraries slow.
    """
    every = _word_matches(db, fts_query(query, prefix_last, all_words=True), limit, source_ids, course_id)
    if len(every) >= min(limit, 10) or fts_query(query) == fts_query(query, all_words=True):
        return every
    seen = {cid for cid, _ in every}
    some = _word_matches(db, fts_query(query, prefix_last), limit, source_ids, course_id)
    return (every + [hit for hit in some if hit[0] not in seen])[:limit]


def _word_matches(db: Database, expr: str | None, limit: int, source_ids: list[int] | None,
                  course_id: int | None) -> list[tuple[int, float]]:
    """Run one FTS5 expression, best first."""
    if expr is None:
        return []
    with db.read() as s:
        if not source_ids and course_id is None:
            # Rank in FTS5 alone (joins slow bm25 down ~2x on big libraries), then drop trashed sources.
            ranked = s.execute(text("SELECT rowid, bm25(chunks_fts) AS score FROM chunks_fts "
                                    "WHERE chunks_fts MATCH :q ORDER BY score LIMIT :limit"),
                               {"q": expr, "limit": limit * 2}).all()
            live = _live_ids(s, [r[0] for r in ranked])
            return [(r[0], r[1]) for r in ranked if r[0] in live][:limit]
        scope, params = _scope_sql(source_ids, course_id)
        sql = text(
            "SELECT c.id, bm25(chunks_fts) AS score "
            "FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid JOIN sources s ON s.id = c.source_id "
            f"WHERE chunks_fts MATCH :q AND s.deleted_at IS NULL{scope} ORDER BY score LIMIT :limit")
        return [(r[0], r[1]) for r in s.execute(sql, {"q": expr, "limit": limit, **params})]


def _live_ids(s, chunk_ids: list[int]) -> set[int]:
    """Which of these passages belong to sources that are not in the trash."""
    if not chunk_ids:
        return set()
    rows = s.execute(select(Chunk.id).join(Source, Source.id == Chunk.source_id)
                     .where(Chunk.id.in_(chunk_ids), Source.deleted_at.is_(None)))
    return {r[0] for r in rows}


def search_vectors(db: Database, vector: np.ndarray, k: int = 50, source_ids: list[int] | None = None,
                   course_id: int | None = None) -> list[tuple[int, float]]:
    """(chunk id, cosine distance) nearest first, filtered inside the index."""
    filters, params = ["live = 1"], {"v": np.asarray(vector, dtype=np.float32).tobytes(), "k": k}
    if source_ids:
        filters.append(f"source_id IN ({','.join(str(int(i)) for i in source_ids)})")
    if course_id is not None:
        filters.append("course_id = :course")
        params["course"] = course_id
    sql = text("SELECT chunk_id, distance FROM chunks_vec WHERE embedding MATCH :v AND k = :k AND "
               + " AND ".join(filters) + " ORDER BY distance")
    with db.read() as s:
        return [(r[0], r[1]) for r in s.execute(sql, params)]


def chunks_by_id(db: Database, ids: list[int]) -> dict[int, ChunkRow]:
    """Passages with their source's title and kind."""
    if not ids:
        return {}
    with db.read() as s:
        rows = s.execute(select(Chunk, Source.title, Source.kind).join(Source, Source.id == Chunk.source_id)
                         .where(Chunk.id.in_(ids)))
        return {c.id: ChunkRow(c.id, c.source_id, title, kind, c.text, c.page_no, c.start_s, c.end_s, c.region)
                for c, title, kind in rows}


def chunk_count(db: Database) -> int:
    """Passages in the index."""
    with db.read() as s:
        return int(s.scalar(select(text("count(*)")).select_from(Chunk)))


def chunk_count_of(db: Database, source_id: int) -> int:
    """Passages of one source."""
    with db.read() as s:
        return int(s.scalar(select(text("count(*)")).select_from(Chunk).where(Chunk.source_id == source_id)))
