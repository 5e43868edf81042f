"""After a kill: reopen the profile as the app does and check that every reported write is there and whole."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import text

from crash_material import Material, parse_note

WRITES = {"answer", "undo", "note", "queued", "job", "resumed", "rec", "flushed", "stopped", "finalized", "tseg"}
FINAL_STATES = {"done", "failed", "cancelled"}


@dataclass
class Problem:
    """A check that failed: kind is "lost" (a reported write is missing) or "damaged" (present but wrong)."""

    kind: str
    path: str
    round_no: int
    what: str


@dataclass
class Ledger:
    """Everything the children of one path reported, folded into what must now be in the profile."""

    path: str
    answers: dict = field(default_factory=dict)  # log id -> (card id, rating)
    undos: list = field(default_factory=list)  # (card id, log id of the undone answer)
    notes: dict = field(default_factory=dict)  # note id -> (uid, newest reported version)
    queued: set = field(default_factory=set)  # job ids
    jobs: dict = field(default_factory=dict)  # job id -> (kind, final state, result)
    recordings: dict = field(default_factory=dict)  # recording id -> facts (clip, offset, flushed sizes, ...)
    transcripts: dict = field(default_factory=dict)  # transcript id -> (source id, segments, last end)
    requeued: set = field(default_factory=set)  # jobs the reopen put back in the queue
    resumed: set = field(default_factory=set)  # jobs a later child ran again to the end
    gave_up: dict = field(default_factory=dict)  # job id -> the reason the reopen gave for failing it
    verified_audio: set = field(default_factory=set)  # recordings whose saved FLAC was compared already
    seen: dict = field(default_factory=dict)  # what was verified already and cannot change unnoticed

    def take(self, fields: list) -> bool:
        """Fold in one report; True when it was a committed write."""
        kind, args = fields[0], fields[1:]
        if kind == "answer":
            self.answers[args[2]] = (args[0], args[1])
        elif kind == "undo":
            self.undos.append((args[0], args[1]))
        elif kind == "note":
            note_id, uid, version = args
            self.notes[note_id] = (uid, max(version, self.notes.get(note_id, (uid, -1))[1]))
        elif kind == "queued":
            self.queued.add(args[0])
        elif kind in ("job", "resumed"):
            self.jobs[args[0]] = (args[1], args[2], args[3])
            if kind == "resumed" and args[0] in self.requeued and args[2] in FINAL_STATES:
                self.resumed.add(args[0])
        elif kind == "rec":
            self.recordings[args[0]] = {"source": args[1], "clip": args[2], "offset": args[3], "flushed": {},
                                        "stopped": None, "finalized": False}
        elif kind == "flushed" and args[0] in self.recordings:
            sizes = self.recordings[args[0]]["flushed"]
            sizes[args[1]] = max(args[2], sizes.get(args[1], 0))
        elif kind == "stopped" and args[0] in self.recordings:
            self.recordings[args[0]]["stopped"] = args[1]
        elif kind == "finalized" and args[0] in self.recordings:
            self.recordings[args[0]]["finalized"] = True
        elif kind == "tseg":
            _job, transcript_id, source_id, count, end = args
            old = self.transcripts.get(transcript_id, (source_id, 0, 0.0))
            self.transcripts[transcript_id] = (source_id, max(count, old[1]), max(end, old[2]))
        return kind in WRITES


def reopen(home: Path):
    """Open the profile as the app does after a crash: open_app, close recordings a dead process left open (queueing
    their finalize), then put the jobs it left running back in the queue. Returns (ctx, recordings, job outcome)."""
    from lmgpa_desktop.core.capture import recording_recovery
    from lmgpa_desktop.core.profile import open_app

    ctx = open_app(home)
    integrity = _integrity(ctx)
    recordings = recording_recovery.recover_interrupted(ctx)
    outcome = ctx.jobs.recover_interrupted()
    return ctx, integrity, recordings, outcome


def _rows(ctx, sql: str) -> list[tuple]:
    """Rows of a read-only query on the reopened database (the checker reads everything in bulk)."""
    with ctx.db.read() as s:
        return [tuple(row) for row in s.execute(text(sql))]


def _integrity(ctx) -> list[str]:
    """PRAGMA integrity_check on the reopened database: ["ok"] when whole."""
    with ctx.db.read() as s:
        return [str(row[0]) for row in s.execute(text("PRAGMA integrity_check"))]


class Checker:
    """Checks one path's profile against its ledger; collects problems."""

    def __init__(self, material: Material):
        self.material = material
        self.problems: list[Problem] = []

    def _fail(self, kind: str, ledger: Ledger, round_no: int, what: str) -> None:
        self.problems.append(Problem(kind, ledger.path, round_no, what))

    def check(self, ctx, ledger: Ledger, round_no: int) -> None:
        """Every reported write present, jobs in a known state, the path's own invariants."""
        from lmgpa_desktop.core.jobs import owner_alive

        jobs = {row[0]: row[1:] for row in _rows(ctx, "SELECT id, kind, state, payload, owner FROM jobs")}
        for job_id in ledger.queued:
            if job_id not in jobs:
                self._fail("lost", ledger, round_no, f"queued job {job_id} is missing")
        for job_id, (kind, state, _result) in ledger.jobs.items():
            job = jobs.get(job_id)
            if job is None or (state in FINAL_STATES and job[1] != state):
                self._fail("lost", ledger, round_no, f"job {job_id} ({kind}) reported {state}, now "
                                                     f"{job[1] if job else 'missing'}")
        for job_id, (kind, state, _payload, owner) in jobs.items():
            if state == "running" and not owner_alive(owner):
                self._fail("damaged", ledger, round_no, f"job {job_id} ({kind}) left running by a dead process")
        getattr(self, f"_check_{ledger.path}")(ctx, ledger, round_no, jobs)

    # -- per path ------------------------------------------------------------------------------------------------
    def _check_review(self, ctx, ledger: Ledger, round_no: int, jobs: dict) -> None:
        logs = {row[0]: row[1:] for row in _rows(ctx, "SELECT id, card_id, rating, due_after, stability_after "
                                                      "FROM review_logs")}
        for log_id, (card_id, rating) in ledger.answers.items():
            row = logs.get(log_id)
            if row is None or (row[0], row[1]) != (card_id, rating):
                self._fail("lost", ledger, round_no, f"answer log {log_id} (card {card_id} rated {rating})")
        for card_id, undone in ledger.undos:
            if not any(row[0] == card_id and row[1] == 0 and log_id > undone for log_id, row in logs.items()):
                self._fail("lost", ledger, round_no, f"undo of log {undone} on card {card_id}")
        newest: dict[int, int] = {}
        for log_id, row in logs.items():
            newest[row[0]] = max(log_id, newest.get(row[0], 0))
        cards = {row[0]: row[1:] for row in _rows(ctx, "SELECT id, due, stability FROM cards")}
        for card_id, log_id in newest.items():  # a card's schedule and its newest log row are one transaction
            if cards.get(card_id) != tuple(logs[log_id][2:]):
                self._fail("damaged", ledger, round_no, f"card {card_id} does not match its newest log {log_id}")

    def _check_note(self, ctx, ledger: Ledger, round_no: int, jobs: dict) -> None:
        stored = dict(_rows(ctx, "SELECT id, body_md FROM notes WHERE deleted_at IS NULL"))
        for note_id, (uid, version) in ledger.notes.items():
            parsed = parse_note(stored.get(note_id) or "")
            if parsed is None or parsed[0] != uid or parsed[1] < version:
                self._fail("lost", ledger, round_no, f"note {note_id} version {version} "
                                                     f"(found {parsed[1] if parsed else 'nothing'})")
        for note_id, body in stored.items():  # every note is one whole version, never a torn one
            if ledger.seen.get(("note", note_id)) == body:
                continue
            parsed = parse_note(body)
            if parsed is None or body != self.material.note_body(*parsed):
                self._fail("damaged", ledger, round_no, f"note {note_id} is not a whole version")
            ledger.seen[("note", note_id)] = body

    def _check_import(self, ctx, ledger: Ledger, round_no: int, jobs: dict) -> None:
        from lmgpa_desktop.core.capture.media_import import sha256_of

        pages = dict(_rows(ctx, "SELECT source_id, count(*) FROM document_pages GROUP BY source_id"))
        sources = {row[0]: row[1:] for row in _rows(
            ctx, "SELECT id, status, stored_path, sha256, page_count, deleted_at FROM sources "
                 "WHERE kind NOT IN ('audio', 'video', 'recording')")}
        for job_id, (kind, state, result) in ledger.jobs.items():
            if state != "done":
                continue
            source = sources.get(result["source_id"])
            if source is None or source[4] is not None:
                self._fail("lost", ledger, round_no, f"source {result['source_id']} of import job {job_id}")
            elif not result.get("duplicate") and pages.get(result["source_id"], 0) != result.get("pages"):
                self._fail("lost", ledger, round_no, f"source {result['source_id']}: "
                                                     f"{pages.get(result['source_id'], 0)} of {result['pages']} pages")
        for source_id, (status, stored, sha, page_count, _deleted) in sources.items():
            # no half-imported document is ever in the library: ready, its file whole, every page there
            if status != "ready" or not stored or not Path(stored).is_file():
                self._fail("damaged", ledger, round_no, f"source {source_id} is {status} with file {stored}")
            elif pages.get(source_id, 0) != page_count:
                self._fail("damaged", ledger, round_no, f"source {source_id} lacks pages")
            elif ("file", source_id) not in ledger.seen:  # stored files are immutable: hash each once
                if sha256_of(Path(stored)) != sha:
                    self._fail("damaged", ledger, round_no, f"source {source_id}: its file differs from its hash")
                ledger.seen[("file", source_id)] = True

    def _check_record(self, ctx, ledger: Ledger, round_no: int, jobs: dict) -> None:
        from lmgpa_desktop.storage import recordings_repo, sources_repo

        finalizing = defaultdict(set)
        for kind, state, payload, _owner in jobs.values():
            if kind == "recording.finalize":
                finalizing[json.loads(payload).get("recording_id")].add(state)
        for rec_id, facts in ledger.recordings.items():
            rec = recordings_repo.get(ctx.db, rec_id)
            if rec is None:
                self._fail("lost", ledger, round_no, f"recording {rec_id}")
                continue
            if rec.state in ("recording", "paused"):
                self._fail("damaged", ledger, round_no, f"recording {rec_id} still {rec.state} after the reopen")
            source = sources_repo.get(ctx.db, rec.source_id)
            flac = Path(rec.directory) / "recording.flac"
            saved = source is not None and source.stored_path == str(flac) and flac.is_file()
            if facts["finalized"] and not saved:
                self._fail("lost", ledger, round_no, f"recording {rec_id} was saved, its FLAC is gone")
            if not saved and rec.state != "failed" and not finalizing[rec_id] & {"queued", "running", "failed"}:
                # (a failed finalize job is reported to the student with its reason and a Retry; the audio stays)
                self._fail("lost", ledger, round_no, f"recording {rec_id} ({rec.state}, source "
                                                     f"{source.status if source else None}) is never saved: "
                                                     f"no finalize job will run ({finalizing[rec_id] or 'none'})")
            if rec_id in ledger.verified_audio:
                continue  # its saved FLAC was compared once; it is immutable from then on
            self._check_audio(ctx, ledger, round_no, rec, facts, flac if saved else None)
            if saved:
                ledger.verified_audio.add(rec_id)

    def _check_audio(self, ctx, ledger: Ledger, round_no: int, rec, facts: dict, flac: Path | None) -> None:
        """The recording holds at least the reported frames, and they are the microphone's audio."""
        import soundfile

        from lmgpa_desktop.storage import recordings_repo

        frame_bytes = 2 * rec.channels
        reported = sum(size // frame_bytes for size in facts["flushed"].values())
        need = max(reported, facts["stopped"] or 0)
        if flac is not None:
            audio, _ = soundfile.read(str(flac), dtype="int16", always_2d=True)
        else:
            parts = []
            for seg in sorted(recordings_repo.segments(ctx.db, rec.id), key=lambda s: s.seq):
                if not Path(seg.path).is_file():
                    self._fail("lost", ledger, round_no, f"recording {rec.id}: segment file {seg.path} is gone")
                    return
                data = np.fromfile(seg.path, dtype="<i2", count=seg.frames * rec.channels)
                parts.append(data.reshape(-1, rec.channels))
            audio = np.concatenate(parts) if parts else np.zeros((0, rec.channels), np.int16)
        if len(audio) < need:
            self._fail("lost", ledger, round_no, f"recording {rec.id}: {len(audio)} frames kept, {need} reported")
            return
        if facts["stopped"] is not None and len(audio) != facts["stopped"]:
            self._fail("damaged", ledger, round_no, f"recording {rec.id}: {len(audio)} frames kept, "
                                                    f"{facts['stopped']} recorded before the stop")
        clip = self.material.mic_clips[facts["clip"]][0]
        expected = clip[facts["offset"]:facts["offset"] + len(audio)]
        if not np.array_equal(audio, expected):
            self._fail("damaged", ledger, round_no, f"recording {rec.id}: the kept audio differs from the microphone's")

    def _check_transcribe(self, ctx, ledger: Ledger, round_no: int, jobs: dict) -> None:
        from lmgpa_desktop.storage import sources_repo, transcripts_repo

        for job_id, (kind, state, result) in ledger.jobs.items():
            if kind == "import.media" and state == "done":
                source = sources_repo.get(ctx.db, result["source_id"])
                if source is None or not Path(source.stored_path or "").is_file():
                    self._fail("lost", ledger, round_no, f"source {result['source_id']} of job {job_id}")
        for transcript_id, (source_id, count, end) in ledger.transcripts.items():
            transcript = transcripts_repo.get(ctx.db, transcript_id)
            if transcript is None:
                replaced = transcripts_repo.latest(ctx.db, source_id)
                if replaced is None or replaced.status != "done":
                    self._fail("lost", ledger, round_no, f"transcript {transcript_id} ({count} segments)")
                continue
            segments = transcript.segments
            if len(segments) < count or segments[count - 1].end + 1e-6 < end:
                self._fail("lost", ledger, round_no, f"transcript {transcript_id}: {len(segments)} of {count} "
                                                     f"segments")
            if any(b.start < a.end - 0.5 for a, b in zip(segments, segments[1:])):
                self._fail("damaged", ledger, round_no, f"transcript {transcript_id} repeats a stretch")
