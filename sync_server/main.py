"""`lmgpa-server`: run the sync server with uvicorn."""

from __future__ import annotations

import argparse
import os
import sys

from sync_server.settings import ConfigError, ServerSettings


def main(argv: list[str] | None = None) -> int:
    """Parse flags, validate settings, start uvicorn."""
    p = argparse.ArgumentParser(prog="lmgpa-server", description="Little Monster GPA sync server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8400)
    p.add_argument("--db-url", help="SQLAlchemy URL (default: DATABASE_URL or a SQLite file here)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--dev", action="store_true", help="development mode: allows a missing or weak JWT secret")
    args = p.parse_args(argv)
    if args.dev:
        os.environ["LMGPA_DEV"] = "1"
    if args.db_url:
        os.environ["DATABASE_URL"] = args.db_url
    try:
        ServerSettings.from_env()  # fail fast, before workers start
    except ConfigError as exc:
        print(f"lmgpa-server: error: {exc}", file=sys.stderr)
        return 1
    import uvicorn

    uvicorn.run("sync_server.app:factory", factory=True, host=args.host, port=args.port, workers=args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
