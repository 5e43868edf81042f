"""What a crash-test child does until it is killed: the app's real write paths, each write reported on a pipe
only after the call that committed it returned.

Each workload first resumes the queued jobs of its kinds, as the app's job workers do after a start-up, then
writes in a loop. A report is one line written with one os.write (atomic on a pipe), so a kill never leaves half
a line.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
import zipfile
from pathlib import Path

from crash_material import Material, parse_note

# Job kinds each path resumes when it starts (the app's worker runs every queued job; here each profile only
# holds the kinds of its own path, apart from follow-ups such as indexing that need other models).
RESUMED_KINDS = {
    "import": ("import.document",),
    "record": ("recording.finalize",),
    "transcribe": ("import.media", "transcribe"),
}


class Reporter:
    """Writes one JSON line per committed write to the report pipe."""

    def __init__(self, fd: int, round_no: int):
        self.fd, self.round_no = fd, round_no

    def __call__(self, *fields) -> None:
        os.write(self.fd, (json.dumps([self.round_no, *fields]) + "\n").encode())


def resume_jobs(ctx, report: Reporter, path: str) -> None:
    """Run the queued jobs of this path's kinds, oldest first (the interrupted ones resume here)."""
    kinds = RESUMED_KINDS.get(path, ())
    while True:
        queued = [j for j in ctx.jobs.recent(10_000) if j.state == "queued" and j.kind in kinds]
        if not queued:
            return
        job = min(queued, key=lambda j: j.id)
        final = ctx.jobs.run_now(job.id, _transcript_listener(ctx, report) if job.kind == "transcribe" else None)
        report("resumed", final.id, final.kind, final.state, final.result or {})
        if final.kind == "recording.finalize" and final.state == "done":
            report("finalized", final.payload["recording_id"], final.id)


# -- rating cards ----------------------------------------------------------------------------------------------
def review_cards(ctx, report: Reporter, rng: random.Random, material: Material, work: Path) -> None:
    """Answer cards with FSRS (and now and then undo one), as on the Review page."""
    from lmgpa_desktop.core.study import review

    ids = card_ids(ctx)
    answered: list[tuple[int, int]] = []  # (card, log) of this process's answers, as ctx.undo holds them
    while True:
        card = review.next_card(ctx) if rng.random() < 0.7 else None
        card_id = card.id if card is not None else rng.choice(ids)
        if answered and rng.random() < 0.1:
            undone_card, undone_log = answered.pop()
            review.undo_last(ctx)
            report("undo", undone_card, undone_log)
            continue
        rating = rng.randint(1, 4)
        result = review.answer(ctx, card_id, rating, duration_ms=rng.randint(800, 20_000))
        answered.append((card_id, result.log_id))
        report("answer", card_id, rating, result.log_id)


# -- editing notes ---------------------------------------------------------------------------------------------
def edit_notes(ctx, report: Reporter, rng: random.Random, material: Material, work: Path) -> None:
    """Write new notes and save new versions of existing ones, as the note editor does."""
    from lmgpa_desktop.core.study import notes

    while True:
        existing = notes.listing(ctx)
        if not existing or rng.random() < 0.25:
            uid = uuid.uuid4().hex[:12]
            note = notes.create(ctx, body_md=material.note_body(uid, 0))
            report("note", note.id, uid, 0)
            continue
        note = rng.choice(existing)
        parsed = parse_note(note.body_md)
        if parsed is None:
            continue
        uid, version = parsed
        notes.edit(ctx, note.id, body_md=material.note_body(uid, version + 1))
        report("note", note.id, uid, version + 1)


# -- importing documents ---------------------------------------------------------------------------------------
def _unique_copy(template: Path, folder: Path, tag: str) -> Path:
    """A copy of a real document that differs only in a harmless mark, so the library does not call it a duplicate."""
    target = folder / f"{template.stem}-{tag}{template.suffix}"
    data = template.read_bytes()
    if template.suffix == ".md":
        target.write_bytes(data + f"\n\nCopy {tag}.\n".encode())
    elif template.suffix == ".pdf":
        target.write_bytes(data + f"\n%copy {tag}\n".encode())  # a comment after %%EOF; readers ignore it
    else:  # .docx: a zip comment changes the bytes, not the document
        target.write_bytes(data)
        with zipfile.ZipFile(target, "a") as z:
            z.comment = f"copy {tag}".encode()
    return target


def import_documents(ctx, report: Reporter, rng: random.Random, material: Material, work: Path) -> None:
    """Queue and run document imports (core/library's import.document job), as Add files does."""
    from lmgpa_desktop.core.library import library

    folder = work / "to-import"
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        doc = _unique_copy(rng.choice(material.documents), folder, uuid.uuid4().hex[:10])
        job_id = library.queue_import(ctx, doc)
        report("queued", job_id, "import.document")
        final = ctx.jobs.run_now(job_id)
        report("job", final.id, final.kind, final.state, final.result or {})


# -- recording -------------------------------------------------------------------------------------------------
REPORT_EVERY_S = 0.01


