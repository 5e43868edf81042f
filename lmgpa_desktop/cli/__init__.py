"""`lmgpa`: no arguments opens the window; subcommands run the same use cases in the terminal."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable

from lmgpa_desktop import __version__
from lmgpa_desktop.cli import (
    commands_app, commands_capture, commands_chat, commands_decks, commands_jobs, commands_library, commands_ocr,
    commands_progress, commands_record, commands_reminders, commands_speech, commands_study,
)
from lmgpa_desktop.cli import commands_online
from lmgpa_desktop.cli import commands_archive
from lmgpa_desktop.cli import commands_check
from lmgpa_desktop.cli import commands_safety
from lmgpa_desktop.cli import commands_cards, commands_sync
from lmgpa_desktop.cli import commands_self_test

log = logging.getLogger(__name__)

# Each command module registers its subcommands on the parser.
COMMAND_MODULES = [commands_app, commands_capture, commands_record, commands_library, commands_chat, commands_ocr,
                   commands_decks, commands_speech, commands_study, commands_progress, commands_reminders, commands_jobs]
COMMAND_MODULES.append(commands_online)
COMMAND_MODULES.append(commands_archive)
COMMAND_MODULES.append(commands_check)
COMMAND_MODULES.append(commands_safety)
COMMAND_MODULES += [commands_cards, commands_sync]  # after commands_online: sync's actions hang under its `sync`
COMMAND_MODULES.append(commands_self_test)


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line interface."""
    parser = argparse.ArgumentParser(prog="lmgpa", description="Little Monster GPA: an offline study app.")
    parser.add_argument("--version", action="version", version=f"lmgpa {__version__}")
    parser.add_argument("--home", help="data folder to use (default: LMGPA_HOME or the one chosen in Settings)")
    parser.add_argument("--self-test", action="store_true", help="same as `lmgpa self-test` (add --json)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def print_json(data: object) -> None:
    """Machine-readable output."""
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lmgpa` console script."""
    argv = sys.argv[1:] if argv is None else argv
    argv = [("self-test" if a == "--self-test" else a) for a in argv]  # lmgpa --self-test [--json] = the command
    open_file = deck_to_open(argv)
    if open_file is not None:
        argv = argv[:-1]
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable | None = getattr(args, "handler", None)
    if handler is None:
        from lmgpa_desktop.app import run_gui

        return run_gui(home=args.home, open_file=open_file)
    return run_handler(handler, args)


ANKI_SUFFIXES = (".apkg", ".colpkg")  # what the desktop entry's `Exec=lmgpa %f` hands over (MIME application/x-apkg)


def deck_to_open(argv: list[str]) -> str | None:
    """`lmgpa [--home DIR] deck.apkg`: the deck to open in the window; None when argv is a subcommand's."""
    if not argv or not argv[-1].lower().endswith(ANKI_SUFFIXES) or argv[-1].startswith("-"):
        return None
    before = argv[:-1]
    # only options may come before it (a subcommand such as `decks import x.apkg` keeps its file)
    if any(not word.startswith("-") and (i == 0 or before[i - 1] != "--home") for i, word in enumerate(before)):
        return None
    if before and before[-1] == "--home":
        return None  # `--home x.apkg` names a data folder, oddly, not a deck
    return argv[-1]


def run_handler(handler: Callable, args: argparse.Namespace) -> int:
    """Run a subcommand; expected failures print one line, unexpected ones point at the log."""
    from pathlib import Path

    from lmgpa_desktop import logs, paths
    from lmgpa_desktop.core.errors import UserError

    try:  # log to the profile's file from the first line, so an early crash is on record too
        logs.configure(paths.logs_dir(Path(args.home) if getattr(args, "home", None) else None))
    except OSError:
        pass  # an unusable data folder is reported by the command itself
    from lmgpa_desktop.core.job_progress import JobError
    from lmgpa_desktop.engines.errors import ModelError

    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("lmgpa: interrupted", file=sys.stderr)
        return 130
    except (UserError, ModelError, JobError, ValueError, OSError) as exc:
        print(f"lmgpa: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - last resort: one line, details in the log
        log.exception("unexpected error in %s", getattr(args, "command", "?"))
        where = _log_path()
        print(f"lmgpa: unexpected error: {type(exc).__name__}: {exc} (details in {where})", file=sys.stderr)
        return 2


def _log_path() -> str:
    """The current log file, for error messages."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_lmgpa", False):
            return handler.baseFilename
    return "the log folder"
