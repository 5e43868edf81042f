"""Live transcript from recorder-sized blocks of real speech, and its replacement by the final pass."""

from __future__ import annotations

import time

import pytest

from lmgpa_desktop.core.capture import live_transcription
from lmgpa_desktop.core.capture import transcripts
from lmgpa_desktop.core.text_metrics import word_error_rate
from lmgpa_desktop.engines.audio_decode import SAMPLE_RATE, decode_all
from lmgpa_desktop.storage import sources_repo, transcripts_repo

pytestmark = pytest.mark.slow


def test_live_text_follows_the_speaker_and_the_final_pass_replaces_it(ctx, shared, monkeypatch):
    monkeypatch.setattr(live_transcription, "STEP_S", 0.5)
    audio = decode_all(shared / "audio" / "2412-153948-0000.flac")
    source = sources_repo.create(ctx.db, kind="recording", title="live test", status="recording")
    live = live_transcription.LiveTranscriber(ctx, source.id)
    live.start()
    block = SAMPLE_RATE // 2  # the recorder hands over half-second blocks
    for i in range(0, len(audio), block):
        live.feed(audio[i:i + block], i / SAMPLE_RATE)
        time.sleep(0.05)
    deadline = time.monotonic() + 120
    while not transcripts_repo.get(ctx.db, live.transcript_id).segments:
        assert time.monotonic() < deadline, "no live text"
        time.sleep(0.2)
    # the last seconds stay "pending" until more audio settles them: what is committed is settled text
    committed = transcripts_repo.get(ctx.db, live.transcript_id)
    assert committed.kind == "live"
    assert all(s.end <= len(audio) / SAMPLE_RATE + 0.5 for s in committed.segments)
    live.stop()
    shown = transcripts.current(ctx, source.id)
    assert shown.id == live.transcript_id
    reference = (shared / "audio" / "2412-153948-0000.reference.txt").read_text()
    text = " ".join(s.text for s in shown.segments) + " " + live.pending_text
    assert word_error_rate(reference, text) < 0.35

    # the final pass over the whole audio replaces the live text
    import soundfile

    path = ctx.home / "rec.flac"
    soundfile.write(path, audio, SAMPLE_RATE)
    sources_repo.update(ctx.db, source.id, stored_path=str(path), duration_s=len(audio) / SAMPLE_RATE, status="new")
    assert ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": source.id})).state == "done"
    final = transcripts.current(ctx, source.id)
    assert final.kind == "final" and transcripts_repo.get(ctx.db, live.transcript_id) is None
    assert word_error_rate(reference, " ".join(s.text for s in final.segments)) < 0.1
