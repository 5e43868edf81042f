"""Read-aloud: Markdown becomes speakable sentences; the real Piper voice speaks them one by one (the first
before the rest is synthesized) at the expected pace; Whisper understands the result; exports decode."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import soundfile
from support import SHARED

from lmgpa_desktop.cli import commands_speech, run_handler
from lmgpa_desktop.core.study import read_aloud
from lmgpa_desktop.core.capture import transcription
from lmgpa_desktop.core.text_metrics import word_error_rate
from lmgpa_desktop.engines.whisper import decode_audio
from lmgpa_desktop.storage.models import Note

READING = (SHARED / "audio" / "LJ001-0001_0032.reference.txt").read_text(encoding="utf-8")
# The first three sentences of the shared reading (129 words): real prose with long sentences.
PASSAGE = " ".join(read_aloud.split_sentences(" ".join(READING.split()))[:3])

NOTE = """# Photosynthesis

Plants turn **light** into *chemical energy* [1]. See the [textbook](https://example.org/bio) for details.[2, 3]

## Key points
- The light reactions happen in the thylakoids.
- [ ] The Calvin cycle fixes `CO2` into sugar.
  1. It runs in the stroma.

```python
print("this code is not read aloud")
```

| Stage | Where |
|---|---|
| Light reactions | Thylakoids |

> A quote with a footnote[^1] and <b>HTML</b>.

![a diagram](diagram.png)
[1]: https://example.org/ref
"""


def test_markdown_is_stripped_to_what_a_reader_would_say():
    spoken = read_aloud.speakable(NOTE)
    assert spoken.split("\n\n") == [
        "Photosynthesis.",
        "Plants turn light into chemical energy. See the textbook for details.",
        "Key points.",
        "The light reactions happen in the thylakoids.",
        "The Calvin cycle fixes CO2 into sugar.",
        "It runs in the stroma.",
        "Stage, Where.",
        "Light reactions, Thylakoids.",
        "A quote with a footnote and HTML.",
    ]
    for mark in ("*", "#", "[", "]", "`", "http", "|", "<", ">", "print"):
        assert mark not in spoken
    blocks = read_aloud.markdown_blocks(NOTE)
    assert [b.kind for b in blocks].count("code") == 1
    assert [(b.text, b.level) for b in blocks if b.kind == "item"][-1] == ("It runs in the stroma.", 1)


def test_sentences_split_at_full_stops_but_not_at_abbreviations():
    text = "Dr. Smith measured it, e.g. with a meter. It read 3.5 volts! Did J. R. Tolkien agree? Yes."
    assert read_aloud.split_sentences(text) == [
        "Dr. Smith measured it, e.g. with a meter.", "It read 3.5 volts!", "Did J. R. Tolkien agree?", "Yes."]


def test_a_long_first_sentence_is_split_at_a_clause_so_speech_starts_sooner():
    parts = read_aloud.sentences(PASSAGE)
    first_sentence = read_aloud.split_sentences(PASSAGE)[0]
    assert len(first_sentence.split()) > 25
    assert parts[0].text == "Printing, in the only sense with which we are at present concerned,"
    assert parts[0].block_start and not parts[1].block_start
    assert " ".join(p.text for p in parts) == PASSAGE  # nothing lost or reordered
    whole = read_aloud.sentences(PASSAGE, short_first=False)
    assert whole[0].text == first_sentence
    assert len(read_aloud.sentences(READING)) < 40  # past the opening, sentences are spoken whole


def test_nothing_to_say_gives_no_sentences():
    assert read_aloud.sentences("```\ncode only\n```\n\n---\n") == []
    assert read_aloud.speakable("![img](x.png)") == ""


@pytest.mark.slow
def test_speech_has_the_expected_duration_at_speed_1_and_1_5(ctx):
    words = len(PASSAGE.split())
    durations = {}
    for speed in (1.0, 1.5):
        chunks = list(read_aloud.speak(ctx, PASSAGE, speed))
        rate = chunks[0].sample_rate
        audio = np.concatenate([c.samples for c in chunks])
        assert audio.dtype == np.int16 and rate == 22050
        assert np.abs(audio.astype(np.float32)).mean() > 300  # speech, not silence
        assert [c.sentence_index for c in chunks] == sorted(c.sentence_index for c in chunks)
        durations[speed] = len(audio) / rate
    # A clear reading voice speaks 150-220 words a minute (joe-medium: about 180).
    assert words / 220 * 60 < durations[1.0] < words / 150 * 60
    # 1.5x is clearly faster, though pauses and breaths do not shrink by the full factor.
    assert 0.6 < durations[1.5] / durations[1.0] < 0.85


@pytest.mark.slow
def test_the_first_sentence_arrives_before_the_others_are_synthesized(ctx):
    engine = ctx.models.tts()
    calls = []
    real = engine.synthesize

    def counting(text, speed=1.0):
        calls.append(text)
        yield from real(text, speed)

    engine.synthesize = counting  # the real voice still speaks; this only counts what was asked when
    speech = read_aloud.speak(ctx, PASSAGE, 1.0)
    first = next(speech)
    assert calls == [first.text] and first.sentence_index == 0 and first.sentence_count >= 4
    assert len(first.samples) / first.sample_rate > 2.0  # a whole phrase, ready to play
    rest = list(speech)
    assert len(calls) == first.sentence_count and rest[-1].sentence_index == first.sentence_count - 1


@pytest.mark.slow
def test_cancel_stops_after_the_current_sentence(ctx):
    import threading

    cancel = threading.Event()
    got = []
    for chunk in read_aloud.speak(ctx, PASSAGE, 1.0, cancel):
        got.append(chunk)
        cancel.set()
    assert len(got) == 1 and got[0].sentence_count > 1


CELL_NOTE = """# The cell

The cell is the basic unit of life [1]. Every living thing is made of one or more cells. The **nucleus** holds the
genetic material, and the mitochondria release energy from food.

- Plant cells have a cell wall and chloroplasts.
- Animal cells have neither.
"""


@pytest.mark.slow
# Two sentences of the reading (76 words, about 25 s): long real prose that stays within Whisper's window.
@pytest.mark.parametrize("text", [CELL_NOTE, " ".join(read_aloud.split_sentences(" ".join(READING.split()))[3:5])],
                         ids=["note", "reading"])
def test_exported_audio_decodes_and_whisper_understands_it(ctx, tmp_path, text):
    path = read_aloud.export_audio(ctx, text, tmp_path / "speech.flac")
    info = soundfile.info(str(path))
    assert info.samplerate == 22050 and info.channels == 1 and info.format == "FLAC"
    words = len(read_aloud.speakable(text).split())
    assert words / 220 * 60 < info.duration < words / 130 * 60  # headings and items add short pauses
    assert not (tmp_path / "speech.flac.part").exists()
    # Kept under 30 s of speech: Whisper tiny.en sometimes drops the tail of a longer window.
    assert info.duration < 30
    # Transcribed the way the app transcribes a lecture (speech chunks batched). Piper's prosody is random per run: in
    # one 25 s window tiny.en skipped a clause in 2 of 8 runs (WER 13-17%); batched, 18 runs gave 1-9%. Garbled or
    # wrong-language audio scores far above 15%.
    segments, _ = ctx.models.whisper().transcribe(decode_audio(path), language="en", batch_size=transcription.BATCH_SIZE)
    heard = " ".join(s.text for s in segments)
    assert word_error_rate(read_aloud.speakable(text), heard) < 0.15, heard


@pytest.mark.slow
def test_export_formats_by_suffix_and_bad_names(ctx, tmp_path):
    tmp_path = tmp_path / "out"  # the profile lives in tmp_path/home: only this folder is ours to inspect
    tmp_path.mkdir()
    for suffix, fmt in ((".wav", "WAV"), (".ogg", "OGG")):
        path = read_aloud.export_audio(ctx, "# Cells\n\nThe cell is the unit of life.", tmp_path / f"cell{suffix}",
                                       speed=1.25)
        audio, rate = soundfile.read(str(path), dtype="int16")
        assert soundfile.info(str(path)).format == fmt and rate == 22050
        assert 1.0 < len(audio) / rate < 5.0 and np.abs(audio.astype(np.float32)).mean() > 200
    with pytest.raises(ValueError, match="mp3"):
        read_aloud.export_audio(ctx, "Hello.", tmp_path / "hello.mp3")
    with pytest.raises(ValueError, match="out of range"):
        read_aloud.export_audio(ctx, "Hello.", tmp_path / "hello.wav", speed=5)
    with pytest.raises(ValueError, match="nothing to read"):
        read_aloud.export_audio(ctx, "```\nx = 1\n```", tmp_path / "code.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cell.ogg", "cell.wav"]


@pytest.mark.slow
def test_speed_comes_from_the_settings_when_not_given(ctx):
    assert read_aloud.speech_speed(ctx) == 1.0
    ctx.settings.set(read_aloud.SPEED_SETTING, 2.0)
    assert read_aloud.speech_speed(ctx) == 2.0
    fast = sum(len(c.samples) for c in read_aloud.speak(ctx, PASSAGE))
    normal = sum(len(c.samples) for c in read_aloud.speak(ctx, PASSAGE, 1.0))
    assert fast < 0.75 * normal


@pytest.fixture
def speech_jobs(monkeypatch):
    """The speech job kinds registered (the app lists its job modules; tests name this one)."""
    monkeypatch.setenv("LMGPA_JOB_MODULES", "lmgpa_desktop.core.study.read_aloud")


@pytest.mark.slow
def test_export_job_reports_progress_per_sentence_for_a_stored_note(ctx, tmp_path, speech_jobs):
    with ctx.db.write() as s:
        note = Note(title="Photosynthesis", body_md=NOTE.split("\n", 2)[2])
        s.add(note)
        s.flush()
        note_id = note.id
    target = tmp_path / "note.wav"
    job_id = ctx.jobs.submit("speech.export", {"note_id": note_id, "path": str(target)}, "Note as audio")
    assert ctx.jobs.get(job_id).queue == "tts"
    reports = []
    final = ctx.jobs.run_now(job_id, lambda event, _job, report: reports.append(report) if report else None)
    assert final.state == "done", final.error
    total = len(read_aloud.sentences(f"# Photosynthesis\n\n{NOTE.split(chr(10), 2)[2]}"))
    assert final.result["sentences"] == total
    assert [r.done for r in reports if r.message.startswith("read sentence")] == list(range(1, total + 1))
    assert soundfile.info(str(target)).duration == pytest.approx(final.result["seconds"], abs=0.01)

    missing = ctx.jobs.submit("speech.export", {"note_id": 999, "path": str(tmp_path / "x.wav")})
    failed = ctx.jobs.run_now(missing)
    assert failed.state == "failed" and "999" in failed.error


@pytest.mark.slow
def test_cancelling_the_export_job_leaves_no_file(ctx, tmp_path, speech_jobs):
    tmp_path = tmp_path / "out"  # the profile lives in tmp_path/home: only this folder is ours to inspect
    tmp_path.mkdir()
    target = tmp_path / "reading.wav"
    job_id = ctx.jobs.submit("speech.export", {"text": PASSAGE, "path": str(target)})

    def listener(event, _job, report):
        if report is not None and report.done >= 1:
            ctx.jobs.cancel(job_id)

    final = ctx.jobs.run_now(job_id, listener)
    assert final.state == "cancelled"
    assert list(tmp_path.iterdir()) == []


def _cli(*argv: str) -> int:
    """Run the speech commands in this process (parsed exactly as `lmgpa` parses them)."""
    parser = argparse.ArgumentParser(prog="lmgpa")
    parser.add_argument("--home")
    commands_speech.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return run_handler(args.handler, args)


@pytest.mark.slow
def test_cli_speak_reads_text_a_file_or_stdin(home, tmp_path, monkeypatch, capsys):
    out = tmp_path / "hello.wav"
    assert _cli("speak", "Hello there. This is a **test** [1].", "-o", str(out)) == 0
    assert 1.0 < soundfile.info(str(out)).duration < 5.0
    notes = tmp_path / "notes.md"
    notes.write_text("# Cells\n\n- The nucleus holds the DNA.\n", encoding="utf-8")
    assert _cli("speak", f"@{notes}", "-o", str(tmp_path / "notes.flac"), "--speed", "1.5") == 0
    assert soundfile.info(str(tmp_path / "notes.flac")).format == "FLAC"
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Read from standard input."))
    assert _cli("speak", "-", "-o", str(tmp_path / "stdin.ogg")) == 0
    assert "wrote" in capsys.readouterr().err
    assert _cli("speak", "Hello.", "-o", str(tmp_path / "x.mp3")) == 1
    assert _cli("speak", "```\ncode\n```", "-o", str(tmp_path / "x.wav")) == 1
    err = capsys.readouterr().err
    assert "choose a .wav, .flac or .ogg" in err and "nothing to read aloud" in err


# ---- the read-aloud bar on the chat page and in the transcript view (offscreen, no sound card) ---------------

ANSWER = ("The Middle Ages brought calligraphy to perfection [1]. The forms of printed letters followed the "
          "written hand, and the first books were printed in black letter [2].")


def _window(qtbot, ctx, area: str):
    from lmgpa_desktop.app import build_window

    win = build_window(ctx)
    qtbot.addWidget(win)
    win.show()
    win.show_area(area)
    return win


def _no_sound_card(bar) -> None:
    """Point the bar at a null device: the path taken on a machine without audio output."""
    from PySide6.QtMultimedia import QAudioDevice

    bar.audio_device = QAudioDevice()


def _seconds_heard(bar) -> float:
    return bar.bytes_queued / 2 / 22050


@pytest.mark.slow
def test_chat_page_reads_the_last_answer_with_play_pause_and_stop(qtbot, ctx):
    from lmgpa_desktop.core.study.chat import conversations
    from lmgpa_desktop.ui.kit.read_aloud import NO_OUTPUT

    win = _window(qtbot, ctx, "chat")
    page = win.pages["chat"]
    qtbot.waitUntil(lambda: page.ops.pending == 0)  # the conversation list has loaded (it would redraw the page)
    page.messages = [conversations.Message(None, None, "user", "What did the Middle Ages perfect?"),
                     conversations.Message(None, None, "assistant", ANSWER)]
    page.render()
    bar = page.read_aloud
    _no_sound_card(bar)
    assert page.read_aloud_action in page.actions() and page.text_to_read() == ANSWER

    bar.play_button.click()  # Read aloud, then Pause before any audio can have arrived
    assert bar.state == "loading" and bar.stop_button.isEnabled()
    bar.play_button.click()
    assert bar.state == "paused" and bar.play_button.text() == "▶ Resume"
    qtbot.waitUntil(lambda: bar.sentences_synthesized >= 1, timeout=60_000)  # synthesis carries on while paused
    assert bar.state == "paused"
    with qtbot.waitSignal(bar.finished, timeout=10_000) as stopped:
        bar.stop_button.click()
    assert stopped.args == ["stopped"] and bar.state == "idle" and not bar.stop_button.isEnabled()

    with qtbot.waitSignal(bar.finished, timeout=120_000) as done:
        page.read_aloud_action.trigger()
    assert done.args == ["done"] and bar.status.text() == NO_OUTPUT and not bar.last_error
    assert bar.sentences_synthesized == bar.sentence_count == len(read_aloud.sentences(ANSWER))
    words = len(read_aloud.speakable(ANSWER).split())
    assert words / 220 * 60 < _seconds_heard(bar) < words / 130 * 60
    assert bar.first_audio_ms is not None
    page.shutdown()
    win.close()


@pytest.mark.slow
def test_transcript_view_reads_the_selection_or_the_current_segment(qtbot, ctx, shared):

    from lmgpa_desktop.core.capture.media_import import import_media

    source = import_media(ctx, shared / "audio" / "jfk.flac").source
    assert ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": source.id})).state == "done"
    win = _window(qtbot, ctx, "record")
    win.pages["record"].select_source(source.id)
    view = win.pages["record"].view
    qtbot.waitUntil(lambda: view.ops.pending == 0)
    bar = view.read_aloud
    _no_sound_card(bar)
    segments = view.transcript.segments
    assert segments and view.read_aloud_action in view.actions()
    assert view.text_to_read() == segments[0].shown  # nothing selected or played yet: the first segment

    part = view.body.document().find("ask what you can do")
    assert not part.isNull()
    view.body.setTextCursor(part)
    assert view.text_to_read() == "ask what you can do"
    view.body.selectAll()
    selected = view.text_to_read()
    # The selection is read without its [m:ss] timestamps.
    assert "[0:00]" in view.body.toPlainText() and "[" not in selected
    assert selected.split() == " ".join(s.shown for s in segments).split()
    with qtbot.waitSignal(bar.finished, timeout=120_000) as done:
        view.read_aloud_action.trigger()
    assert done.args == ["done"] and not bar.last_error
    assert bar.sentence_count == len(read_aloud.sentences(selected))
    # All of the speech reached the bar: as long as the voice's own reading of the text (Piper varies a little).
    direct = sum(len(c.samples) for c in read_aloud.speak(ctx, selected, 1.0)) / 22050
    assert 0.85 * direct < _seconds_heard(bar) < 1.15 * direct
    assert len(selected.split()) / 300 * 60 < direct  # short words: JFK's line is quick, but not a blur
    bar.shutdown()
    win.close()
