"""`lmgpa cards` (the live cards with their schedule) and `lmgpa review rate CARD_ID again|hard|good|easy`."""

from __future__ import annotations

import argparse

from lmgpa_desktop.cli.common import open_ctx

RATING_WORDS = {"again": 1, "hard": 2, "good": 3, "easy": 4}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the cards and review commands."""
    p = sub.add_parser("cards", help="the cards you study (all decks, or one) with their next due time")
    p.add_argument("--deck", metavar="NAME", help="one deck, by name or id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_cards)

    p = sub.add_parser("review", help="review flashcards from the terminal")
    r_sub = p.add_subparsers(dest="review_command", metavar="ACTION", required=True)
    q = r_sub.add_parser("rate", help="answer one card as in the Review page (FSRS schedules it)")
    q.add_argument("card_id", type=int, metavar="CARD_ID")
    q.add_argument("rating", choices=tuple(RATING_WORDS))
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_rate)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def card_dict(card, deck_name: str) -> dict:
    """A card as the CLI prints it."""
    return {"id": card.id, "uuid": card.uuid, "deck": deck_name, "front": card.front, "back": card.back,
            "due": _iso(card.due), "state": card.state, "step": card.step, "stability": card.stability,
            "difficulty": card.difficulty, "last_review": _iso(card.last_review), "suspended": card.suspended}


def cmd_cards(args) -> int:
    """List live cards (oldest first), of one deck or of every deck."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.cli.commands_decks import find_deck
    from lmgpa_desktop.storage import cards_repo

    ctx = open_ctx(args)
    decks = [find_deck(ctx, args.deck)] if args.deck else cards_repo.decks(ctx.db)
    rows = [card_dict(c, d.name) for d in decks for c in cards_repo.cards_of_deck(ctx.db, d.id)]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        front = " ".join(r["front"].split())
        print(f"{r['id']:>6}  due {r['due'][:16]}  {r['deck']}: {front[:60]}")
    if not rows:
        print("no cards yet")
    return 0


def cmd_rate(args) -> int:
    """Rate one card now; print when it is due next."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.study import review

    ctx = open_ctx(args)
    result = review.answer(ctx, args.card_id, RATING_WORDS[args.rating])
    ctx.gamification.stop()  # judge the answer's points before the process ends
    if args.json:
        print_json({"card_id": result.card_id, "rating": result.rating, "state": result.state,
                    "due": _iso(result.due), "interval_s": result.interval.total_seconds(),
                    "stability": result.stability, "difficulty": result.difficulty, "log_id": result.log_id})
        return 0
    print(f"card {result.card_id}: {review.RATINGS[result.rating]}, next due {result.due.astimezone():%a %d %b %H:%M}"
          f" (in {review.format_interval(result.interval)})")
    return 0
