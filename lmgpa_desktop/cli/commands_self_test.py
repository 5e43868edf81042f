"""`lmgpa self-test` (also `lmgpa --self-test`): use every native part once and print a table of the results."""

from __future__ import annotations

import argparse
import sys

HEADER = ("check", "result", "seconds", "detail")
WIDTHS = (14, 6, 7)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands."""
    p = sub.add_parser(
        "self-test", help="check that every part of the app works here (database, PDF, audio, models, OCR, Qt...)",
        description="Uses each native part of the app once for real: the database with full-text and vector search, "
                    "a PDF page, audio decoding and the media player, each model (speech to text, text to speech, "
                    "language model, embeddings), OCR, the keyring, the microphones and the free disk space. "
                    "Nothing in your data folder is changed. Exit status 1 when any check failed (a warning, such "
                    "as no microphone, is not a failure).")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--skip", nargs="+", default=[], metavar="NAME",
                   help="leave out these checks (names as in the table, e.g. llm whisper media-player)")
    p.set_defaults(handler=cmd_self_test)


def all_names() -> list[str]:
    """Every check's name, the Qt ones last."""
    from lmgpa_desktop.core import self_test
    from lmgpa_desktop.ui.shell import self_test_qt  # the one reason the CLI imports ui: the Qt checks

    return self_test.names() + list(self_test_qt.NAMES)


def cmd_self_test(args) -> int:
    """Run the checks, printing each row as it finishes (a crash in one native part still leaves the rows before
    it on the screen); exit 1 when any failed."""
    from pathlib import Path

    from lmgpa_desktop.core import self_test
    from lmgpa_desktop.ui.shell import self_test_qt

    skip = list(getattr(args, "skip", None) or [])
    unknown = sorted(set(skip) - set(all_names()))
    if unknown:
        raise ValueError(f"no check named {', '.join(unknown)} (checks: {', '.join(all_names())})")
    extra = []
    if not set(self_test_qt.NAMES) <= set(skip):
        self_test_qt.ensure_app()
        extra = self_test_qt.checks(skip)
    as_json = bool(getattr(args, "json", False))
    if not as_json:
        _row(HEADER)

    def progress(done: int, total: int, name: str) -> None:
        if name and sys.stderr is not None and sys.stderr.isatty():  # None in a windowed build
            print(f"  [{done + 1}/{total}] {name}…", end="\r", file=sys.stderr, flush=True)

    def show(result) -> None:
        if not as_json:
            _row((result.name, "FAIL" if result.status == self_test.FAIL else result.status,
                  f"{result.seconds:.2f}", result.detail))

    results = self_test.run(progress, extra_checks=extra, skip=skip,
                            home=Path(args.home) if getattr(args, "home", None) else None, on_result=show)
    failed = self_test.failed(results)
    if as_json:
        from lmgpa_desktop import __version__
        from lmgpa_desktop.cli import print_json

        print_json({"version": __version__, "ok": not failed, "results": [r.to_dict() for r in results]})
    else:
        print(f"\n{self_test.summary(results)}")
    return 1 if failed else 0


def _row(cells: tuple[str, ...]) -> None:
    """One line of the table: fixed columns, the detail last and whole."""
    fixed = "  ".join(str(c).ljust(w) for c, w in zip(cells, WIDTHS))
    print(f"{fixed}  {cells[-1]}", flush=True)
