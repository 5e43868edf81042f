"""`lmgpa backup`: back up now, list, verify and restore backups of the profile."""

from __future__ import annotations

import argparse
from pathlib import Path

from lmgpa_desktop.core.formatting import human_size


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands."""
    p = sub.add_parser("backup", help="back up now, or list, verify and restore backups",
                       description="With no action: back up the database now (checked with integrity_check, "
                                   "compressed; media files are recorded and stored once). Backups live in the "
                                   "data folder's backups/ folder; older ones are thinned as Anki does.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=cmd_backup_now)
    actions = p.add_subparsers(dest="backup_action", metavar="ACTION")
    q = actions.add_parser("list", help="every backup, newest first: date, reason, size, check result")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(handler=cmd_backup_list)
    q = actions.add_parser("verify", help="check backups with integrity_check (all when no ID is given)")
    q.add_argument("id", nargs="?", help="the backup's id (see `lmgpa backup list`)")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(handler=cmd_backup_verify)
    q = actions.add_parser("restore", help="put a backup back (the app must be closed; the current data is kept)",
                           description="Restores a backup in place of the profile's database. The current database "
                                       "is backed up first (or moved to damaged/ when it fails its check), and media "
                                       "files the backup records that are missing are put back. Nothing is deleted.")
    q.add_argument("id", help="the backup's id (see `lmgpa backup list`)")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(handler=cmd_backup_restore)


def _home(args) -> Path:
    """The profile folder, without opening it (a damaged profile cannot be opened, but can be restored)."""
    from lmgpa_desktop import paths

    return Path(args.home) if getattr(args, "home", None) else paths.data_dir()


def _row(info) -> dict:
    return {"id": info.id, "path": str(info.path), "created": info.created.isoformat(), "reason": info.reason,
            "size": info.size, "verified": info.verified, "media_files": info.media_files}


def _checked(verified: bool | None) -> str:
    return {True: "ok", False: "DAMAGED", None: "not checked"}[verified]


def cmd_backup_now(args) -> int:
    """Back up through the job queue, with a progress bar."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.cli.common import open_ctx, run_job_with_bar

    ctx = open_ctx(args)
    try:
        job = run_job_with_bar(ctx, "backup", {"reason": "manual"}, "Backup")
    finally:
        ctx.close()
    if args.json:
        print_json(job.result)
    else:
        print(f"Backed up: {job.result['id']} ({human_size(job.result['size'])}, "
              f"{job.result['media_files']} media files recorded)")
        print(job.result["path"])
    return 0


def cmd_backup_list(args) -> int:
    """Print every backup, newest first."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.safety.backups import list_backups

    rows = list_backups(_home(args))
    if args.json:
        print_json([_row(b) for b in rows])
        return 0
    if not rows:
        print(f"No backups yet in {_home(args) / 'backups'}. `lmgpa backup` makes one.")
        return 0
    print(f"{'ID':<34} {'WHEN (local)':<17} {'REASON':<16} {'SIZE':>9}  {'CHECK':<12} MEDIA")
    for b in rows:
        print(f"{b.id:<34} {b.created.astimezone().strftime('%Y-%m-%d %H:%M'):<17} {b.reason:<16} "
              f"{human_size(b.size):>9}  {_checked(b.verified):<12} {b.media_files}")
    return 0


def cmd_backup_verify(args) -> int:
    """Check one backup, or all; exit status 1 when one is damaged."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.safety.backups import list_backups, verify_backup

    home = _home(args)
    ids = [args.id] if args.id else [b.id for b in list_backups(home)]
    results = [verify_backup(home, backup_id) for backup_id in ids]
    if args.json:
        print_json([_row(b) for b in results])
    elif not results:
        print("No backups to check.")
    for b in results if not args.json else ():
        print(f"{_checked(b.verified):<8} {b.id}")
    return 1 if any(b.verified is False for b in results) else 0


def cmd_backup_restore(args) -> int:
    """Restore a backup with a progress bar."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.cli.progress_bar import ProgressBar
    from lmgpa_desktop.core.safety.backups import restore_backup

    bar = ProgressBar(f"Restore {args.id}")
    gen, last = restore_backup(_home(args), args.id), ""
    try:
        while True:
            try:
                report = next(gen)
            except StopIteration as stop:
                db_path = stop.value
                break
            bar.update(report)
            last = report.message
    finally:
        bar.close()
    if args.json:
        print_json({"id": args.id, "database": str(db_path), "summary": last})
    else:
        print(f"{last[:1].upper()}{last[1:]}.")
        print(f"Database: {db_path}")
    return 0
