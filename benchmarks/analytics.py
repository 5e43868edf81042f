"""Progress page queries and `lmgpa stats` on 3 years of daily study, against bare SQL of the same aggregates.

The history is generated into a temporary profile through storage's bulk inserts: 3 classes, 20,000 cards
(80% already in review, due from 5 days ago to 90 days ahead), about 1M review logs (about 0.5% followed by an
undo row) and about 5,000 study sessions, spread over every day of 3 years. Timed: core.analytics.report (every
query of the Progress page) for each range, with and without a class filter, and `lmgpa stats` (in-process, and
as a fresh command). The bare baseline runs the simplest SQL for the same numbers on a plain sqlean connection:
UTC days instead of local ones, sessions not split at midnight and undone answers not removed, so it is a lower
bound, not the same work. Goal: the page's queries under 300 ms.
Usage: python benchmarks/analytics.py [--days 1095] [--reviews 1000000] [--sessions 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE = {
    "minutes_by_day": "SELECT date(started_at), SUM(active_seconds) FROM study_sessions "
                      "WHERE started_at >= :lo AND deleted_at IS NULL GROUP BY 1",
    "minutes_by_class": "SELECT course_id, SUM(active_seconds) FROM study_sessions "
                        "WHERE started_at >= :lo AND deleted_at IS NULL GROUP BY 1",
    "minutes_by_kind": "SELECT kind, SUM(active_seconds) FROM study_sessions "
                       "WHERE started_at >= :lo AND deleted_at IS NULL GROUP BY 1",
    "heatmap": "SELECT date(started_at), SUM(active_seconds) FROM study_sessions "
               "WHERE started_at >= :year AND deleted_at IS NULL GROUP BY 1",
    "reviews_by_day": "SELECT date(reviewed_at), COUNT(*), SUM(state_before = 2), "
                      "SUM(state_before = 2 AND rating > 1) FROM review_logs "
                      "WHERE reviewed_at >= :lo AND rating > 0 GROUP BY 1",
    "forecast": "SELECT date(due), COUNT(*) FROM cards WHERE status = 'active' AND due < :horizon "
                "AND state != 0 AND NOT suspended AND deleted_at IS NULL GROUP BY 1",
    "tests": "SELECT finished_at, score / max_score FROM test_attempts WHERE finished_at >= :lo "
             "ORDER BY finished_at",
}


def build(ctx, days: int, reviews: int, n_sessions: int) -> None:
    """The generated history (see the module docstring)."""
    from lmgpa_desktop.storage import cards_repo, library_repo, progress_repo
    from lmgpa_desktop.storage import review_logs_repo
    from lmgpa_desktop.storage.progress_repo import SessionDraft

    rng = random.Random(11)
    now = datetime.now(UTC)
    first = now - timedelta(days=days)
    courses = [library_repo.course_named(ctx.db, name).id for name in ("Biology", "Chemistry", "History")]
    decks = [cards_repo.create_deck(ctx.db, f"Deck {i}", course_id=c).id for i, c in enumerate(courses)]
    rows = []
    for i in range(20_000):
        row = {"deck_id": decks[i % 3], "front": f"Question {i}", "back": f"Answer {i}"}
        if rng.random() < 0.8:
            due = now + timedelta(days=rng.uniform(-5, 90))
            row.update(state=2, stability=10.0, difficulty=5.0, due=due, last_review=due - timedelta(days=10))
        rows.append(row)
    cards_repo.bulk_insert_cards(ctx.db, rows)
    card_ids = list(range(1, 20_001))
    per_day_sessions = n_sessions / days
    per_day_reviews = reviews / days
    drafts, logs, made = [], [], 0
    for d in range(days):
        day = first + timedelta(days=d)
        count = int(per_day_sessions) + (rng.random() < per_day_sessions % 1)
        for _ in range(count):
            start = day.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59))
            length = rng.randint(10, 70) * 60
            drafts.append(SessionDraft(rng.choice(["review", "review", "recording", "reading", "test", "focus"]),
                                       rng.choice([*courses, None]), start, start + timedelta(seconds=length),
                                       length))
        target = int(per_day_reviews * (d + 1)) - made
        t = day.replace(hour=8, minute=0)
        for _ in range(target):
            t += timedelta(seconds=rng.randint(2, 40))
            card = rng.choice(card_ids)
            logs.append({"uuid": str(uuid.uuid4()), "card_id": card, "rating": rng.choice([1, 3, 3, 3, 4]),
                         "reviewed_at": t, "duration_ms": 8000, "state_before": rng.choice([0, 1, 2, 2, 2, 2])})
            if rng.random() < 0.005:
                logs.append({"uuid": str(uuid.uuid4()), "card_id": card, "rating": 0,
                             "reviewed_at": t + timedelta(seconds=1), "state_before": 2})
        made += target
        if len(logs) >= 50_000:
            review_logs_repo.append_review_logs(ctx.db, logs)
            logs = []
    review_logs_repo.append_review_logs(ctx.db, logs)
    progress_repo.bulk_insert_sessions(ctx.db, drafts)


def median_ms(fn, runs: int) -> tuple[float, float]:
    """(first run, median of the next runs) in milliseconds."""
    times = []
    for _ in range(runs + 1):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times[0], statistics.median(times[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    import sqlean

    from lmgpa_desktop.cli.commands_progress import stats
    from lmgpa_desktop.core.progress import analytics
    from lmgpa_desktop.core.profile import open_app

    with tempfile.TemporaryDirectory(prefix="lmgpa-bench-analytics-") as tmp:
        home = Path(tmp) / "home"
        ctx = open_app(home)
        t = time.perf_counter()
        build(ctx, args.days, args.reviews, args.sessions)
        raw = sqlean.connect(str(ctx.db.path))
        n_logs = raw.execute("SELECT COUNT(*) FROM review_logs").fetchone()[0]
        n_sessions = raw.execute("SELECT COUNT(*) FROM study_sessions").fetchone()[0]
        print(f"generated {n_logs:,} review logs, {n_sessions:,} sessions, 20,000 cards over {args.days} days "
              f"in {time.perf_counter() - t:.0f} s")
        now = datetime.now(UTC)
        print(f"{'what':<34}{'first ms':>10}{'median ms':>11}{'bare ms':>10}{'ratio':>8}")
        for name, back in (("week", 7), ("month", 30), ("term", 120), ("all", args.days + 1)):
            lo = (now - timedelta(days=back)).strftime("%Y-%m-%d %H:%M:%S")
            params = {"lo": lo, "year": (now - timedelta(days=365)).strftime("%Y-%m-%d %H:%M:%S"),
                      "horizon": (now + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")}

            def bare(params=params):
                for sql in BARE.values():
                    raw.execute(sql, params).fetchall()

            for label, course in (("", None), (" (one class)", 1)):
                first, med = median_ms(lambda n=name, c=course: analytics.report(ctx, n, c), args.runs)
                _, bare_med = median_ms(bare, args.runs)
                print(f"{'page report ' + name + label:<34}{first:>10.0f}{med:>11.0f}{bare_med:>10.0f}"
                      f"{med / bare_med:>8.2f}")
            first, med = median_ms(lambda n=name: stats(ctx, n), args.runs)
            print(f"{'lmgpa stats --range ' + name + ' (in process)':<34}{first:>10.0f}{med:>11.0f}")
        env = {**os.environ, "LMGPA_HOME": str(home)}
        wall = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "lmgpa_desktop", "stats", "--json"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            wall.append((time.perf_counter() - t) * 1000)
        print(f"{'lmgpa stats --json (new process)':<34}{wall[0]:>10.0f}{statistics.median(wall):>11.0f}")
        raw.close()
        ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
