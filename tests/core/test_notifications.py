"""Notification centre (unread first, read/unread, clear, clear all, unread count) and the rules for
interrupting: per-type switches, quiet hours that span midnight, the daily cap setting."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from lmgpa_desktop.core.progress import notifications

BERLIN = ZoneInfo("Europe/Berlin")


def local(y, mo, d, h, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN).astimezone(UTC)


def test_centre_lists_unread_first_then_newest_and_counts_unread(ctx):
    a = notifications.add(ctx, "deadline", "Essay due tomorrow", now=local(2031, 3, 10, 9))
    b = notifications.add(ctx, "cards_due", "12 cards ready to review", now=local(2031, 3, 10, 10))
    c = notifications.add(ctx, "achievement", "First review", now=local(2031, 3, 10, 11))
    assert [n.id for n in notifications.items(ctx)] == [c.id, b.id, a.id]
    assert notifications.unread_count(ctx) == 3

    notifications.mark_read(ctx, c.id)
    assert [n.id for n in notifications.items(ctx)] == [b.id, a.id, c.id]  # read ones sink below unread
    assert notifications.unread_count(ctx) == 2
    notifications.mark_read(ctx, c.id, read=False)
    assert notifications.items(ctx)[0].id == c.id and notifications.unread_count(ctx) == 3

    notifications.clear(ctx, b.id)
    assert [n.id for n in notifications.items(ctx)] == [c.id, a.id]
    assert notifications.mark_all_read(ctx) == 2
    assert notifications.unread_count(ctx) == 0 and all(not n.unread for n in notifications.items(ctx))
    assert notifications.clear_all(ctx) == 2
    assert notifications.items(ctx) == [] and notifications.unread_count(ctx) == 0


def test_a_kind_switched_off_is_not_stored_and_switching_back_on_works(ctx):
    notifications.set_enabled(ctx, "achievement", False)
    assert notifications.add(ctx, "achievement", "Ten reviews") is None
    assert notifications.items(ctx) == []
    assert notifications.policy(ctx).allows("achievement") is False
    notifications.set_enabled(ctx, "achievement", True)
    assert notifications.add(ctx, "achievement", "Ten reviews") is not None
    with pytest.raises(ValueError, match="unknown notification kind"):
        notifications.set_enabled(ctx, "marketing", True)


def test_listeners_hear_new_rows_and_other_changes(ctx):
    heard = []
    notifications.subscribe(ctx, heard.append)
    try:
        row = notifications.add(ctx, "deadline", "Lab report due today")
        notifications.mark_read(ctx, row.id)
    finally:
        notifications.unsubscribe(ctx, heard.append)
    notifications.clear_all(ctx)
    assert heard == [row, None]  # nothing after unsubscribing


def test_quiet_hours_span_midnight_and_end_at_the_next_morning(ctx):
    rules = notifications.policy(ctx)
    assert (rules.quiet_start, rules.quiet_end, rules.daily_cap) == (time(22), time(8), 3)  # the defaults
    quiet = {h: notifications.in_quiet_hours(rules, local(2031, 3, 10, h), BERLIN) for h in (7, 8, 12, 21, 22, 23)}
    assert quiet == {7: True, 8: False, 12: False, 21: False, 22: True, 23: True}
    assert notifications.in_quiet_hours(rules, local(2031, 3, 11, 3), BERLIN)
    assert notifications.quiet_ends_at(rules, local(2031, 3, 10, 23), BERLIN) == local(2031, 3, 11, 8)
    assert notifications.quiet_ends_at(rules, local(2031, 3, 11, 3), BERLIN) == local(2031, 3, 11, 8)
    assert notifications.quiet_ends_at(rules, local(2031, 3, 11, 12), BERLIN) is None


def test_quiet_hours_follow_the_settings_and_can_be_turned_off(ctx):
    notifications.set_quiet_hours(ctx, "13:00", "14:30")
    rules = notifications.policy(ctx)
    assert notifications.in_quiet_hours(rules, local(2031, 3, 10, 14, 29), BERLIN)
    assert not notifications.in_quiet_hours(rules, local(2031, 3, 10, 14, 30), BERLIN)
    assert not notifications.in_quiet_hours(rules, local(2031, 3, 10, 23), BERLIN)
    notifications.set_quiet_hours(ctx, None, None)
    rules = notifications.policy(ctx)
    assert rules.quiet_start is None and not notifications.in_quiet_hours(rules, local(2031, 3, 10, 23), BERLIN)
    notifications.set_daily_cap(ctx, 1)
    assert notifications.policy(ctx).daily_cap == 1


def test_the_day_for_the_cap_starts_at_local_midnight_across_a_dst_change():
    # 2031-03-30 is the spring-forward day in Berlin: midnight is still UTC+1.
    assert notifications.day_start(local(2031, 3, 30, 12), BERLIN) == datetime(2031, 3, 29, 23, tzinfo=UTC)
    assert notifications.day_start(local(2031, 3, 31, 12), BERLIN) == datetime(2031, 3, 30, 22, tzinfo=UTC)
