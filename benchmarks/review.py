"""Review latency in a 100k-card collection: core.review.next_card (all decks and one deck) and the card
browser's first page, against a bare-SQL baseline of the same due query on a plain sqlean connection.

The collection is built with cards_repo.bulk_insert_cards: 10 decks; 55% review cards due from 10 days ago to
a year ahead, 2% learning cards due within the hour around now, 43% new. Card texts are the real notes of
the shared Ultimate Geography deck (rendered by our importer), cycled. Each timed next_card is followed by an
(untimed) answer, so the queue moves as in a real session. Goal: next card p95 under 50 ms.
Usage: python benchmarks/review.py [--cards 100000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
DECK = SHARED / "anki" / "ultimate-geography" / "UG_EN_textonly.apkg"
BARE_DUE = """SELECT id FROM cards WHERE status = 'active' AND due < ? AND deleted_at IS NULL AND suspended IS 0
              AND ((state IN (1, 3) AND due <= ?) OR state = 2)
              ORDER BY CASE WHEN state = 2 THEN 1 ELSE 0 END, due, id LIMIT 1"""


def build(ctx, n: int) -> list[int]:
    """n cards in 10 decks (see the module docstring); returns the deck ids."""
    from lmgpa_desktop.core.study.anki import importing as anki_import
    from lmgpa_desktop.storage import cards_repo

    source = anki_import.import_file(ctx, DECK)
    texts = [(c.front, c.back, c.tags) for c in cards_repo.cards_of_deck(ctx.db, source.deck_ids[0])]
    cards_repo.delete_deck(ctx.db, source.deck_ids[0])
    rng = random.Random(7)
    now = datetime.now(UTC)
    deck_ids = [cards_repo.create_deck(ctx.db, f"Bench {i}", new_per_day=20).id for i in range(10)]
    for start in range(0, n, 10_000):
        rows = []
        for i in range(start, min(n, start + 10_000)):
            front, back, tags = texts[i % len(texts)]
            row = {"deck_id": deck_ids[i % len(deck_ids)], "front": f"{front} #{i}", "back": back, "tags": tags}
            pick = rng.random()
            if pick < 0.55:
                due = now + timedelta(days=rng.uniform(-10, 365))
                ivl = rng.uniform(1, 200)
                row.update(state=2, stability=ivl, difficulty=rng.uniform(2, 9), due=due,
                           last_review=due - timedelta(days=ivl))
            elif pick < 0.57:
                row.update(state=1, step=1, stability=1.0, difficulty=5.0,
                           due=now + timedelta(minutes=rng.uniform(-60, 60)), last_review=now - timedelta(hours=1))
            rows.append(row)
        cards_repo.bulk_insert_cards(ctx.db, rows)
    return deck_ids


def timed(fn, rounds: int, after=None) -> list[float]:
    """Milliseconds per call of fn over rounds calls; after(result) runs untimed between calls."""
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t) * 1000)
        if after:
            after(result)
    return out


def summary(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    import sqlean

    from lmgpa_desktop.core.study import card_actions, decks, review
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.storage import card_browse_repo
    from lmgpa_desktop.storage.base import UTCDateTime

    with tempfile.TemporaryDirectory() as tmp:
        ctx = open_app(Path(tmp) / "home")
        t = time.perf_counter()
        deck_ids = build(ctx, args.cards)
        print(f"built {args.cards} cards in {time.perf_counter() - t:.1f} s")

        def answer(card):
            if card is not None:
                review.answer(ctx, card.id, 3)

        results = {
            "next_card (all decks)": timed(lambda: review.next_card(ctx), args.rounds, answer),
            "next_card (one deck)": timed(lambda: review.next_card(ctx, deck_ids[3]), args.rounds, answer),
            "deck list with counts": timed(lambda: review.deck_counts(ctx), max(10, args.rounds // 10)),
            "browser first page, by due": timed(lambda: card_browse_repo.browse(ctx.db, limit=100), args.rounds),
            "browser first page, search 'capital'": timed(
                lambda: card_browse_repo.browse(ctx.db, "capital", limit=100), args.rounds),
            "browser count, search 'capital'": timed(
                lambda: card_browse_repo.browse_count(ctx.db, "capital"), max(10, args.rounds // 10)),
        }
        # The same due query and row fetch on a bare connection: the floor our layers add to.
        conn = sqlean.connect(str(ctx.db.path))
        conv = UTCDateTime()

        def bare():
            now = datetime.now(UTC)
            _start, end = review.day_bounds(now)
            row = conn.execute(BARE_DUE, (conv.process_bind_param(end, None),
                                          conv.process_bind_param(now, None))).fetchone()
            return conn.execute("SELECT * FROM cards WHERE id = ?", row).fetchone() if row else None

        results["bare SQL due query + row"] = timed(bare, args.rounds)

        # The browser as the student sees it (HTML stripped, cloze rendered) against the unrendered page, and a
        # bulk suspend + unsuspend of 10,000 selected cards (with its undo record) against the bare UPDATEs.
        ids = [r[0] for r in conn.execute("SELECT id FROM cards WHERE deleted_at IS NULL LIMIT 10000")]
        extra = {
            "browser page rendered (core)": timed(lambda: decks.browse(ctx, limit=100), args.rounds),
            # the same page from storage alone: what rendering the text as studied adds
            "storage browser page (unrendered)": timed(lambda: card_browse_repo.browse(ctx.db, limit=100),
                                                       args.rounds),
            "suspend+unsuspend 10k (core)": timed(lambda: (card_actions.set_suspended(ctx, ids, True),
                                                           card_actions.set_suspended(ctx, ids, False)), 5),
        }

        def bare_suspend():
            for value in (1, 0):
                conn.execute("UPDATE cards SET suspended = ? WHERE id IN (SELECT value FROM json_each(?))",
                             (value, json.dumps(ids)))
                conn.commit()

        extra["bare SQL suspend+unsuspend 10k"] = timed(bare_suspend, 5)
        conn.close()
        ctx.close()

    base_p50, _ = summary(results["bare SQL due query + row"])
    print(f"{'measure':40} {'p50 ms':>8} {'p95 ms':>8} {'p50/bare':>9}")
    for name, ms in results.items():
        p50, p95 = summary(ms)
        print(f"{name:40} {p50:8.2f} {p95:8.2f} {p50 / base_p50:9.1f}x")
    for ours, bare_name in (("browser page rendered (core)", "storage browser page (unrendered)"),
                            ("suspend+unsuspend 10k (core)", "bare SQL suspend+unsuspend 10k")):
        ours_p50, bare_p50 = summary(extra[ours])[0], summary(extra[bare_name])[0]
        print(f"{ours:40} {ours_p50:8.2f} ms  bare {bare_p50:8.2f} ms  ratio {ours_p50 / bare_p50:5.1f}x")
    p95 = summary(results["next_card (all decks)"])[1]
    print(f"goal next card p95 < 50 ms: {'met' if p95 < 50 else 'NOT met'} ({p95:.1f} ms)")


if __name__ == "__main__":
    main()
