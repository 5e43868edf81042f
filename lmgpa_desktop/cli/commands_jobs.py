"""`lmgpa jobs`: see, run, cancel and retry queued work."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lmgpa_desktop.cli.common import open_ctx, run_queued_with_bar

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add `jobs` and its actions."""
    p = sub.add_parser("jobs", help="list, run, cancel or retry background jobs")
    p.add_argument("action", nargs="?", default="list", choices=["list", "run", "cancel", "retry", "log"])
    p.add_argument("job_id", nargs="?", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_jobs)


def cmd_jobs(args) -> int:
    """Dispatch a jobs action."""
    ctx = open_ctx(args)
    if args.action == "list":
        return _list(ctx, args.json)
    if args.action == "run":
        return _run(ctx, args.job_id)
    if args.job_id is None:
        raise ValueError(f"jobs {args.action} needs a job id")
    if args.action == "cancel":
        print(f"job {args.job_id}: {ctx.jobs.cancel(args.job_id) or 'not found'}")
    elif args.action == "retry":
        ctx.jobs.retry(args.job_id)
        print(f"job {args.job_id}: queued")
    else:
        from lmgpa_desktop.storage import jobs_repo

        for at, level, message in jobs_repo.log_lines(ctx.db, args.job_id):
            print(f"{at:%Y-%m-%d %H:%M:%S} {level:<7} {message}")
    return 0


def _list(ctx: AppContext, as_json: bool) -> int:
    from lmgpa_desktop.cli import print_json

    jobs = ctx.jobs.recent(50)
    if as_json:
        print_json([j.__dict__ for j in jobs])
        return 0
    for j in jobs:
        pct = f"{j.fraction * 100:5.1f}%" if j.fraction is not None else "   -  "
        print(f"{j.id:>5} {j.state:<9} {pct} {j.kind:<18} {j.title[:40]:<40} {j.error or j.message}")
    return 0


def _run(ctx: AppContext, job_id: int | None) -> int:
    """Recover interrupted jobs, then run one job or every queued job in this process."""
    ctx.jobs.recover_interrupted()
    targets = [job_id] if job_id else [j.id for j in reversed(ctx.jobs.recent(10_000)) if j.state == "queued"]
    failed = 0
    for jid in targets:
        job = ctx.jobs.get(jid)
        final = run_queued_with_bar(ctx, jid, f"#{jid} {job.title if job else ''}", raise_on_failure=False)
        print(f"job {jid}: {final.state}{': ' + final.error if final.error else ''}")
        failed += final.state != "done"
    return 1 if failed else 0
