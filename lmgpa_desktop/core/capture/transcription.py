"""Transcription: a resumable job that streams a file through Whisper in bounded memory."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core import disk_space
from lmgpa_desktop.engines import audio_decode
from lmgpa_desktop.engines.audio_decode import SAMPLE_RATE
from lmgpa_desktop.engines.errors import ModelError
from lmgpa_desktop.engines.whisper import Segment, WhisperEngine, Word
from lmgpa_desktop.core.capture.transcripts import request_index
from lmgpa_desktop.storage import sources_repo, transcripts_repo

WINDOW_S = 300.0  # audio held in memory at once (19 MB of float32): a 3-hour lecture costs the same
MARGIN_S = 15.0  # segments ending this close to a window's end are redone with the next window
BATCH_SIZE = 4  # batched decoding: 0.77x the time of sequential at equal accuracy here; 4 uses less memory than 8
MAX_SEGMENT_S = 12.0  # batched chunks run to 30 s: split them into sentences a student can click
PAUSE_S = 0.8  # a silence this long between words also ends a segment

log = logging.getLogger(__name__)


def _shift(seg: Segment, offset: float) -> Segment:
    """A segment moved from window time to file time."""
    words = [Word(w.start + offset, w.end + offset, w.word, w.probability) for w in seg.words]
    return replace(seg, start=seg.start + offset, end=seg.end + offset, words=words)


def split_sentences(seg: Segment) -> list[Segment]:
    """Cut a long segment at sentence ends, long pauses, or (failing both) commas, using word times."""
    words = seg.words
    if not words:
        return [seg]
    pieces, current = [], []
    for i, word in enumerate(words):
        current.append(word)
        nxt = words[i + 1] if i + 1 < len(words) else None
        span = current[-1].end - current[0].start
        ends_sentence = word.word.rstrip().rstrip("\"')").endswith((".", "?", "!")) and span >= 1.0
        paused = nxt is not None and nxt.start - word.end >= PAUSE_S and span >= 1.0
        too_long = nxt is not None and nxt.end - current[0].start > MAX_SEGMENT_S
        if too_long and not (ends_sentence or paused):
            commas = [j for j, w in enumerate(current[:-1]) if w.word.rstrip().endswith((",", ";", ":"))]
            if commas:  # cut after the last comma and carry the rest over
                cut = commas[-1] + 1
                pieces.append(current[:cut])
                current = current[cut:]
                continue
        if nxt is None or ends_sentence or paused or too_long:
            pieces.append(current)
            current = []
    return [Segment(p[0].start, p[-1].end, "".join(w.word for w in p).strip(), p, seg.avg_logprob,
                    seg.no_speech_prob) for p in pieces if p]


def transcribe_file(engine: WhisperEngine, path: Path, start_s: float = 0.0, language: str | None = None,
                    vad: bool = True, beam_size: int = 5, batch_size: int = BATCH_SIZE,
                    on_language=None) -> Iterator[Segment]:
    """Segments in file time, decoding and transcribing WINDOW_S at a time from start_s."""
    blocks = audio_decode.stream(path)
    skip = int(start_s * SAMPLE_RATE)
    buffer, buf_start, exhausted = np.zeros(0, dtype=np.float32), start_s, False
    while True:
        while not exhausted and len(buffer) < WINDOW_S * SAMPLE_RATE:
            block = next(blocks, None)
            if block is None:
                exhausted = True
                break
            if skip:  # resuming: drop audio before the checkpoint
                cut = min(skip, len(block))
                block, skip = block[cut:], skip - cut
            buffer = np.concatenate([buffer, block]) if len(buffer) else block
        if len(buffer) < SAMPLE_RATE // 10:
            return
        segments, info = engine.transcribe(buffer, language=language, vad=vad, beam_size=beam_size,
                                           batch_size=batch_size)
        segments = (piece for seg in segments for piece in split_sentences(seg))
        if language is None:
            language = info.language  # keep the first window's language for the rest of the file
            if on_language:
                on_language(info.language, info.language_probability)
        window_end = buf_start + len(buffer) / SAMPLE_RATE
        limit = window_end if exhausted else window_end - MARGIN_S
        next_start = None
        for seg in segments:
            if not exhausted and buf_start + seg.end > limit:
                next_start = buf_start + seg.start  # redo this one with more context
                break
            yield _shift(seg, buf_start)
            next_start = buf_start + seg.end
        if exhausted:
            return
        if next_start is None or next_start <= buf_start:
            next_start = limit  # nothing usable (silence): move on
        drop = int(round((next_start - buf_start) * SAMPLE_RATE))
        buffer, buf_start = buffer[drop:], buf_start + drop / SAMPLE_RATE


def _engine_for(run: JobRun, payload: dict) -> tuple[WhisperEngine, str]:
    """The registry's engine, or one for the model folder the payload names."""
    services = run.services
    if payload.get("model"):
        path = Path(payload["model"]).expanduser()
        return WhisperEngine(path, threads=services.settings.threads()), str(path)
    return services.models.whisper(), str(services.models.path("whisper"))