class ReportingFile:
    """A segment file (opened as the recorder opens it) that reports its size after every flush returned."""

    def __init__(self, path: Path, on_flush):
        self.file = open(path, "xb")
        self.seq, self.size, self.on_flush = int(path.stem.split("-")[1]), 0, on_flush
        self.reported = 0.0

    def write(self, data) -> int:
        written = self.file.write(data)
        self.size += written
        return written

    def flush(self) -> None:
        self.file.flush()  # the bytes are the kernel's now: a killed process cannot lose them
        now = time.monotonic()
        if now - self.reported >= REPORT_EVERY_S:  # every flush would be ~500 reports a second
            self.reported = now
            self.on_flush(self.seq, self.size)

    def fileno(self) -> int:
        return self.file.fileno()

    def close(self) -> None:
        self.file.close()


def record_lectures(ctx, report: Reporter, rng: random.Random, material: Material, work: Path) -> None:
    """Record real speech through the recorder's crash-safe segment writer, stop, save (finalize), again."""
    from virtual_mic import FileStream

    from lmgpa_desktop.core.capture.recorder import Recorder

    while True:
        clip_no = rng.randrange(len(material.mic_clips))
        audio, rate = material.mic_clips[clip_no]
        offset = rng.randrange(0, len(audio) // 2)
        stream = FileStream(audio[offset:], rate)
        holder: dict = {}

        def flushed(seq: int, size: int) -> None:
            report("flushed", holder["rec"].recording_id, seq, size)

        rec = Recorder(ctx, title=f"Crash lecture {uuid.uuid4().hex[:6]}", open_stream=stream.open,
                       open_file=lambda p: ReportingFile(p, flushed))
        holder["rec"] = rec
        rec.segment_s = rng.choice([0.2, 0.5, 1.0])  # many rotations: each closes a file and commits its row
        rec.start()
        report("rec", rec.recording_id, rec.source_id, clip_no, offset)
        seconds = rng.uniform(0.2, 1.5)
        step = rate // 50
        while stream.pos < min(len(stream.audio), seconds * rate):
            stream.feed(step * 4)  # four times real time
            time.sleep(0.02)
        report("stopping", rec.recording_id)
        rec.stop()
        report("stopped", rec.recording_id, int(round(rec.elapsed_s * rate)), rec.finalize_job_id)
        if rec.finalize_job_id is not None:
            final = ctx.jobs.run_now(rec.finalize_job_id)
            report("job", final.id, final.kind, final.state, final.result or {})
            if final.state == "done":
                report("finalized", rec.recording_id, final.id)


# -- transcribing ----------------------------------------------------------------------------------------------
def _transcript_listener(ctx, report: Reporter):
    """A run_now listener that reports the committed segments of a transcription after each progress report."""
    from lmgpa_desktop.storage import transcripts_repo

    def listener(event, job, progress) -> None:
        if event != "progress":
            return
        record = ctx.jobs.get(job)
        transcript_id = (record.checkpoint or {}).get("transcript_id")
        if transcript_id is None:
            return
        transcript = transcripts_repo.get(ctx.db, transcript_id)
        if transcript and transcript.segments:
            report("tseg", job, transcript_id, transcript.source_id, len(transcript.segments),
                   transcript.segments[-1].end)

    return listener


def transcribe_lectures(ctx, report: Reporter, rng: random.Random, material: Material, work: Path) -> None:
    """Import a short excerpt of a real lecture (import.media) and transcribe it with faster-whisper."""
    import soundfile

    audio, rate = material.lecture
    folder = work / "excerpts"
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        start = rng.randrange(0, max(1, len(audio) // rate - 5)) * rate
        clip = folder / f"lecture-{start // rate:04d}s.flac"
        if not clip.exists():
            soundfile.write(str(clip), audio[start:start + 5 * rate], rate, format="FLAC", subtype="PCM_16")
        job_id = ctx.jobs.submit("import.media", {"path": str(clip)}, title=f"Importing {clip.name}")
        report("queued", job_id, "import.media")
        imported = ctx.jobs.run_now(job_id)
        report("job", imported.id, imported.kind, imported.state, imported.result or {})
        transcribe_id = (imported.result or {}).get("transcribe_job")
        if transcribe_id is None:
            continue  # this stretch was imported in an earlier round
        final = ctx.jobs.run_now(transcribe_id, _transcript_listener(ctx, report))
        report("job", final.id, final.kind, final.state, final.result or {})


WORKLOADS = {"review": review_cards, "note": edit_notes, "import": import_documents, "record": record_lectures,
             "transcribe": transcribe_lectures}


def seed_profile(ctx, path: str, material: Material, cards: int = 150) -> None:
    """What a path needs before its first round (through the core use cases): a deck of cards to review."""
    if path == "review":
        from lmgpa_desktop.core.study import decks

        deck = decks.create_deck(ctx, "Crash deck")
        for front, back in material.card_texts(cards):
            decks.create_card(ctx, deck.id, front, back)


def card_ids(ctx) -> list[int]:
    """Every card of the profile (the review path picks some at random besides the scheduler's next card)."""
    from lmgpa_desktop.storage import cards_repo

    return [c.id for d in cards_repo.decks(ctx.db) for c in cards_repo.cards_of_deck(ctx.db, d.id)]
