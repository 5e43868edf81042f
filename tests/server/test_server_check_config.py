"""`lmgpa-server check-config`: a good configuration passes; each bad setting gives its FAIL line and exit 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from server_fixtures import STRONG_SECRET, free_port
from sqlalchemy import text

from sync_server import check_config, migrate
from sync_server.db import Database
from sync_server.main import main
from sync_server.settings import DEV_SECRET


def _migrated(url: str) -> str:
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    return url


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A server database at the newest revision, migrated once (each test gets a copy)."""
    path = tmp_path_factory.mktemp("migrated") / "server.sqlite3"
    _migrated(f"sqlite:///{path}")
    return path


@pytest.fixture
def good_env(tmp_path, migrated_sqlite) -> dict[str, str]:
    """A production-like configuration: strong secret, migrated SQLite file, an existing media folder."""
    (tmp_path / "blobs").mkdir()
    shutil.copyfile(migrated_sqlite, tmp_path / "server.sqlite3")
    return {"JWT_SECRET_KEY": STRONG_SECRET, "DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}",
            "SYNC_BLOB_DIR": str(tmp_path / "blobs"), "SMTP_HOST": "mail.school.example",
            "SMTP_FROM": "noreply@school.example", "SMTP_USER": "mailer", "SMTP_PASSWORD": "mail-password-xyz",
            "CORS_ORIGINS": "https://lmgpa.school.example"}


def _by_setting(results) -> dict[str, check_config.Check]:
    return {r.setting: r for r in results}


def test_a_good_configuration_passes_on_each_database(server_db_url, tmp_path):
    (tmp_path / "blobs").mkdir()
    env = {"JWT_SECRET_KEY": STRONG_SECRET, "DATABASE_URL": _migrated(server_db_url),
           "SYNC_BLOB_DIR": str(tmp_path / "blobs")}
    results = _by_setting(check_config.run(env))
    assert [r for r in results.values() if r.status == "fail"] == []
    assert results["DATABASE_URL"].status == "ok" and migrate.head() in results["DATABASE_URL"].detail
    assert "free" in results["SYNC_BLOB_DIR"].detail


