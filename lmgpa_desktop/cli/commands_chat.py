"""`lmgpa ask`: a grounded answer from the library, with its citations."""

from __future__ import annotations

import argparse
import sys

from lmgpa_desktop.cli.common import open_ctx, scope_from_args


def register(sub: argparse._SubParsersAction) -> None:
    """Add the chat command."""
    p = sub.add_parser("ask", help="ask a question of your library; the answer cites its sources")
    p.add_argument("question")
    p.add_argument("--source", type=int, help="only this source id")
    p.add_argument("--class", dest="course", help="only this class")
    p.add_argument("--json", action="store_true", help="print {answer, citations, grounded} as JSON")
    p.set_defaults(handler=cmd_ask)


def cmd_ask(args) -> int:
    """Answer a question; in a terminal each sentence appears as soon as it is written and checked."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.study.chat import ask as chat

    ctx = open_ctx(args)
    live = sys.stdout.isatty() and not args.json
    streamed: list[str] = []
    final = None
    for event in chat.answer(ctx, args.question, scope_from_args(ctx, args)):
        if event.kind == "token":
            if live:
                sys.stdout.write(event.text if streamed else event.text.lstrip())
                sys.stdout.flush()
            streamed.append(event.text)
        else:
            final = event.message
    if args.json:
        print_json({"answer": final.content, "grounded": final.grounded, "citations": [
            {"n": c.number, "source_id": c.source_id, "title": c.source_title, "location": c.location,
             "page": c.page_no, "start": c.start_s, "end": c.end_s, "snippet": c.snippet}
            for c in final.citations]})
        return 0
    # The stream holds only checked sentences, so in a terminal it already is the answer.
    if live:
        print()
    else:
        print(final.content)
    if final.citations:
        print()
    for c in final.citations:
        where = f", {c.location}" if c.location else ""
        print(f"[{c.number}] {c.source_title}{where} (source {c.source_id})\n    “{c.snippet}”")
    return 0

