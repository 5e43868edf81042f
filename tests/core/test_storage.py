"""Storage: migrations, pragmas, extensions, FTS5 and vec0, write locking, backups, bad files."""

from __future__ import annotations

import numpy as np
import pytest
import sqlean
from sqlalchemy import inspect, text

from lmgpa_desktop.core.profile import StartupError, open_app
from lmgpa_desktop.storage import migrate
from lmgpa_desktop.storage.base import Base, utcnow
from lmgpa_desktop.storage.models import Card, Deck, ReviewLog, Source
from lmgpa_desktop.storage import search_repo, sources_repo
from lmgpa_desktop.storage.search_repo import ChunkDraft
from lmgpa_desktop.core.library import library

# These tests are about the migrations and what they build: every profile here is migrated for real.
pytestmark = pytest.mark.real_migration


def _unit(i: int, dim: int = 384) -> list[float]:
    """The i-th basis vector."""
    v = [0.0] * dim
    v[i % dim] = 1.0
    return v


def test_migrations_from_empty_create_every_table(ctx):
    with ctx.db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert {"chunks_fts", "chunks_vec", "alembic_version"} <= tables
    assert migrate.current_revision(ctx.db) == migrate.head_revision()
    assert ctx.migration_backup is None  # nothing to protect in a new file


def test_pragmas_in_effect_on_every_connection(ctx):
    for _ in range(3):  # several pooled connections
        with ctx.db.read() as s:
            assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert s.execute(text("PRAGMA busy_timeout")).scalar() == 15000
            assert s.execute(text("SELECT vec_version()")).scalar().startswith("v")


def test_vec0_knn_returns_nearest_rows_and_filters_inside_the_index(ctx):
    a = sources_repo.create(ctx.db, kind="txt", title="a")
    b = sources_repo.create(ctx.db, kind="txt", title="b")
    ids = search_repo.replace_chunks(ctx.db, a.id, [ChunkDraft(f"chunk {i}") for i in range(1, 41)])
    ids_b = search_repo.replace_chunks(ctx.db, b.id, [ChunkDraft("other")])
    vectors = np.array([_unit(i) for i in range(1, 41)], dtype=np.float32)
    search_repo.store_vectors(ctx.db, ids, vectors)
    search_repo.store_vectors(ctx.db, ids_b, np.array([_unit(17)], dtype=np.float32))
    assert search_repo.count_pending(ctx.db) == 0
    query = np.array(_unit(17), dtype=np.float32) * 0.9 + np.array(_unit(30), dtype=np.float32) * 0.1
    rows = search_repo.search_vectors(ctx.db, query, k=3)
    assert {rows[0][0], rows[1][0]} == {ids[16], ids_b[0]} and rows[2][0] == ids[29]
    only_a = search_repo.search_vectors(ctx.db, query, k=2, source_ids=[a.id])
    assert [r[0] for r in only_a] == [ids[16], ids[29]]
    library.trash(ctx, b.id)  # trashed sources leave the results, inside the index
    assert ids_b[0] not in [r[0] for r in search_repo.search_vectors(ctx.db, query, k=5)]
    library.restore(ctx, b.id)
    assert ids_b[0] in [r[0] for r in search_repo.search_vectors(ctx.db, query, k=5)]


def test_fts5_finds_words_with_stemming_and_follows_changes(ctx):
    src = sources_repo.create(ctx.db, kind="txt", title="biology")
    docs = ["Mitochondria are the powerhouse of the cell.", "Photosynthesis happens in chloroplasts.",
            "The cell membrane controls what enters the cell."]
    ids = search_repo.replace_chunks(ctx.db, src.id, [ChunkDraft(d) for d in docs])

    def match(q, typing=False):
        return sorted(r[0] for r in search_repo.search_words(ctx.db, q, prefix_last=typing))

    assert match("cells") == [ids[0], ids[2]]  # porter stemming
    assert match("chloroplast") == [ids[1]]
    assert match("photosynth") == [] and match("photosynth", typing=True) == [ids[1]]  # unfinished last word
    new_ids = search_repo.replace_chunks(ctx.db, src.id, [ChunkDraft("Ribosomes build proteins.")])
    assert match("cell") == [] and match("ribosome") == new_ids
    with ctx.db.read() as s:
        assert s.execute(text("SELECT count(*) FROM chunks_vec")).scalar() == 0