def _gave_up(services, job, reason: str) -> None:
    """Crashes stopped this transcription too often: its transcript keeps what it has, the source says why."""
    transcript_id = (job.checkpoint or {}).get("transcript_id")
    if transcript_id is not None:
        transcripts_repo.update_info(services.db, transcript_id, status="failed")
    sources_repo.update(services.db, job.payload["source_id"], status="failed", error=f"transcription {reason}")


@job_kind("transcribe", queue="whisper", on_give_up=_gave_up)
def transcribe_job(run: JobRun, payload: dict):
    """Transcribe a library source; segments are committed as they come, a re-run resumes."""
    services = run.services
    source = sources_repo.get(services.db, payload["source_id"])
    if source is None or source.deleted_at is not None:
        raise JobError(f"source {payload['source_id']} is not in the library")
    path = Path(source.stored_path or "")
    if not path.is_file():
        raise JobError(f"the audio of {source.title!r} is missing: {path}")
    engine, model_name = _engine_for(run, payload)
    language = payload.get("language") or services.settings.get("transcribe.language") or None
    check = dict(run.checkpoint or {})
    transcript_id = check.get("transcript_id")
    if transcript_id is None:
        transcript_id = transcripts_repo.start(services.db, source.id, "final", model_name, language)
        check = {"transcript_id": transcript_id, "committed_s": 0.0, "language": language}
        run.save_checkpoint(check)
    language = check.get("language") or language
    # The segments table, not the checkpoint, says how far we got: a crash can fall between the two writes.
    check["committed_s"] = transcripts_repo.last_end(services.db, transcript_id)
    duration = source.duration_s or audio_decode.probe(path).duration_s or 0.0
    sources_repo.update(services.db, source.id, status="processing", error=None)
    yield Progress(check["committed_s"], duration, "loading the speech model")

    def remember_language(code: str, probability: float) -> None:
        check["language"] = code
        transcripts_repo.update_info(services.db, transcript_id, language=code, language_probability=probability)

    transcripts_repo.update_info(services.db, transcript_id, status="running")  # also when resuming
    outcome, error = "cancelled", None
    try:
        for seg in transcribe_file(engine, path, check["committed_s"], language, on_language=remember_language):
            transcripts_repo.add_segment(
                services.db, transcript_id, seg.start, seg.end, seg.text,
                [[w.start, w.end, w.word, w.probability] for w in seg.words], seg.avg_logprob, seg.no_speech_prob)
            check["committed_s"] = seg.end
            run.save_checkpoint(check)
            yield Progress(min(seg.end, duration), duration, f"transcribed {clock(seg.end)} of {clock(duration)}")
        outcome = "done"
    except (audio_decode.DecodeError, ModelError) as exc:
        outcome, error = "failed", str(exc)
        raise JobError(error) from exc
    except Exception as exc:
        full = disk_space.is_disk_full(exc)
        outcome, error = "failed", disk_space.describe(exc, services.home) if full else f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if outcome != "done":  # keep what was transcribed; say why it is partial
            try:
                transcripts_repo.update_info(services.db, transcript_id, status=outcome)
                status = "failed" if outcome == "failed" else ("ready" if check["committed_s"] else "new")
                sources_repo.update(services.db, source.id, status=status, error=error)
            except Exception as exc:  # noqa: BLE001 - a disk too full for this too: the job's own error says why
                if not disk_space.is_disk_full(exc):
                    raise
                log.warning("transcript %s: its status could not be saved (disk full)", transcript_id)
    yield Progress(duration, duration, f"transcript ready ({clock(duration)})")
    transcripts_repo.update_info(services.db, transcript_id, status="done", duration_s=duration,
                                 language=check.get("language"))
    transcripts_repo.drop_other(services.db, source.id, transcript_id, ("live",))
    sources_repo.update(services.db, source.id, status="ready", language=check.get("language"))
    request_index(services, source.id, source.title)  # the transcript becomes searchable
    return {"transcript_id": transcript_id, "language": check.get("language"), "duration": duration}
