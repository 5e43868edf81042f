"""`lmgpa deck import|export|list` and `lmgpa due`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.cli.common import open_ctx, run_job_with_bar

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the deck and review commands."""
    p = sub.add_parser("deck", help="flashcard decks: import and export Anki packages, list")
    deck_sub = p.add_subparsers(dest="deck_command", metavar="ACTION", required=True)
    q = deck_sub.add_parser("import", help="import an Anki .apkg, .colpkg or .anki2 file")
    q.add_argument("file", type=Path)
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_import)
    q = deck_sub.add_parser("export", help="export a deck as an .apkg that Anki opens")
    q.add_argument("deck", help="deck name or id")
    q.add_argument("-o", "--output", type=Path, required=True, help="the .apkg file to write")
    q.set_defaults(handler=cmd_export)
    q = deck_sub.add_parser("list", help="decks with their cards and what is due today")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_list)

    p = sub.add_parser("due", help="cards due today per deck (learning, review, new within the daily limit)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_due)


def find_deck(ctx: AppContext, key: str):
    """A live deck by id or by name (case-insensitive)."""
    from lmgpa_desktop.storage import cards_repo

    if key.strip().isdigit():
        deck = cards_repo.get_deck(ctx.db, int(key))
        if deck and deck.deleted_at is None:
            return deck
    deck = cards_repo.deck_named(ctx.db, key)
    if deck is None:
        names = ", ".join(d.name for d in cards_repo.decks(ctx.db)) or "none yet"
        raise ValueError(f"there is no deck {key!r} (decks: {names})")
    return deck


def cmd_import(args) -> int:
    """Import one Anki file with a progress bar; print what arrived."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.study.anki import importing as anki_import

    anki_import.check_importable(args.file.expanduser())
    ctx = open_ctx(args)
    job = run_job_with_bar(ctx, "deck.import", {"path": str(args.file.expanduser().resolve())},
                           f"import {args.file.name}")
    r = job.result
    if args.json:
        print_json(r)
        return 0
    print(f"{r['notes']} notes, {r['cards']} cards ({r['cards_added']} new, {r['cards_updated']} updated), "
          f"{r['media']} media files, {r['review_logs']} reviews into {', '.join(r['decks']) or 'no deck'}")
    return 0


def cmd_export(args) -> int:
    """Write a deck as .apkg."""
    ctx = open_ctx(args)
    deck = find_deck(ctx, args.deck)
    job = run_job_with_bar(ctx, "deck.export", {"deck_id": deck.id, "path": str(args.output.expanduser().resolve())},
                           f"export {deck.name}")
    r = job.result
    print(f"{r['notes']} notes, {r['cards']} cards, {r['media']} media files -> {r['path']}")
    return 0


def _rows(ctx: AppContext) -> list[dict]:
    from lmgpa_desktop.core.study import review

    return [{"id": c.deck_id, "name": c.name, "learning": c.learning, "review": c.review, "new": c.new,
             "due": c.due + c.new, "new_per_day": c.new_per_day} for c in review.deck_counts(ctx)]


def cmd_list(args) -> int:
    """Decks with their size and today's counts."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.storage import cards_repo

    ctx = open_ctx(args)
    sizes = cards_repo.deck_sizes(ctx.db)
    rows = [{**r, "cards": sizes.get(r["id"], 0)} for r in _rows(ctx)]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no decks yet: `lmgpa deck import FILE.apkg` brings one in")
    for r in rows:
        print(f"{r['id']:>5}  {r['cards']:>7} cards  {r['learning']:>4} learning  {r['review']:>5} review  "
              f"{r['new']:>4} new  {r['name']}")
    return 0


def cmd_due(args) -> int:
    """What is left to study today, per deck and in total."""
    from lmgpa_desktop.cli import print_json

    ctx = open_ctx(args)
    rows = _rows(ctx)
    total = {k: sum(r[k] for r in rows) for k in ("learning", "review", "new", "due")}
    if args.json:
        print_json({"decks": rows, "total": total})
        return 0
    for r in rows:
        print(f"{r['name']}: {r['learning']} learning, {r['review']} review, {r['new']} new")
    print(f"total: {total['learning']} learning, {total['review']} review, {total['new']} new "
          f"({total['due']} cards today)")
    return 0
