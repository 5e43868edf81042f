"""Crash test at scale: the app's real write paths (rating cards, importing documents, editing notes, recording,
transcribing with faster-whisper) run in forked children killed with SIGKILL at random moments; after each kill the
profile is reopened as the app does and every write the child reported must be there (tests/safety/crash_harness.py).

Prints kills per path, writes reported, writes lost (goal 0), damaged rows or files, integrity_check failures,
interrupted jobs resumed or reported, and the time. Exits 1 when anything was lost or damaged.
Usage: python benchmarks/crash_kills.py [--kills 1000] [--seed 15] [--model-share 0.05] [--lanes 4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "safety"))

from crash_harness import PATHS, lanes_of, run_lanes, spread  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--model-share", type=float, default=0.05,
                        help="share of the kills on the transcription path (each of its rounds loads Whisper)")
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated subset of {','.join(PATHS)}")
    parser.add_argument("--lanes", type=int, choices=(1, 4), default=4,
                        help="4: ratings and notes, imports, recording and transcription run side by side, each lane "
                             "with its own fork server; 1: all in one lane")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (profiles, logs) for a look")
    args = parser.parse_args()
    paths = tuple(p for p in args.paths.split(",") if p)
    counts = spread(args.kills, paths, args.model_share)
    run_dir = args.keep or Path(tempfile.mkdtemp(prefix="lmgpa-crash-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"{args.kills} kills (seed {args.seed}): {counts}; run folder {run_dir}", flush=True)
    try:
        lanes = lanes_of(counts) if args.lanes == 4 else [counts]
        summary = run_lanes(run_dir, args.seed, lanes)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    print(summary.table())
    print(f"kills per second: {sum(summary.kills.values()) / summary.seconds:.1f}")
    return 0 if summary.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
