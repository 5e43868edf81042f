"""`lmgpa record`: record from a microphone into the library and a file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lmgpa_desktop.cli.common import open_ctx, run_queued_with_bar
from lmgpa_desktop.cli.progress_bar import ProgressBar
from lmgpa_desktop.core.formatting import clock
from lmgpa_desktop.core.job_progress import Progress

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

POLL_S = 0.02  # how late after N seconds the recording stops, at most (plus the stop itself)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the record command."""
    p = sub.add_parser("record", help="record from the microphone for N seconds (it joins your library)")
    p.add_argument("--seconds", type=float, help="how long to record")
    p.add_argument("-o", "--output", type=Path, help="also write the audio here (.wav, .flac or .ogg)")
    p.add_argument("--device", type=int, help="input device index (see --list-devices; default: the system's)")
    p.add_argument("--title", help="title in the library (default: Recording <date time>)")
    p.add_argument("--list-devices", action="store_true", help="list the microphones and exit")
    p.set_defaults(handler=cmd_record)


def _list_devices(recorder) -> int:
    devices = recorder.list_input_devices()
    if not devices:
        print("lmgpa: error: no microphone found", file=sys.stderr)
        return 1
    for d in devices:
        mark = "*" if d.is_default else " "
        print(f"{d.index:3d} {mark} {d.name}  ({d.max_input_channels} in, {d.default_sample_rate:.0f} Hz)")
    return 0


def _finish_recovered(ctx: AppContext) -> None:
    """Save recordings a crash left behind before starting a new one."""
    from lmgpa_desktop.core.capture import recording_recovery

    recovered = set(recording_recovery.recover_interrupted(ctx))
    for job in reversed(ctx.jobs.recent()):
        if (job.kind == "recording.finalize" and job.state == "queued"
                and job.payload.get("recording_id") in recovered):
            print(f"recovering recording #{job.payload['recording_id']} interrupted by a crash", file=sys.stderr)
            run_queued_with_bar(ctx, job.id, "Saving the recovered recording")


def cmd_record(args) -> int:
    """Record N seconds, save into the library, write the file, print the source id."""
    from lmgpa_desktop.core.capture import recorder, recording_finalize

    try:
        if args.list_devices:
            return _list_devices(recorder)
        if args.seconds is None or args.output is None:
            raise ValueError("give --seconds N and -o FILE (or --list-devices)")
        if args.seconds <= 0:
            raise ValueError("--seconds must be more than 0")
        if args.output.suffix.lower() not in recording_finalize.EXPORT_FORMATS:
            raise ValueError(f"{args.output.name}: choose a .wav, .flac or .ogg file name")
        ctx = open_ctx(args)
        _finish_recovered(ctx)
        rec = recorder.Recorder(ctx, device=args.device, title=args.title)
        rec.start()
    except recorder.RecorderError as exc:
        print(f"lmgpa: error: {exc}", file=sys.stderr)
        return 1
    bar = ProgressBar(f"Recording from {rec.device_name}")
    try:
        while rec.state == "recording" and rec.elapsed_s < args.seconds:
            meter = "|" * round(rec.level * 10)
            bar.update(Progress(min(rec.elapsed_s, args.seconds), args.seconds,
                                f"{clock(rec.elapsed_s)} of {clock(args.seconds)}  {meter:<10}"))
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        print("\nstopped early (Ctrl+C)", file=sys.stderr)
    finally:
        rec.stop()
        bar.close()
    if rec.finalize_job_id is None:
        print(f"lmgpa: error: {rec.error}", file=sys.stderr)
        return 1
    job = run_queued_with_bar(ctx, rec.finalize_job_id, "Saving the recording")
    source_id = job.result["source_id"]
    recording_finalize.export_recording(ctx, source_id, args.output)
    print(f"wrote {args.output} ({clock(job.result['duration'])}); the transcript is queued "
          "(open the app or run `lmgpa jobs run`)", file=sys.stderr)
    print(f"library source #{source_id}")
    if rec.error:
        print(f"lmgpa: error: the recording stopped early: {rec.error}", file=sys.stderr)
        return 1
    return 0
