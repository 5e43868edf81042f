"""Migration 0008 on a profile with data: every row gets a uuid, nothing is lost, and it can be undone."""

from __future__ import annotations

import re

from alembic import command
from sqlalchemy import text

from lmgpa_desktop import paths
from lmgpa_desktop.core.profile import open_app
from lmgpa_desktop.storage import migrate
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.sync.spec import SPECS

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NOW = "2026-12-01 10:00:00.000000"
TIMES = f"'{NOW}', '{NOW}'"
ROWS = [  # a profile written by the app before sync existed: children of recordings and transcripts included
    f"INSERT INTO sources (id, kind, title, status, uuid, created_at, updated_at) "
    f"VALUES (1, 'recording', 'Lecture', 'ready', 's-1', {TIMES})",
    "INSERT INTO document_pages (source_id, page_no, text, method) VALUES (1, 1, 'p1', 'text'), (1, 2, 'p2', 'text')",
    f"INSERT INTO recordings (id, source_id, directory, sample_rate, channels, state, created_at, updated_at) "
    f"VALUES (1, 1, '/r', 16000, 1, 'stopped', {TIMES})",
    f"INSERT INTO bookmarks (source_id, recording_id, at_s, created_at, updated_at) VALUES (1, 1, 3.5, {TIMES})",
    f"INSERT INTO photos (source_id, recording_id, path, created_at, updated_at) VALUES (1, 1, '/p.jpg', {TIMES})",
    f"INSERT INTO transcripts (id, source_id, kind, model, status, created_at, updated_at) "
    f"VALUES (1, 1, 'final', 'tiny', 'done', {TIMES})",
    "INSERT INTO transcript_segments (transcript_id, idx, start_s, end_s, text) "
    "VALUES (1, 0, 0, 1, 'a'), (1, 1, 1, 2, 'b')",
    f"INSERT INTO practice_tests (id, title, status, uuid, created_at, updated_at) "
    f"VALUES (1, 'T', 'ready', 't-1', {TIMES})",
    f"INSERT INTO questions (id, test_id, position, kind, prompt, answer, status, uuid, created_at, updated_at) "
    f"VALUES (1, 1, 0, 'short', 'q', 'a', 'active', 'q-1', {TIMES})",
    f"INSERT INTO test_attempts (id, test_id, started_at, uuid, created_at, updated_at) "
    f"VALUES (1, 1, '{NOW}', 'a-1', {TIMES})",
    "INSERT INTO attempt_answers (attempt_id, question_id, response) VALUES (1, 1, 'x')",
    f"INSERT INTO activity_events (kind, at, amount) VALUES ('review', '{NOW}', 1), ('read', '{NOW}', 2)",
]
COUNTS = {"document_pages": 2, "recordings": 1, "transcripts": 1, "transcript_segments": 2, "bookmarks": 1,
          "photos": 1, "attempt_answers": 1, "activity_events": 2}


def _at_0007(path) -> Database:
    db = Database(path)
    cfg = migrate.alembic_config()
    with db.engine.execution_options(immediate=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
        for statement in ROWS:
            conn.exec_driver_sql(statement)
    return db


def _count(conn, table: str) -> int:
    return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_an_old_profile_opened_by_the_app_migrates_to_0008_keeping_every_row(home):
    home.mkdir(parents=True)
    _at_0007(paths.database_path(home)).dispose()
    ctx = open_app(home)
    try:
        assert migrate.current_revision(ctx.db) == "0008"
        with ctx.db.read() as s:
            for table, count in COUNTS.items():
                uuids = [r[0] for r in s.execute(text(f"SELECT uuid FROM {table}"))]
                assert len(uuids) == len(set(uuids)) == count, table  # none lost to a table rebuild's cascade
                assert all(UUID4.match(u) for u in uuids), table
            device = s.execute(text("SELECT value FROM sync_state WHERE key = 'device'")).scalar_one()
            assert re.fullmatch(r"[0-9a-f]{16}", device)
            triggers = s.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                      "AND name LIKE 'sync_%'")).scalar_one()
            assert triggers == 3 * len(SPECS)
    finally:
        ctx.close()


def test_downgrade_removes_sync_and_keeps_the_data(tmp_path):
    db = _at_0007(tmp_path / "db.sqlite3")
    cfg = migrate.alembic_config()
    try:
        for target in ("head", "0007"):
            with db.engine.execution_options(immediate=True).begin() as conn:
                cfg.attributes["connection"] = conn
                (command.upgrade if target == "head" else command.downgrade)(cfg, target)
        with db.engine.connect() as conn:
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
            assert not {n for n in names if n.startswith("sync_")}  # tables and triggers
            assert not names & {f"uq_{t}_uuid" for t in COUNTS}
            assert "uuid" not in {r[1] for r in conn.execute(text("PRAGMA table_info(bookmarks)"))}
            assert "sched_base" not in {r[1] for r in conn.execute(text("PRAGMA table_info(cards)"))}
            assert {t: _count(conn, t) for t in COUNTS} == COUNTS
    finally:
        db.dispose()