def test_the_command_prints_a_table_without_secrets_and_exits_0(good_env, tmp_path, capsys, monkeypatch):
    for variable in good_env:
        monkeypatch.delenv(variable, raising=False)
    env_file = tmp_path / "env"
    env_file.write_text("# /etc/lmgpa-server/env\n" + "".join(f"{k}={v}\n" for k, v in good_env.items()))
    assert main(["check-config", "--env-file", str(env_file)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["setting", "result", "detail"]
    assert "FAIL" not in out.replace("0 FAIL", "")
    assert STRONG_SECRET not in out and "mail-password-xyz" not in out


BAD = [
    ({"JWT_SECRET_KEY": ""}, "JWT_SECRET_KEY", "not set"),
    ({"JWT_SECRET_KEY": "secret"}, "JWT_SECRET_KEY", "weak"),
    ({"JWT_SECRET_KEY": "ab" * 30}, "JWT_SECRET_KEY", "weak"),
    ({"JWT_SECRET_KEY": DEV_SECRET}, "JWT_SECRET_KEY", "development key"),
    ({"LMGPA_DEV": "1"}, "LMGPA_DEV", "development mode"),
    ({"DATABASE_URL": "postgresql://lmgpa:pw-not-shown@127.0.0.1:{closed}/lmgpa"}, "DATABASE_URL", "cannot open"),
    ({"DATABASE_URL": "sqlite:///{tmp}/no/such/folder/server.sqlite3"}, "DATABASE_URL", "not writable"),
    ({"DATABASE_URL": "sqlite://"}, "DATABASE_URL", "in memory"),
    ({"DATABASE_URL": "mysql://u@db/lmgpa"}, "DATABASE_URL", "not supported"),
    ({"SYNC_BLOB_DIR": "{tmp}/server.sqlite3/blobs"}, "SYNC_BLOB_DIR", "not writable"),
    ({"SMTP_FROM": "noreply"}, "SMTP_HOST", "SMTP_FROM must be an email address"),
    ({"SMTP_PASSWORD": ""}, "SMTP_HOST", "without SMTP_PASSWORD"),
    ({"SMTP_TLS": "none"}, "SMTP_HOST", "in clear"),
    ({"SMTP_PORT": "70000"}, "SMTP_PORT", "less than or equal to 65535"),
    ({"MAX_BODY_BYTES": str(128 * 1024 ** 2)}, "body and quota limits", "larger than MAX_UPLOAD_BYTES"),
    ({"MAX_UPLOAD_BYTES": "lots"}, "MAX_UPLOAD_BYTES", "valid integer"),
    ({"ACCESS_TOKEN_MINUTES": "0"}, "timeouts and tokens", "ACCESS_TOKEN_MINUTES must be at least 1"),
    ({"RATE_LIMIT_PER_MINUTE": "0"}, "auth throttle", "RATE_LIMIT_PER_MINUTE must be at least 1"),
    ({"CORS_ORIGINS": "https://lmgpa.school.example/app"}, "CORS_ORIGINS", "never matches"),
    ({"FORWARDED_ALLOW_IPS": "nginx.local"}, "FORWARDED_ALLOW_IPS", "not an IP address"),
]


@pytest.mark.parametrize(("change", "setting", "fragment"), BAD, ids=[f"{b[1]}-{b[2]}" for b in BAD])
def test_each_bad_setting_gives_its_fail_line(good_env, tmp_path, change, setting, fragment):
    env = {**good_env, **{k: v.format(tmp=tmp_path, closed=free_port()) for k, v in change.items()}}
    results = check_config.run(env)
    failed = {r.setting: r.detail for r in results if r.status == "fail"}
    assert list(failed) == [setting], results
    assert fragment in failed[setting]
    assert "pw-not-shown" not in failed[setting]


def test_the_command_exits_1_on_a_fail(good_env, capsys, monkeypatch):
    monkeypatch.setenv("JWT_SECRET_KEY", "")
    monkeypatch.setenv("DATABASE_URL", good_env["DATABASE_URL"])
    assert main(["check-config", "--public-url", "http://lmgpa.school.example"]) == 1
    out = capsys.readouterr().out
    assert "FAIL    not set" in out and "plain http" in out and out.rstrip().endswith("2 FAIL")


def test_the_schema_revision_is_compared_with_the_newest(good_env, tmp_path):
    db = Database(good_env["DATABASE_URL"])
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    db.dispose()
    result = _by_setting(check_config.run(good_env))["DATABASE_URL"]
    assert result.status == "fail" and "does not know" in result.detail
    empty = {**good_env, "DATABASE_URL": _empty_sqlite(tmp_path)}
    assert _by_setting(check_config.run(empty))["DATABASE_URL"].status == "warn"


def _empty_sqlite(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    Database(url).engine.dispose()
    with Database(url).engine.begin() as conn:
        conn.execute(text("CREATE TABLE unrelated (x INTEGER)"))
    return url


class _Accept:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def test_smtp_is_contacted_only_with_the_flag(good_env):
    env = {**good_env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port()), "SMTP_TLS": "none",
           "SMTP_USER": "", "SMTP_PASSWORD": ""}
    assert _by_setting(check_config.run(env))["SMTP_HOST"].status == "ok"  # nothing listens, nothing tried
    refused = _by_setting(check_config.run(env, smtp=True))["SMTP_HOST"]
    assert refused.status == "fail" and "ConnectionRefusedError" in refused.detail
    controller = Controller(_Accept(), hostname="127.0.0.1", port=int(env["SMTP_PORT"]))
    controller.start()
    try:
        reached = _by_setting(check_config.run(env, smtp=True))["SMTP_HOST"]
    finally:
        controller.stop()
    assert reached.status == "ok" and "connected" in reached.detail
