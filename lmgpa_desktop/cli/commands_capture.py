"""`lmgpa transcribe`, `lmgpa record` and `lmgpa demo`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.cli.common import drain_queue, open_ctx, run_job_with_bar

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

FORMATS = ("txt", "md", "srt", "vtt", "json")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the capture commands."""
    p = sub.add_parser("transcribe", help="transcribe an audio or video file offline (it joins your library)")
    p.add_argument("audio", type=Path)
    p.add_argument("--model", help="a faster-whisper model folder (default: the one chosen in Settings)")
    p.add_argument("--language", help="language code such as en or de (default: detect)")
    p.add_argument("--format", choices=FORMATS, default="txt")
    p.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    p.set_defaults(handler=cmd_transcribe)

    p = sub.add_parser("demo", help="take the bundled sample lecture through the pipeline, headless")
    p.set_defaults(handler=cmd_demo)


def transcribe_path(ctx: AppContext, audio: Path, model: str | None = None, language: str | None = None):
    """Import a file (or find it already imported) and make sure it has a finished transcript."""
    from lmgpa_desktop.core.capture import transcripts
    from lmgpa_desktop.core.capture.media_import import import_media

    imported = import_media(ctx, audio)
    source = imported.source
    wanted_model = str(Path(model).expanduser()) if model else str(ctx.models.path("whisper"))
    existing = transcripts.current(ctx, source.id)
    if (existing and existing.kind == "final" and existing.status == "done" and existing.model == wanted_model
            and (language is None or existing.language == language)):
        return source, existing
    payload = {"source_id": source.id, "language": language, "model": model}
    job = run_job_with_bar(ctx, "transcribe", payload, f"Transcribing {source.title}")
    from lmgpa_desktop.storage import transcripts_repo

    return source, transcripts_repo.get(ctx.db, job.result["transcript_id"])


def cmd_transcribe(args) -> int:
    """Transcribe and print or write the transcript."""
    from lmgpa_desktop.core.capture.transcript_export import render

    ctx = open_ctx(args)
    source, transcript = transcribe_path(ctx, args.audio, args.model, args.language)
    drain_queue(ctx)  # make it searchable too
    text = render(transcript, args.format, source.title)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(transcript.segments)} segments, language {transcript.language})",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_demo(args) -> int:
    """Sample lecture -> library -> transcript, with the word error rate against the text it was read from."""
    from lmgpa_desktop import paths
    from lmgpa_desktop.core.formatting import clock
    from lmgpa_desktop.core.study.chat import ask as chat
    from lmgpa_desktop.core.library.search import Scope, search
    from lmgpa_desktop.core.text_metrics import word_error_rate

    ctx = open_ctx(args)
    audio = paths.resource("samples", "sample_lecture.ogg")
    script = paths.resource("samples", "sample_lecture.txt").read_text(encoding="utf-8")
    print(f"1. Sample lecture: {audio.name} (synthesized by the bundled Piper voice from sample_lecture.txt)")
    source, transcript = transcribe_path(ctx, audio)
    drain_queue(ctx)
    text = " ".join(seg.shown for seg in transcript.segments)
    from lmgpa_desktop.core.capture.transcripts import model_label

    print(f"2. Transcribed offline with {model_label(ctx, transcript.model)}: {len(transcript.segments)} segments, "
          f"{clock(transcript.duration_s or 0)}, language {transcript.language}")
    for seg in transcript.segments[:4]:
        print(f"   [{clock(seg.start)}] {seg.shown}")
    print(f"   … word error rate against the script: {word_error_rate(script, text):.3f}")
    print(f"3. Indexed for search (source #{source.id}). Searching “where does the Calvin cycle happen”:")
    for hit in search(ctx, "where does the Calvin cycle happen", k=2, scope=Scope(source_id=source.id)):
        print(f"   [{hit.location}] {hit.snippet}")
    question = "What are the three factors that limit the rate of photosynthesis?"
    print(f"4. Asking the local model (offline): {question}")
    final = None
    for event in chat.answer(ctx, question, Scope(source_id=source.id)):
        if event.kind == "done":
            final = event.message
    print(f"   {final.content}")
    for cite in final.citations:
        print(f"   [{cite.number}] {cite.source_title}, {cite.location}")
    from lmgpa_desktop import frozen
    from lmgpa_desktop.cli import demo_study

    out = ctx.home / "exports"
    step = demo_study.run(ctx, source.id, out, 5)
    launch = "lmgpa" if frozen.is_frozen() else "./run"
    print(f"{step}. Open the app ({launch}): the lecture is on the Record page (click any word to play from there); "
          "notes, tests and the deck are on the Study and Review pages.")
    return 0
