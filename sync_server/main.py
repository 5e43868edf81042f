"""`lmgpa-server`: migrate the database, then run the sync server with uvicorn (also `./run server`)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from sync_server.settings import DEFAULT_DATABASE_URL, ConfigError, DatabaseSettings, ServerSettings

ROLES = ("student", "teacher", "admin")
KEEP_ALIVE_S = 5  # uvicorn's default, stated: an idle keep-alive connection is closed after this
GRACEFUL_STOP_S = 10  # on SIGTERM, open notification streams end after this (clients resume with Last-Event-ID)


def _set_role(argv: list[str]) -> int:
    """`lmgpa-server set-role EMAIL ROLE [--db-url URL]`: how the first admin is made."""
    p = argparse.ArgumentParser(prog="lmgpa-server set-role", description="change the role of an account")
    p.add_argument("email")
    p.add_argument("role", choices=ROLES)
    p.add_argument("--db-url", default=DatabaseSettings().database_url)
    args = p.parse_args(argv)
    from sqlalchemy import select

    from sync_server import migrate, models
    from sync_server.db import Database

    db = Database(args.db_url)
    migrate.upgrade(db)
    with db.session() as s:
        user = s.scalar(select(models.User).where(models.User.email == args.email.strip().lower()))
        if user is None:
            print(f"lmgpa-server: error: no account with the email {args.email}", file=sys.stderr)
            return 1
        user.role = args.role
    print(f"{args.email} is now {args.role}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse flags, validate settings, migrate once, start uvicorn (several workers share nothing but the DB)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["set-role"]:
        return _set_role(argv[1:])
    if argv[:1] == ["check-config"]:
        from sync_server.check_config import main as check_config

        return check_config(argv[1:])
    p = argparse.ArgumentParser(prog="lmgpa-server", description="Little Monster GPA sync server "
                                "(also: lmgpa-server set-role EMAIL student|teacher|admin; "
                                "lmgpa-server check-config [--env-file FILE] [--smtp] [--public-url URL])")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8400)
    p.add_argument("--db-url", help="SQLAlchemy URL, e.g. postgresql://user@host/db (default: DATABASE_URL or "
                   f"{DEFAULT_DATABASE_URL.removeprefix('sqlite:///')} in the current folder)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--dev", action="store_true", help="development mode: allows a missing or weak JWT secret")
    args = p.parse_args(argv)
    if args.dev:
        os.environ["LMGPA_DEV"] = "1"
    if args.db_url:
        os.environ["DATABASE_URL"] = args.db_url
    try:
        settings = ServerSettings.from_env()  # fail fast, before workers start
    except ConfigError as exc:
        print(f"lmgpa-server: error: {exc}", file=sys.stderr)
        return 1
    from sync_server import migrate
    from sync_server.db import Database

    try:
        db = Database(settings.database_url)
        migrate.upgrade(db)  # once here, so workers starting together do not race to migrate
        db.dispose()
    except Exception as exc:  # noqa: BLE001 - any driver error means the database cannot be used
        print(f"lmgpa-server: error: cannot open the database {settings.database_url}: {exc}", file=sys.stderr)
        return 1
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if settings.dev_mode:
        logging.getLogger("sync_server").warning("development mode: do not use this server for real accounts")
    from sync_server.app import MAX_CONCURRENT_REQUESTS

    # The guarded protocol closes connections whose request head or body does not arrive in time (settings
    # HEADER_TIMEOUT_SECONDS, BODY_TIMEOUT_SECONDS); idle keep-alive connections close after KEEP_ALIVE_S.
    uvicorn.run("sync_server.app:factory", factory=True, host=args.host, port=args.port, workers=args.workers,
                limit_concurrency=MAX_CONCURRENT_REQUESTS, timeout_keep_alive=KEEP_ALIVE_S,
                timeout_graceful_shutdown=GRACEFUL_STOP_S,
                http="sync_server.http_protocol:GuardedHttpToolsProtocol")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
