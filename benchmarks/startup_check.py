"""The start-up check on a large profile: PRAGMA quick_check against opening the profile without it, and
integrity_check (what `lmgpa check` and Settings → Backups run), on a profile with 100,000 cards.

The profile is built as benchmarks/review.py builds it (10 decks, real card texts from the shared Ultimate Geography
deck, review history states), then closed. Each round opens the profile in this process: "open without the check"
is core.context.open_context with the check switched off (database, migrations check, settings, job queue); "open
with the check" is the real path. The file is in the OS page cache after the first round (a warm start, the usual
case); --cold drops the page cache before every round (needs root) to show a start right after boot.
Usage: python benchmarks/startup_check.py [--cards 100000] [--rounds 5] [--cold]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # review.py's builder


def drop_caches() -> None:
    """Empty the OS page cache, so the next read comes from the disk."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def timed(fn, rounds: int, cold: bool) -> list[float]:
    """Seconds per call of fn."""
    out = []
    for _ in range(rounds):
        if cold:
            drop_caches()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="drop the OS page cache before each round (root)")
    args = parser.parse_args()

    from review import build

    from lmgpa_desktop.core import context
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.safety import integrity

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        ctx = open_app(home)
        t = time.perf_counter()
        build(ctx, args.cards)
        print(f"built {args.cards} cards in {time.perf_counter() - t:.1f} s")
        db_path = ctx.db.path
        ctx.close()
        size_mb = db_path.stat().st_size / 1e6

        with_check = timed(lambda: context.open_context(home, check=integrity.check_at_open).close(),
                           args.rounds, args.cold)
        without = timed(lambda: context.open_context(home).close(), args.rounds, args.cold)
        quick = timed(lambda: integrity.quick_check(db_path), args.rounds, args.cold)
        full = timed(lambda: integrity.full_check(db_path), max(1, args.rounds // 2), args.cold)
        assert integrity.quick_check(db_path).ok and integrity.full_check(db_path).ok

    med = {name: statistics.median(v) * 1000 for name, v in
           (("open without the check", without), ("open with the check", with_check),
            ("quick_check alone", quick), ("integrity_check alone", full))}
    cache = "cold page cache" if args.cold else "warm page cache"
    print(f"profile: {args.cards} cards, database {size_mb:.1f} MB, {cache}, median of {args.rounds} rounds")
    for name, ms in med.items():
        print(f"  {name:<24} {ms:9.1f} ms")
    print(f"  quick_check / open without it: {med['quick_check alone'] / med['open without the check']:.2f}x; "
          f"open with / without: {med['open with the check'] / med['open without the check']:.2f}x")


if __name__ == "__main__":
    main()
