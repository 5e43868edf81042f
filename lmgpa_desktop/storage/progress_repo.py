"""Study sessions and the SQL aggregates behind the Progress page and `lmgpa stats`."""

# Local calendar days are computed by core (time zones, DST) and handed in as a JSON list of
# [key, utc_start, utc_end]; SQLite joins it (json_each) to the indexed time columns, so every
# aggregate is a GROUP BY over index range scans, not a Python loop over rows.

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, text

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import StudySession

# No session is longer than this; lets range queries start from the started_at index.
MAX_SESSION = timedelta(days=2)


@dataclass(frozen=True)
class SessionRow:
    """One study session as plain data."""

    id: int
    kind: str
    course_id: int | None
    started_at: datetime
    ended_at: datetime
    active_seconds: int


@dataclass(frozen=True)
class SessionDraft:
    """A session to write (no id yet)."""

    kind: str
    course_id: int | None
    started_at: datetime
    ended_at: datetime
    active_seconds: int


def _row(s: StudySession) -> SessionRow:
    return SessionRow(s.id, s.kind, s.course_id, s.started_at, s.ended_at or s.started_at, s.active_seconds)


def ts(dt: datetime) -> str:
    """A UTC datetime as SQLite stores it (the text form the UTCDateTime columns compare against)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def sessions_touching(db: Database, start: datetime, end: datetime) -> list[SessionRow]:
    """Sessions overlapping [start, end] (touching counts), in time order."""
    q = (select(StudySession)
         .where(StudySession.started_at >= start - MAX_SESSION, StudySession.started_at <= end,
                StudySession.ended_at >= start, StudySession.deleted_at.is_(None))
         .order_by(StudySession.started_at, StudySession.id))
    with db.read() as s:
        return [_row(x) for x in s.scalars(q)]


def replace_sessions(db: Database, old_ids: list[int], drafts: list[SessionDraft]) -> list[SessionRow]:
    """Delete old sessions and write drafts in one transaction (the first draft keeps the first old id)."""
    with db.write() as s:
        keep = min(old_ids) if old_ids and drafts else None
        gone = [i for i in old_ids if i != keep]
        if gone:
            s.execute(delete(StudySession).where(StudySession.id.in_(gone)))
        out = []
        for n, d in enumerate(drafts):
            fields = {"kind": d.kind, "course_id": d.course_id, "started_at": d.started_at, "ended_at": d.ended_at,
                      "active_seconds": int(d.active_seconds)}
            row = s.get(StudySession, keep) if n == 0 and keep is not None else None
            if row is None:
                row = StudySession(**fields)
                s.add(row)
            else:
                for k, v in fields.items():
                    setattr(row, k, v)
            s.flush()
            out.append(_row(row))
        return out


def sessions_between(db: Database, start: datetime, end: datetime) -> list[SessionRow]:
    """Sessions overlapping [start, end), in time order."""
    q = (select(StudySession)
         .where(StudySession.started_at >= start - MAX_SESSION, StudySession.started_at < end,
                StudySession.ended_at > start, StudySession.deleted_at.is_(None))
         .order_by(StudySession.started_at, StudySession.id))
    with db.read() as s:
        return [_row(x) for x in s.scalars(q)]


def bulk_insert_sessions(db: Database, drafts: list[SessionDraft]) -> int:
    """Many sessions at once (benchmarks, imports)."""
    from lmgpa_desktop.storage.base import new_uuid, utcnow

    now = utcnow()
    rows = [{"kind": d.kind, "course_id": d.course_id, "started_at": d.started_at, "ended_at": d.ended_at,
             "active_seconds": int(d.active_seconds), "uuid": new_uuid(), "created_at": now, "updated_at": now}
            for d in drafts]
    if rows:
        with db.write() as s:
            s.execute(insert(StudySession), rows)
    return len(rows)


# -- aggregates ---------------------------------------------------------------------------------------------------
def _days_json(days: list[tuple[str, datetime, datetime]]) -> str:
    return json.dumps([[k, ts(a), ts(b), ts(a - MAX_SESSION)] for k, a, b in days])


# json_each is forced to the outer loop (CROSS JOIN) so each day is one index range scan.
_DAYS = ("days AS (SELECT json_extract(value, '$[0]') AS k, json_extract(value, '$[1]') AS ds, "
         "json_extract(value, '$[2]') AS de, json_extract(value, '$[3]') AS dlow FROM json_each(:days))")

# Seconds of a session inside a day: its active seconds, spread evenly over its span, times the overlap.
# julianday() carries about a millisecond of float error, so sums are rounded to milliseconds.
_OVERLAP = ("CASE WHEN julianday(s.ended_at) > julianday(s.started_at) THEN "
            "s.active_seconds * (julianday(min(s.ended_at, d.de)) - julianday(max(s.started_at, d.ds))) "
            "/ (julianday(s.ended_at) - julianday(s.started_at)) "
            "ELSE s.active_seconds END")


def seconds_by_day(db: Database, days: list[tuple[str, datetime, datetime]], course_id: int | None = None,
                   by: str | None = None) -> list[tuple]:
    """Active seconds per day key (and per kind or course when by is "kind" or "course"): [(key, [group,] s)]."""
    group = {"kind": "s.kind", "course": "s.course_id", None: None}[by]
    cols = f"d.k, {group}" if group else "d.k"
    where = "AND s.course_id = :course" if course_id is not None else ""
    sql = (f"WITH {_DAYS} SELECT {cols}, ROUND(SUM({_OVERLAP}), 3) FROM days d CROSS JOIN study_sessions s "
           "ON s.started_at >= d.dlow AND s.started_at < d.de AND s.ended_at > d.ds "
           f"AND s.deleted_at IS NULL {where} GROUP BY {cols}")
    with db.read() as s:
        return [tuple(r) for r in s.execute(text(sql), {"days": _days_json(days), "course": course_id})]


def seconds_in(db: Database, start: datetime | None, end: datetime, by: str, course_id: int | None = None) -> dict:
    """Active seconds in [start, end) grouped by "kind" or "course" (course None = no class)."""
    col = {"kind": "s.kind", "course": "s.course_id"}[by]
    low = ts(start - MAX_SESSION) if start else "0000"
    ds = ts(start) if start else "0000"
    where = "AND s.course_id = :course" if course_id is not None else ""
    overlap = _OVERLAP.replace("d.de", ":de").replace("d.ds", ":ds")
    sql = (f"SELECT {col}, ROUND(SUM({overlap}), 3) FROM study_sessions s WHERE s.started_at >= :low AND s.started_at < :de "
           f"AND s.ended_at > :ds AND s.deleted_at IS NULL {where} GROUP BY {col}")
    with db.read() as s:
        rows = s.execute(text(sql), {"low": low, "ds": ds, "de": ts(end), "course": course_id})
        return {k: float(v or 0) for k, v in rows}


def first_activity(db: Database) -> datetime | None:
    """When the earliest session or review happened (start of the "all" range)."""
    sql = ("SELECT min(x) FROM (SELECT min(started_at) AS x FROM study_sessions WHERE deleted_at IS NULL "
           "UNION ALL SELECT min(reviewed_at) FROM review_logs UNION ALL SELECT min(finished_at) FROM test_attempts)")
    with db.read() as s:
        value = s.execute(text(sql)).scalar()
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None


# Review logs are append-only; a rating-0 row undoes an answer. Per card, rated rows push and undo rows pop,
# so a rated row is cancelled exactly when the running balance later drops below its own (a matched pair,
# nested undos included). Undos are rare, so one pass over the range counts every answer and lists the cards
# with an undo; a second, small query windows only those cards' rows and the cancelled answers are subtracted.
_CANCELLED = """
SELECT {day} AS day, COUNT(*), SUM(state_before = 2), SUM(state_before = 2 AND rating > 1) FROM (
  SELECT id, reviewed_at, rating, state_before, bal,
         MIN(bal) OVER (PARTITION BY card_id ORDER BY id
                        ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS later_min
  FROM (SELECT id, card_id, reviewed_at, rating, state_before,
               SUM(CASE WHEN rating = 0 THEN -1 ELSE 1 END) OVER (PARTITION BY card_id ORDER BY id) AS bal
        FROM review_logs WHERE card_id IN (SELECT value FROM json_each(:cards))))
WHERE rating > 0 AND later_min < bal AND reviewed_at >= :lo AND reviewed_at < :hi
GROUP BY day"""


def local_date_sql(column: str, steps: list[tuple[datetime | None, int]]) -> str:
    """SQL for the local date of a UTC column, given the zone's UTC offsets (seconds) from each change on."""
    (_, first), rest = steps[0], steps[1:]
    if not rest:
        return f"date({column}, '{int(first):+d} seconds')"
    cases = []
    offset = first
    for at, nxt in rest:  # offset applies before `at`, nxt from `at` on
        cases.append(f"WHEN {column} < '{ts(at)}' THEN '{int(offset):+d} seconds'")
        offset = nxt
    return f"date({column}, CASE {' '.join(cases)} ELSE '{int(offset):+d} seconds' END)"


def review_stats_by_day(db: Database, lo: datetime, hi: datetime, steps: list[tuple[datetime | None, int]],
                        course_id: int | None = None) -> list[tuple[str, int, int, int]]:
    """Per local date in [lo, hi): (date, answers kept, review-state answers, review-state answers not Again).

    steps are the time zone's UTC offsets in seconds: [(None, offset at lo), (instant it changes, new offset)...];
    one pass over the reviewed_at index range, the local date computed per row.
    """
    # unary + keeps SQLite from driving the scan through the card_id index (one lookup per card per day)
    course = ("AND +card_id IN (SELECT c.id FROM cards c JOIN decks k ON k.id = c.deck_id "
              "WHERE k.course_id = :course)") if course_id is not None else ""
    day = local_date_sql("reviewed_at", steps)
    sql = (f"SELECT {day} AS day, SUM(rating > 0), SUM(rating > 0 AND state_before = 2), "
           "SUM(rating > 1 AND state_before = 2), group_concat(CASE WHEN rating = 0 THEN card_id END) "
           f"FROM review_logs WHERE reviewed_at >= :lo AND reviewed_at < :hi {course} GROUP BY day")
    params = {"lo": ts(lo), "hi": ts(hi), "course": course_id}
    with db.read() as s:
        found = list(s.execute(text(sql), params))
        rows = {k: [int(n or 0), int(rv or 0), int(ok or 0)] for k, n, rv, ok, _ in found}
        undone = sorted({int(c) for *_, cards in found if cards for c in cards.split(",")})
        if undone:
            params["cards"] = json.dumps(undone)
            for k, n, rv, ok in s.execute(text(_CANCELLED.format(day=day)), params):
                if k in rows:
                    rows[k] = [rows[k][0] - n, rows[k][1] - int(rv or 0), rows[k][2] - int(ok or 0)]
    return [(k, *v) for k, v in rows.items() if v[0] > 0]


def due_by_day(db: Database, days: list[tuple[str, datetime, datetime]], course_id: int | None = None) -> dict:
    """Active, unsuspended, already-seen cards falling due in each day (the first day also takes the overdue)."""
    if not days:
        return {}
    days = [(days[0][0], datetime(1970, 1, 1, tzinfo=UTC), days[0][2]), *days[1:]]
    course = "AND c.deck_id IN (SELECT id FROM decks WHERE course_id = :course)" if course_id is not None else ""
    sql = (f"WITH {_DAYS} SELECT d.k, COUNT(*) FROM days d CROSS JOIN cards c "
           "ON c.status = 'active' AND c.due >= d.ds AND c.due < d.de "
           f"WHERE c.state != 0 AND NOT c.suspended AND c.deleted_at IS NULL {course} GROUP BY d.k")
    with db.read() as s:
        return {k: int(n) for k, n in s.execute(text(sql), {"days": _days_json(days), "course": course_id})}


def test_scores(db: Database, start: datetime | None, end: datetime,
                course_id: int | None = None) -> list[tuple[datetime, int, str, float]]:
    """Finished attempts in [start, end) in time order: (finished_at, test id, title, percent)."""
    course = "AND t.course_id = :course" if course_id is not None else ""
    sql = ("SELECT a.finished_at, t.id, t.title, 100.0 * a.score / a.max_score FROM test_attempts a "
           "JOIN practice_tests t ON t.id = a.test_id WHERE a.finished_at IS NOT NULL AND a.max_score > 0 "
           f"AND a.finished_at >= :lo AND a.finished_at < :hi AND a.deleted_at IS NULL {course} "
           "ORDER BY a.finished_at")
    params = {"lo": ts(start) if start else "0000", "hi": ts(end), "course": course_id}
    with db.read() as s:
        return [(datetime.fromisoformat(f).replace(tzinfo=UTC), int(i), t, float(p))
                for f, i, t, p in s.execute(text(sql), params)]


def course_names(db: Database) -> dict[int, str]:
    """Every class by id."""
    with db.read() as s:
        return {int(i): n for i, n in s.execute(text("SELECT id, name FROM courses WHERE deleted_at IS NULL"))}
