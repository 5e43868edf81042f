"""What the sync status bar and panel say: time ago, counts, passphrase strength and conflict headings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lmgpa_desktop.ui.sync.words import ago, conflict_heading, passphrase_hint, result_sentence, status_text

NOW = datetime(2025, 3, 3, 14, 5, tzinfo=UTC)


def test_status_line_names_last_sync_waiting_and_conflicts():
    two_min = (NOW - timedelta(minutes=2, seconds=10)).replace(tzinfo=None).isoformat()  # stored as naive UTC
    assert status_text({"enabled": True, "last_sync": two_min, "waiting": 3, "conflicts": 1}, NOW) == \
        "Synced 2 min ago · 3 waiting · 1 conflict"
    assert status_text({"enabled": True, "last_sync": None, "waiting": 0, "conflicts": 2}, NOW) == \
        "Not synced yet · 2 conflicts"
    assert status_text({"enabled": True, "last_sync": two_min}, NOW, running=True) == "Syncing…"
    assert status_text({"enabled": False, "waiting": 5}, NOW) == ""  # not set up: the status bar shows nothing


def test_time_ago_in_words():
    assert ago(NOW - timedelta(seconds=20), NOW) == "just now"
    assert ago(NOW + timedelta(seconds=5), NOW) == "just now"  # another computer's clock a little ahead
    assert ago(NOW - timedelta(hours=3, minutes=1), NOW) == "3 h ago"
    assert ago(NOW - timedelta(days=1, hours=2), NOW) == "yesterday"
    assert ago(NOW - timedelta(days=4), NOW) == "4 days ago"
    assert ago(None, NOW) == ""


def test_passphrase_hint_grades_length_variety_and_repeats():
    assert passphrase_hint("short")[1] == 0 and "5 more characters" in passphrase_hint("short")[0]
    assert passphrase_hint("aaaaaaaaaaaaaaaa")[1] == 1  # long but one letter repeated
    assert passphrase_hint("tulip-kettle")[1] < 3
    assert passphrase_hint("purple tulips under a loud kettle")[1] == 3


def test_conflict_heading_and_result_in_plain_words():
    assert conflict_heading({"table": "notes", "field": "body_md", "title": "Cell\nrespiration"}) == \
        "Note “Cell respiration” · text"
    assert conflict_heading({"table": "cards", "field": "back", "title": ""}) == "Card · back"
    assert result_sentence({"status": "ok", "pulled": 4, "pushed": 2, "conflicts": 1}) == \
        "Synced: received 4, sent 2 changes. 1 new conflict to look at below."
    assert result_sentence({"status": "ok", "pulled": 0, "pushed": 0, "skipped": 1}).endswith(
        "1 change could not be read (sealed with another key, or made by a newer version of the app) and was left out.")
    assert result_sentence({"status": "cancelled"}).startswith("Sync cancelled.")
