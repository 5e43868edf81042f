"""An FSRS scheduler whose interval fuzz is seeded by the review log's uuid, so every device replays the same due."""

# fsrs fuzzes review intervals with the global random(): two devices replaying the same merged review log would
# then disagree on due dates. Seeding the draw with the log row's uuid (made before the answer is stored) gives
# the same interval the student saw, on every device and on every replay. The range is fsrs's own.

from __future__ import annotations

from datetime import timedelta
from random import Random

from fsrs import Scheduler
from fsrs.scheduler import FUZZ_RANGES


class SeededScheduler(Scheduler):
    """fsrs.Scheduler with `seed` (set before each review_card) driving the fuzz."""

    seed: str | None = None

    def review_seeded(self, seed: str, card, rating, review_datetime, review_duration=None):
        """review_card with the fuzz drawn from seed (the review log uuid)."""
        self.seed = seed
        try:
            return self.review_card(card, rating, review_datetime=review_datetime, review_duration=review_duration)
        finally:
            self.seed = None

    def _get_fuzzed_interval(self, *, interval: timedelta) -> timedelta:
        days = interval.days
        if days < 2.5:  # fsrs applies no fuzz below 2.5 days
            return interval
        delta = 1.0
        for r in FUZZ_RANGES:
            delta += r["factor"] * max(min(float(days), r["end"]) - r["start"], 0.0)
        low = max(2, round(days - delta))
        high = min(round(days + delta), self.maximum_interval)
        low = min(low, high)
        draw = Random(self.seed).random() if self.seed is not None else Random().random()
        return timedelta(days=min(round(draw * (high - low + 1) + low), self.maximum_interval))
