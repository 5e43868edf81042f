"""Review logs: an answer recorded with the card's new schedule, a card's state, the log read back and appended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from lmgpa_desktop.storage.base import new_uuid
from lmgpa_desktop.storage.cards_repo import STATE_FIELDS
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Card, ReviewLog


@dataclass(frozen=True)
class ReviewLogRecord:
    """One row of the append-only review log (rating 0 marks an undo, see core.review)."""

    id: int
    uuid: str
    card_id: int
    rating: int
    reviewed_at: datetime
    duration_ms: int | None
    state_before: int | None
    stability_after: float | None
    difficulty_after: float | None
    due_after: datetime | None


def _log(r: ReviewLog) -> ReviewLogRecord:
    return ReviewLogRecord(r.id, r.uuid, r.card_id, r.rating, r.reviewed_at, r.duration_ms, r.state_before,
                           r.stability_after, r.difficulty_after, r.due_after)


def record_answer(db: Database, card_id: int, state: dict, log: dict) -> ReviewLogRecord:
    """Store a card's new FSRS state and append its review log row, in one transaction."""
    with db.write() as s:
        card = s.get(Card, card_id)
        if card is None or card.deleted_at is not None:
            raise ValueError(f"there is no card {card_id}")
        for key in STATE_FIELDS:
            setattr(card, key, state[key])
        row = ReviewLog(uuid=log.get("uuid") or new_uuid(), card_id=card_id, **{k: v for k, v in log.items()
                                                                              if k != "uuid"})
        s.add(row)
        s.flush()
        return _log(row)


def card_state(db: Database, card_id: int) -> dict | None:
    """The FSRS fields of a card (for an undo snapshot)."""
    with db.read() as s:
        card = s.get(Card, card_id)
        return {k: getattr(card, k) for k in STATE_FIELDS} if card else None


def review_logs(db: Database, card_id: int | None = None, since: datetime | None = None) -> list[ReviewLogRecord]:
    """Review log rows, oldest first."""
    with db.read() as s:
        q = select(ReviewLog).order_by(ReviewLog.reviewed_at, ReviewLog.id)
        if card_id is not None:
            q = q.where(ReviewLog.card_id == card_id)
        if since is not None:
            q = q.where(ReviewLog.reviewed_at >= since)
        return [_log(r) for r in s.scalars(q)]


def append_review_logs(db: Database, rows: list[dict]) -> int:
    """Append imported history; rows whose uuid is already there are skipped (re-import adds nothing)."""
    if not rows:
        return 0
    with db.write() as s:
        known = set(s.scalars(select(ReviewLog.uuid).where(ReviewLog.uuid.in_([r["uuid"] for r in rows]))))
        fresh = [r for r in rows if r["uuid"] not in known]
        if fresh:
            s.execute(insert(ReviewLog), fresh)
        return len(fresh)
