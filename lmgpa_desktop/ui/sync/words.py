"""What sync says to the student: status, time ago, passphrase strength and conflicts in plain words."""

from __future__ import annotations

from datetime import UTC, datetime

from lmgpa_desktop.core.sync.keys import MIN_PASSPHRASE, passphrase_score
# Plain names of what a conflict is in, and of the field that was edited on two computers.
ITEMS = {"notes": "Note", "cards": "Card", "transcript_segments": "Transcript", "questions": "Practice question",
         "transcripts": "Transcript", "decks": "Deck", "courses": "Class", "goals": "Goal"}
FIELDS = {"body_md": "text", "title": "title", "front": "front", "back": "back", "edited_text": "text",
          "prompt": "question", "answer": "answer", "explanation": "explanation"}


def _parse(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the database keeps naive UTC


def ago(value, now: datetime | None = None) -> str:
    """"just now", "2 min ago", "3 h ago", "yesterday", "4 days ago" ("" when never)."""
    moment = _parse(value)
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 60:
        return "just now"  # also a clock a little behind the other computer's: never "in 3 s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h ago"
    days = hours // 24
    return "yesterday" if days == 1 else f"{days} days ago"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def status_text(status: dict | None, now: datetime | None = None, running: bool = False) -> str:
    """The status bar's line: "Synced 2 min ago · 3 waiting · 1 conflict" ("" when sync is not set up)."""
    if not status or not status.get("enabled"):
        return ""
    when = ago(status.get("last_sync"), now)
    parts = ["Syncing…" if running else (f"Synced {when}" if when else "Not synced yet")]
    if status.get("waiting"):
        parts.append(f"{status['waiting']} waiting")
    if status.get("conflicts"):
        parts.append(_count(status["conflicts"], "conflict", "conflicts"))
    return " · ".join(parts)


def status_sentence(status: dict | None, now: datetime | None = None) -> str:
    """The panel's longer sentence about where sync stands."""
    if not status:
        return "Reading the sync state…"
    if not status.get("enabled"):
        return sentence(status.get("message") or "") or "Sync is not set up on this computer."
    when = ago(status.get("last_sync"), now)
    parts = [f"Last sync {when}." if when else "Not synced yet."]
    waiting = status.get("waiting") or 0
    parts.append(f"{_count(waiting, 'change', 'changes')} made here waiting to be sent." if waiting
                 else "Everything made here has been sent.")
    if status.get("media_waiting"):
        parts.append(f"{_count(status['media_waiting'], 'file', 'files')} still to download or upload.")
    if status.get("media_failed"):
        parts.append(f"{_count(status['media_failed'], 'file', 'files')} arrived damaged and will be fetched again.")
    if status.get("conflicts"):
        parts.append(f"{_count(status['conflicts'], 'conflict needs', 'conflicts need')} your choice (below).")
    if status.get("message"):  # why the last sync did not finish (offline, locked…), until one does
        parts.append(sentence(status["message"]))
    return " ".join(parts)


def sentence(text: str) -> str:
    """A core message ("the server cannot be reached; …") as a sentence."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."


def result_sentence(result: dict | None) -> str:
    """One sentence about a finished sync."""
    if not result:
        return "Sync finished."
    if result.get("status") == "cancelled":
        return "Sync cancelled. What arrived is kept; the rest comes with the next sync."
    if result.get("status") not in (None, "ok", "done", "synced"):
        why = str(result.get("message") or result.get("status")).strip().rstrip(".")
        return f"Sync stopped: {why}."
    parts = [f"received {result.get('pulled', 0)}", f"sent {result.get('pushed', 0)} changes"]
    files = (result.get("media_up") or 0) + (result.get("media_down") or 0)
    if files:
        parts.append(_count(files, "file", "files") + " moved")
    text = "Synced: " + ", ".join(parts) + "."
    if result.get("conflicts"):
        text += f" {_count(result['conflicts'], 'new conflict', 'new conflicts')} to look at below."
    if result.get("skipped"):
        text += (f" {_count(result['skipped'], 'change', 'changes')} could not be read (sealed with another key, or "
                 f"made by a newer version of the app) and {'was' if result['skipped'] == 1 else 'were'} left out.")
    return text


def passphrase_hint(text: str) -> tuple[str, int]:
    """How strong a passphrase looks: (plain hint, 0 too short .. 3 strong). A rough guide, not a guarantee."""
    if len(text) < MIN_PASSPHRASE:
        left = MIN_PASSPHRASE - len(text)
        return (f"Too short: {_count(left, 'more character', 'more characters')} needed (at least "
                f"{MIN_PASSPHRASE}).", 0)
    score = passphrase_score(text)
    if score >= 4:
        return "Strong.", 3
    if score >= 2:
        return "Fair: a few more words make it much harder to guess.", 2
    return "Weak: use several unrelated words, or a longer sentence only you would write.", 1


def conflict_heading(conflict: dict) -> str:
    """"Note “Cell respiration” · text": what was edited on two computers."""
    item = ITEMS.get(conflict.get("table", ""), conflict.get("table", "item").replace("_", " ").capitalize())
    field = FIELDS.get(conflict.get("field", ""), conflict.get("field", "").replace("_", " "))
    title = " ".join(str(conflict.get("title") or "").split())
    if len(title) > 70:
        title = title[:69] + "…"
    return f"{item} “{title}” · {field}" if title else f"{item} · {field}"
