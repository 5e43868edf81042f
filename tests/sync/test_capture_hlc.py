"""The hybrid logical clock: ordered, monotonic when the wall clock goes back, above what it saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lmgpa_desktop.storage import capture_functions
from lmgpa_desktop.storage.sync import capture, hlc
from lmgpa_desktop.storage.sync.hlc import HybridClock

DEV_A, DEV_B = "a" * 16, "b" * 16


class Wall:
    """A wall clock the test sets by hand."""

    def __init__(self, ms: int):
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_stamps_follow_the_wall_clock_and_sort_as_text():
    wall = Wall(1_700_000_000_000)
    clock = HybridClock(wall)
    first = clock.next(DEV_A)
    assert first == f"1700000000000-0000-{DEV_A}" and hlc.parse(first) == (1_700_000_000_000, 0, DEV_A)
    second = clock.next(DEV_A)  # same millisecond: the counter breaks the tie
    wall.ms += 5
    third = clock.next(DEV_A)
    assert first < second < third and hlc.parse(second)[1] == 1 and hlc.parse(third) == (wall.ms, 0, DEV_A)


def test_a_wall_clock_that_goes_back_never_makes_an_earlier_stamp():
    wall = Wall(1_700_000_010_000)
    clock = HybridClock(wall)
    before = clock.next(DEV_A)
    wall.ms -= 86_400_000  # the clock is set a day back
    after = [clock.next(DEV_A) for _ in range(3)]
    assert before < after[0] < after[1] < after[2]
    assert all(hlc.parse(s)[0] == hlc.parse(before)[0] for s in after)


def test_stamps_rise_above_a_floor_and_what_was_observed():
    wall = Wall(1_700_000_000_000)
    clock = HybridClock(wall)
    floor = f"1800000000000-00ff-{DEV_B}"  # stored in the database by an earlier run or another device
    stamp = clock.next(DEV_A, floor)
    assert stamp > floor and hlc.parse(stamp)[:2] == (1_800_000_000_000, 0x100)
    clock.observe(f"1900000000000-0003-{DEV_B}")
    assert clock.next(DEV_A) == f"1900000000000-0004-{DEV_A}"


def test_the_counter_borrows_the_next_millisecond_instead_of_wrapping():
    clock = HybridClock(Wall(1_000))
    stamp = clock.next(DEV_A, f"0000000001000-ffff-{DEV_B}")
    assert stamp == f"0000000001001-0000-{DEV_A}"


def test_too_far_ahead_and_parse_errors():
    now = datetime(2026, 12, 5, tzinfo=UTC)
    ms = int(now.timestamp() * 1000)
    assert not hlc.too_far_ahead(hlc.format_hlc(ms + int(timedelta(days=6).total_seconds() * 1000), 0, DEV_A), now)
    assert hlc.too_far_ahead(hlc.format_hlc(ms + int(timedelta(days=8).total_seconds() * 1000), 0, DEV_A), now)
    with pytest.raises(ValueError):
        hlc.parse("12-3")


def test_the_sql_functions():
    assert capture_functions._capture() == 1
    with capture.paused():
        with capture.paused():
            assert capture_functions._capture() == 0
        assert capture_functions._capture() == 0
    assert capture_functions._capture() == 1
    picked = capture_functions._pick(1, "a", 0.30000000000000004, 0, "b", None, 1, "c", None)
    assert picked == '{"a":0.30000000000000004,"c":null}'  # every bit of a REAL kept
    assert capture_functions._pick(0, "a", 1) is None
    assert capture_functions._hlc(DEV_A, None) < capture_functions._hlc(DEV_A, None)
