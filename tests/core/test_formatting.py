"""Numbers shown to the student: sizes, clocks and goal amounts."""

from __future__ import annotations

from lmgpa_desktop.core.formatting import amount, clock, human_size


def test_goal_amounts_are_short():
    assert [amount(v) for v in (3.0333333, 4, 0.25, 9.96, 12.6, 20.0)] == ["3.0", "4", "0.2", "10.0", "13", "20"]


def test_sizes_and_clocks():
    assert (human_size(None), human_size(512), human_size(3 * 2**20)) == ("-", "512 B", "3.0 MB")
    assert (clock(59), clock(61), clock(3723)) == ("0:59", "1:01", "1:02:03")
