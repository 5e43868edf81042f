"""`lmgpa check`: SQLite's integrity_check on the profile's database, then the media report."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands."""
    p = sub.add_parser("check", help="check the database (integrity_check) and list missing or unused media files",
                       description="Checks the profile's database with SQLite's integrity_check, then lists media "
                                   "files the data points to that are missing and files in the media folder that "
                                   "nothing uses. It only reads: nothing is changed, moved or deleted. Exit status "
                                   "1 when the database is damaged or files it points to are missing.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_check)


def cmd_check(args) -> int:
    """Check the database file first (without opening the profile, which would refuse a damaged one)."""
    from lmgpa_desktop import paths
    from lmgpa_desktop.cli.common import open_ctx
    from lmgpa_desktop.core.safety import integrity, media_check

    home = Path(args.home) if getattr(args, "home", None) else paths.data_dir()
    db_path = paths.database_path(home)
    if not db_path.exists():
        raise ValueError(f"there is no profile in {home} (no {db_path.name})")
    result = integrity.full_check(db_path)
    database = {"path": str(db_path), "ok": result.ok, "problems": result.problems,
                "seconds": round(result.seconds, 3)}
    if not result.ok:
        damaged = integrity.damaged(home, db_path, result.problems)
        if args.json:
            newest = damaged.newest_backup
            _print_json({"database": database, "media": None,
                         "newest_verified_backup": newest.id if newest is not None else None})
        else:
            print(integrity.describe(damaged, commands=True))
        return 1
    ctx = open_ctx(args)
    try:
        report = media_check.media_report(ctx)
    finally:
        ctx.close()
    if args.json:
        _print_json({"database": database, "media": {
            "missing": [{"what": what, "id": row_id, "path": path} for what, row_id, path in report.missing],
            "orphans": [str(p) for p in report.orphans], "referenced": report.referenced, "files": report.files,
            "seconds": round(report.seconds, 3)}})
    else:
        print(f"Database: ok (integrity_check passed in {result.seconds:.2f} s): {db_path}")
        print(f"Media: {report.summary()}")
        for what, row_id, path in report.missing:
            print(f"  missing: {path}  ({what} {row_id})")
        for path in report.orphans:
            print(f"  not used: {path}")
    return 1 if report.missing else 0


def _print_json(data: dict) -> None:
    from lmgpa_desktop.cli import print_json

    print_json(data)
