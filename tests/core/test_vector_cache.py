"""The in-memory vector cache answers like sqlite-vec, follows every index change, never serves stale data."""

from __future__ import annotations

import time

import numpy as np

from lmgpa_desktop.core.library import library
from lmgpa_desktop.core.library import vector_cache
from lmgpa_desktop.storage import search_repo, sources_repo
from lmgpa_desktop.storage.search_repo import ChunkDraft


def _wait_loaded(cache, db):
    deadline = time.monotonic() + 60
    while cache.gen != search_repo.generation(db):
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_cache_matches_sqlite_vec_and_follows_changes(ctx, monkeypatch):
    monkeypatch.setattr(vector_cache, "MIN_PASSAGES", 0)
    rng = np.random.default_rng(3)
    sources = [sources_repo.create(ctx.db, kind="txt", title=f"s{i}") for i in range(3)]
    for src in sources:
        ids = search_repo.replace_chunks(ctx.db, src.id, [ChunkDraft(f"p{j}") for j in range(200)])
        vecs = rng.normal(size=(200, 384)).astype(np.float32)
        search_repo.store_vectors(ctx.db, ids, vecs / np.linalg.norm(vecs, axis=1, keepdims=True))
    cache = vector_cache.for_db(ctx.db)
    query = rng.normal(size=384).astype(np.float32)
    query /= np.linalg.norm(query)
    assert cache.search(query, 10, None, None) is None  # cold: the caller asks SQLite meanwhile
    _wait_loaded(cache, ctx.db)
    for scope in [(None, None), ([sources[1].id], None)]:
        fast = cache.search(query, 10, *scope)
        slow = search_repo.search_vectors(ctx.db, query, 10, *scope)
        assert [c for c, _ in fast] == [c for c, _ in slow]
        assert np.allclose([d for _, d in fast], [d for _, d in slow], atol=1e-5)
    library.trash(ctx, sources[0].id)  # any change makes the cache step aside until reloaded
    assert cache.search(query, 10, None, None) is None
    _wait_loaded(cache, ctx.db)
    hits = cache.search(query, 600, None, None)
    assert len(hits) == 400
