"""`lmgpa speak` (text or Markdown to an audio file) and `lmgpa slides` (Markdown or a note to a PPTX deck)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the speak and slides commands."""
    p = sub.add_parser("speak", help="read text or Markdown aloud into an audio file with the offline voice")
    p.add_argument("text", help="the text; - reads standard input, @FILE reads a text or Markdown file")
    p.add_argument("-o", "--output", type=Path, required=True, help="a .wav, .flac or .ogg file to write")
    p.add_argument("--speed", type=float, help="1 is the voice's pace, 1.5 is faster (default: the Settings speed)")
    p.set_defaults(handler=cmd_speak)

    p = sub.add_parser("slides", help="turn a Markdown file or a stored note into a PowerPoint deck")
    p.add_argument("markdown", nargs="?", type=Path, help="a Markdown file (or use --note)")
    p.add_argument("--note", type=int, help="the id of a stored note instead of a file")
    p.add_argument("-o", "--output", type=Path, required=True, help="the .pptx file to write")
    p.add_argument("--title", help="title slide text (default: the note's title or the first # heading)")
    p.set_defaults(handler=cmd_slides)


def read_text_argument(value: str) -> str:
    """TEXT as given, standard input for -, or a file's contents for @FILE."""
    if value == "-":
        return sys.stdin.read()
    if value.startswith("@") and len(value) > 1:
        path = Path(value[1:]).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path} is not a UTF-8 text file") from exc
    return value


def cmd_speak(args) -> int:
    """Speak the text into the output file with a progress bar."""
    from lmgpa_desktop.cli.common import open_ctx
    from lmgpa_desktop.cli.progress_bar import ProgressBar
    from lmgpa_desktop.core.study import read_aloud

    text = read_text_argument(args.text)
    if not read_aloud.sentences(text):
        raise ValueError("there is nothing to read aloud in this text")
    ctx = open_ctx(args)
    bar = ProgressBar(f"Speaking into {args.output.name}")
    steps = read_aloud.export_steps(ctx, text, args.output, args.speed)
    try:
        while True:
            try:
                bar.update(next(steps))
            except StopIteration as stop:
                result = stop.value
                break
    finally:
        bar.close()
        ctx.close()
    print(f"wrote {result['path']} ({result['seconds']:.1f} s, {result['sentences']} sentences)", file=sys.stderr)
    return 0


def cmd_slides(args) -> int:
    """Write the deck and say where it went."""
    from lmgpa_desktop.core.study.slides import export_note_pptx

    if (args.markdown is None) == (args.note is None):
        raise ValueError("give either a Markdown file or --note ID")
    if args.note is not None:
        from lmgpa_desktop.cli.common import open_ctx

        ctx = open_ctx(args)
        try:
            path = export_note_pptx(ctx, args.note, args.output, title=args.title)
        finally:
            ctx.close()
    else:
        try:
            markdown = args.markdown.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{args.markdown} is not a UTF-8 text file") from exc
        # A file needs no profile: nothing is read from or written to the library.
        path = export_note_pptx(None, markdown, args.output, title=args.title, fallback_title=args.markdown.stem)
    print(f"wrote {path}", file=sys.stderr)
    return 0
