"""What an FSRS replay reads (each card's start and review log) and writes (the card's state, uncaptured)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, select, text, update

from lmgpa_desktop.storage.cards_repo import STATE_FIELDS
from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import Card, PointEvent, ReviewLog, StreakFreeze
from lmgpa_desktop.storage.sync import capture

CHUNK = 500


@dataclass(frozen=True)
class ReplayLog:
    """One review log row as a replay needs it (rating 0 is an undo)."""

    uuid: str
    rating: int
    reviewed_at: datetime
    duration_ms: int | None


@dataclass(frozen=True)
class ReplayInput:
    """A card's stored state, its sched_base (None: it started new), when it was made, and its log in order."""

    card_id: int
    current: dict
    base: dict | None
    created_at: datetime | None
    logs: list[ReplayLog]


def _when(value) -> datetime | None:
    """An ISO text (naive means UTC) or a datetime, as an aware UTC datetime."""
    if value is None or value == "":
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def parse_base(raw) -> dict | None:
    """A stored sched_base (JSON text or dict) as a state dict with datetimes and its start `at`; None if absent
    or unreadable (the card then replays from new)."""
    if raw is None:
        return None
    try:
        data = json.loads(raw) if isinstance(raw, str) else dict(raw)
        base = {"state": int(data["state"]), "step": data.get("step"),
                "stability": None if data.get("stability") is None else float(data["stability"]),
                "difficulty": None if data.get("difficulty") is None else float(data["difficulty"]),
                "due": _when(data.get("due")), "last_review": _when(data.get("last_review")),
                "at": _when(data.get("at"))}
    except (TypeError, ValueError, KeyError):
        return None
    return base if base["at"] is not None else None


def dump_base(state: dict, at: datetime) -> str:
    """The sched_base JSON text of a card state that holds from `at` on."""
    def iso(v):
        return v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v
    return json.dumps({"state": int(state["state"]), "step": state.get("step"), "stability": state.get("stability"),
                       "difficulty": state.get("difficulty"), "due": iso(state.get("due")),
                       "last_review": iso(state.get("last_review")), "at": iso(at)}, sort_keys=True)


def replay_inputs(db: Database, card_ids: list[int]) -> list[ReplayInput]:
    """Everything a replay of these cards reads; logs ordered by (reviewed_at, uuid); missing cards left out."""
    out: list[ReplayInput] = []
    ids = sorted(set(card_ids))
    with db.read() as s:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            cards = {r.id: r for r in s.execute(select(Card.id, Card.created_at, *(getattr(Card, f) for f in
                                                                                    STATE_FIELDS))
                                                .where(Card.id.in_(chunk)))}
            bases = dict(s.execute(text("SELECT id, sched_base FROM cards WHERE id IN :ids")
                                   .bindparams(bindparam("ids", expanding=True)), {"ids": chunk}).all())
            logs: dict[int, list[ReplayLog]] = {i: [] for i in chunk}
            q = (select(ReviewLog.card_id, ReviewLog.uuid, ReviewLog.rating, ReviewLog.reviewed_at,
                        ReviewLog.duration_ms)
                 .where(ReviewLog.card_id.in_(chunk)).order_by(ReviewLog.reviewed_at, ReviewLog.uuid))
            for row in s.execute(q):
                logs[row.card_id].append(ReplayLog(row.uuid, row.rating, row.reviewed_at, row.duration_ms))
            for cid in chunk:
                row = cards.get(cid)
                if row is not None:
                    out.append(ReplayInput(cid, {f: getattr(row, f) for f in STATE_FIELDS}, parse_base(bases.get(cid)),
                                           row.created_at, logs[cid]))
    return out


def set_states(db: Database, states: dict[int, dict]) -> None:
    """Write replayed FSRS states (derived, never synced: not captured)."""
    if not states:
        return
    # One executemany UPDATE (loading each card cost ~8 ms a card); a card deleted meanwhile matches no row.
    table = Card.__table__
    stmt = (update(table).where(table.c.id == bindparam("card_id"))
            .values({key: bindparam(f"new_{key}") for key in STATE_FIELDS}))
    rows = [{"card_id": cid, **{f"new_{key}": state[key] for key in STATE_FIELDS}} for cid, state in states.items()]
    with capture.paused(), db.write() as s:
        s.execute(stmt, rows)


def cards_with_logs(db: Database) -> list[int]:
    """Every card that has a review log row or a sched_base (what a full replay visits)."""
    with db.read() as s:
        return list(s.scalars(text("SELECT id FROM cards WHERE sched_base IS NOT NULL "
                                   "UNION SELECT DISTINCT card_id FROM review_logs ORDER BY 1")))


def snapshot_bases(db: Database, at: datetime) -> int:
    """Give every studied card without a sched_base its current state as one, holding from `at`: history from
    before sync (an Anki import done before sched_base existed, fuzz drawn unseeded) then never replays
    differently. Captured like any edit, so it syncs. Returns how many cards got one."""
    with db.write() as s:
        rows = s.execute(select(Card.id, *(getattr(Card, f) for f in STATE_FIELDS))
                         .where(Card.state != 0).where(text("sched_base IS NULL"))).all()
        for row in rows:
            s.execute(text("UPDATE cards SET sched_base = :b WHERE id = :i"),
                      {"b": dump_base({f: getattr(row, f) for f in STATE_FIELDS}, at), "i": row.id})
        return len(rows)


# -- derived progress (points, streak freezes): cleared so a rebuild can judge the merged activity again ----------
def clear_points_since(db: Database, start: datetime) -> int:
    """Delete point events at or after start (they are judged again from the merged activity); how many."""
    with db.write() as s:
        return s.execute(delete(PointEvent).where(PointEvent.at >= start)).rowcount


def clear_freezes(db: Database) -> None:
    """Forget every streak freeze (settling the streak again from the first day earns and spends them anew)."""
    with db.write() as s:
        s.execute(delete(StreakFreeze))
