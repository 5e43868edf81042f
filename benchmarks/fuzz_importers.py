"""Fuzz every importer for longer than CI does: per target, real files mutated (hypothesis, randomized) for N seconds,
plus the crafted hostile files once; prints executions, failures by kind, and saves each failing input.

    .venv/bin/python benchmarks/fuzz_importers.py --seconds-per-target 120 [--targets anki,document] [--save DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "fuzz")]

from hypothesis import HealthCheck, given, settings  # noqa: E402

import fuzz_inputs  # noqa: E402
from fuzz_harness import Worker, run_with_timeout  # noqa: E402

STRATEGIES = {  # fuzz target name -> (importer run in the worker, inputs)
    "anki": ("anki", lambda: fuzz_inputs.mutations("anki")),
    "anki_sql": ("anki", fuzz_inputs.anki_collections),
    "document": ("document", lambda: fuzz_inputs.mutations("document")),
    "image": ("image", lambda: fuzz_inputs.mutations("image")),
    "audio": ("audio", lambda: fuzz_inputs.mutations("audio")),
    "archive": ("archive", lambda: fuzz_inputs.mutations("archive")),  # `lmgpa import-all` of a real export
}


class _TimeUp(BaseException):
    """Ends a hypothesis run when the target's seconds are spent (a BaseException, so it is not a failure)."""


def fuzz(name: str, seconds: float, worker: Worker, save: Path | None) -> tuple[int, Counter, list[str]]:
    """Run one target for `seconds`; returns executions, outcomes by status and failure summaries."""
    importer, strategy = STRATEGIES[name]
    statuses: Counter = Counter()
    failures: list[str] = []
    deadline = time.monotonic() + seconds

    def record(suffix: str, data: bytes, label: str) -> None:
        outcome = run_with_timeout(worker, importer, data, suffix)
        statuses[outcome.status] += 1
        if outcome.failed:
            digest = hashlib.sha1(data).hexdigest()[:10]
            failures.append(f"{label or digest}{suffix}: {outcome.status}: {outcome.detail.strip().splitlines()[-1:]}")
            if save:
                (save / name).mkdir(parents=True, exist_ok=True)
                (save / name / f"{digest}{suffix}").write_bytes(data)
                (save / name / f"{digest}{suffix}.txt").write_text(outcome.detail)

    for label, suffix, data in fuzz_inputs.crafted(name):
        record(suffix, data, label)

    @settings(max_examples=10**9, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy())
    def run(case):
        if time.monotonic() > deadline:
            raise _TimeUp
        record(case[0], case[1], "")

    try:
        run()
    except _TimeUp:
        pass
    return sum(statuses.values()), statuses, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-per-target", type=float, default=60.0)
    parser.add_argument("--targets", default=",".join(STRATEGIES))
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds one input may take before it is a hang")
    parser.add_argument("--save", type=Path, help="folder for failing inputs (with their tracebacks)")
    args = parser.parse_args()
    total_failures = 0
    worker = Worker(timeout_s=args.timeout)
    try:
        for name in args.targets.split(","):
            started = time.monotonic()
            executions, statuses, failures = fuzz(name, args.seconds_per_target, worker, args.save)
            took = time.monotonic() - started
            print(f"{name:10s} {executions:6d} executions in {took:5.0f} s ({executions / took:5.1f}/s)  "
                  + "  ".join(f"{k}={v}" for k, v in sorted(statuses.items())), flush=True)
            for line in failures[:20]:
                print(f"    {line}", flush=True)
            total_failures += len(failures)
    finally:
        worker.close()
    print(f"failures: {total_failures}")
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
