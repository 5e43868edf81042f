"""App-level commands: gui, models, backup, server, bench."""

from __future__ import annotations

import argparse


from lmgpa_desktop.cli.common import open_ctx, run_job_with_bar
from lmgpa_desktop.core.formatting import human_size


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands."""
    p = sub.add_parser("gui", help="open the window (same as no command)")
    p.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--screenshot", help=argparse.SUPPRESS)  # with --exit-when-ready: save the window as PNG
    p.set_defaults(handler=cmd_gui)

    p = sub.add_parser("models", help="list each model with its path, size and whether it loads")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-load", action="store_true", help="only resolve paths, do not load the models")
    p.add_argument("--prepare", action="store_true",
                   help="build the local model files (joined GGUF, ONNX embedder) and print their paths")
    p.set_defaults(handler=cmd_models)

    p = sub.add_parser("backup", help="copy the database to the backups folder")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("server", help="run the sync server (same as lmgpa-server)")
    p.add_argument("server_args", nargs=argparse.REMAINDER)
    p.set_defaults(handler=cmd_server)

    p = sub.add_parser("bench", help="run speed benchmarks against the bare libraries (scripts in benchmarks/)")
    p.add_argument("names", nargs="*", help="which ones (default: list them)")
    p.add_argument("--all", action="store_true", help="run every benchmark (takes a while)")
    p.set_defaults(handler=cmd_bench)


def cmd_gui(args) -> int:
    """Open the window."""
    from lmgpa_desktop.app import run_gui

    return run_gui(home=args.home, exit_when_ready=args.exit_when_ready, screenshot=args.screenshot)



def cmd_models(args) -> int:
    """Resolve (and by default load) every model."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.model_registry import SPECS
    from lmgpa_desktop.engines.errors import ModelError

    ctx = open_ctx(args)
    if args.prepare:
        for key, path in ctx.models.prepare().items():
            print(f"{key}: {path}")
        return 0
    rows, failed = [], False
    for key in SPECS:
        info = ctx.models.info(key)
        status = info.error or "not loaded (--no-load)"
        loads = None
        if info.error is None and not args.no_load:
            try:
                status, loads = ctx.models.probe(key), True
            except ModelError as exc:
                status, loads = str(exc), False
        failed |= info.error is not None or loads is False
        rows.append({"key": key, "job": info.job, "name": info.name, "path": str(info.path) if info.path else None,
                     "custom": info.custom, "size_bytes": info.size_bytes, "loads": loads, "status": status})
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            mark = {True: "OK  ", False: "FAIL", None: "    " if r["path"] else "FAIL"}[r["loads"]]
            print(f"{mark} {r['key']:<9} {r['name']}{' (custom)' if r['custom'] else ''}")
            print(f"     path: {r['path'] or '-'}  size: {human_size(r['size_bytes'])}")
            print(f"     {r['status']}")
    return 1 if failed else 0


def cmd_backup(args) -> int:
    """Back up the database through the job queue."""
    ctx = open_ctx(args)
    job = run_job_with_bar(ctx, "backup", {}, "Backup")
    print(job.result["path"])
    return 0


def cmd_server(args) -> int:
    """Delegate to the sync server's entry point."""
    from sync_server.main import main as server_main

    return server_main(args.server_args)


def cmd_bench(args) -> int:
    """List the benchmark scripts of this checkout, or run the chosen ones with this Python."""
    import subprocess
    import sys
    from pathlib import Path

    from lmgpa_desktop.core.errors import UserError

    folder = Path(__file__).resolve().parents[2] / "benchmarks"
    scripts = {p.stem: p for p in sorted(folder.glob("*.py"))} if folder.is_dir() else {}
    if not scripts:
        raise UserError("the benchmarks/ folder is not here: run lmgpa bench from a checkout of the source")
    names = list(scripts) if args.all else args.names
    if not names:
        for name, path in scripts.items():
            doc = path.read_text(encoding="utf-8").split('"""')[1].strip().splitlines()[0]
            print(f"{name:<20} {doc}")
        return 0
    unknown = [n for n in names if n not in scripts]
    if unknown:
        raise UserError(f"no benchmark named {', '.join(unknown)}; choose from {', '.join(scripts)}")
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        failed += subprocess.run([sys.executable, str(scripts[name])]).returncode != 0
    return 1 if failed else 0