def test_write_sessions_take_the_write_lock_up_front(ctx):
    # sqlean, not sqlite3: two SQLite libraries in one process do not see each other's POSIX locks.
    other = sqlean.connect(str(ctx.db.path), timeout=0, isolation_level=None)
    try:
        with ctx.db.write() as s:
            s.add(Source(kind="txt", title="x"))
            s.flush()
            with pytest.raises(sqlean.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free again after commit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_review_log_is_append_only(ctx):
    with ctx.db.write() as s:
        deck = Deck(name="d")
        s.add(deck)
        s.flush()
        card = Card(deck_id=deck.id, front="q", back="a")
        s.add(card)
        s.flush()
        s.add(ReviewLog(uuid="r1", card_id=card.id, rating=3, reviewed_at=utcnow()))
    for statement in ("UPDATE review_logs SET rating = 1", "DELETE FROM review_logs"):
        with pytest.raises(Exception, match="append-only"):
            with ctx.db.write() as s:
                s.execute(text(statement))
    with ctx.db.read() as s:
        assert s.execute(text("SELECT rating FROM review_logs")).scalar() == 3


def test_existing_file_is_backed_up_before_migrating(home):
    home.mkdir(parents=True)
    legacy = sqlean.connect(str(home / "lmgpa.sqlite3"))
    legacy.execute("CREATE TABLE legacy_notes(body TEXT)")
    legacy.execute("INSERT INTO legacy_notes VALUES ('keep me')")
    legacy.commit()
    legacy.close()
    ctx = open_app(home)
    try:
        assert ctx.migration_backup is not None and ctx.migration_backup.is_file()
        copy = sqlean.connect(str(ctx.migration_backup))
        assert copy.execute("SELECT body FROM legacy_notes").fetchall() == [("keep me",)]
        copy.close()
    finally:
        ctx.close()


def test_reopening_is_a_no_op(home):
    first = open_app(home)
    first.settings.set("ui.theme", "dark")
    first.close()
    second = open_app(home)
    try:
        assert second.migration_backup is None
        assert second.settings.get("ui.theme") == "dark"
    finally:
        second.close()


def test_a_file_that_is_not_a_database_gives_a_clear_error(home):
    home.mkdir(parents=True)
    (home / "lmgpa.sqlite3").write_bytes(b"this is a text file, not SQLite" * 200)
    with pytest.raises(StartupError, match="is damaged.*Nothing has been changed or deleted"):
        open_app(home)
    assert (home / "lmgpa.sqlite3").read_bytes().startswith(b"this is a text file")  # left untouched


def test_a_database_from_a_newer_version_is_refused(home):
    ctx = open_app(home)
    with ctx.db.write() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    ctx.close()
    with pytest.raises(StartupError, match="newer version"):
        open_app(home)


def test_data_folder_that_cannot_be_created_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StartupError, match="cannot use the data folder"):
        open_app(blocker / "home")


def test_head_constant_matches_alembic():
    assert migrate.HEAD == migrate.head_revision()


def test_the_models_and_the_migrations_describe_the_same_schema(ctx):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with ctx.db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # FTS5/vec0 shadow tables and SQLite's own indexes are not described by the models.
    ignored = ("chunks_fts", "chunks_vec", "index_state", "sqlite_")
    real = [d for d in diff if not any(name in str(d) for name in ignored)]
    assert real == []


def _open_files(path) -> int:
    """How many of this process's file descriptors point at path."""
    import os

    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
        except OSError:
            pass
    return count


def test_a_connection_in_use_while_the_database_closes_is_closed_when_handed_back(tmp_path):
    """A worker still reading when the profile closes must not keep the file open (a restore would refuse it)."""
    import gc

    from lmgpa_desktop.storage.database import Database

    path = tmp_path / "profile.sqlite3"
    db = Database(path)
    gc.disable()  # what the collector would close by chance is exactly what must not be needed
    try:
        with db.read() as other, db.read() as session:
            session.execute(text("SELECT 1"))
            other.execute(text("SELECT 2"))
            db.dispose()  # both connections are still in use
        assert _open_files(path) == 0
    finally:
        gc.enable()
