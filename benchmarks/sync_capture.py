"""What change capture costs: N card inserts (one transaction each, as the student adds them), one bulk insert of
N cards (an import), and N review answers, timed with personal sync disabled and enabled on fresh profiles.

Usage: python benchmarks/sync_capture.py [--n 1000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def run(n: int, enabled: bool) -> dict:
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.study import review
    from lmgpa_desktop.storage import cards_repo
    from lmgpa_desktop.storage.sync import outbox_repo

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:  # a closing profile may still write
        ctx = open_app(Path(tmp) / "home")
        try:
            if enabled:
                outbox_repo.enable(ctx.db, {"server_url": "http://bench", "email": "b@x", "user_id": 1})
            deck = cards_repo.create_deck(ctx.db, "Bench")
            started = time.perf_counter()
            ids = [cards_repo.create_card(ctx.db, deck.id, f"front {i}", f"back {i}").id for i in range(n)]
            inserts = time.perf_counter() - started
            started = time.perf_counter()
            cards_repo.bulk_insert_cards(ctx.db, [{"deck_id": deck.id, "front": f"bulk {i}", "back": "b"}
                                                  for i in range(n)])
            bulk = time.perf_counter() - started
            now = datetime.now(UTC)
            started = time.perf_counter()
            for i, card_id in enumerate(ids):
                review.answer(ctx, card_id, 3, duration_ms=4000, now=now + timedelta(seconds=i))
            answers = time.perf_counter() - started
            return {"sync": "enabled" if enabled else "disabled", "inserts_ms_each": round(inserts / n * 1000, 3),
                    "bulk_insert_s": round(bulk, 3), "answers_ms_each": round(answers / n * 1000, 3),
                    "outbox_messages": outbox_repo.waiting(ctx.db)}
        finally:
            ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    rows = [run(args.n, enabled) for enabled in (False, True, False, True)]  # twice each: the first warms up
    print(json.dumps({"n": args.n, "runs": rows[2:]}, indent=1))


if __name__ == "__main__":
    main()
