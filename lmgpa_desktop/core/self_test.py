"""The self-test: every native part of the app used for real, one check at a time (`lmgpa --self-test`, About)."""

# A check that only imports a library proves little inside a frozen bundle: a shared library loaded later with
# ctypes, a data folder or a Qt plugin can still be missing. So every check does a small piece of real work. The
# checks run on a scratch folder and read the student's settings without opening the profile, so a self-test never
# changes the student's data. One failing check never stops the others.

from __future__ import annotations

import logging
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from lmgpa_desktop.core.job_progress import Progress
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.self_test_checks import HEAVY, NAMES, CheckWarning, build
from lmgpa_desktop.core.settings import Settings

OK, WARN, FAIL = "ok", "warn", "fail"
JOB_KIND = "self_test"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check."""

    name: str
    status: str  # ok, warn or fail
    detail: str
    seconds: float

    def to_dict(self) -> dict:
        """Plain data (JSON, job results)."""
        return {**asdict(self), "seconds": round(self.seconds, 3)}

    @classmethod
    def from_dict(cls, data: dict) -> CheckResult:
        """Back from to_dict()."""
        return cls(str(data["name"]), str(data["status"]), str(data["detail"]), float(data["seconds"]))


@dataclass(frozen=True)
class Check:
    """A named piece of real work; run() returns a one-line description, raises CheckWarning or fails."""

    name: str
    run: Callable[[], str]
    heavy: bool = False  # loads a model (seconds): skipped by quick runs


Cancel = threading.Event | Callable[[], bool] | None
ProgressFn = Callable[[int, int, str], None]  # (checks done, checks in all, name of the next check)


def run_check(check: Check) -> CheckResult:
    """Run one check, turning any exception into a failure with its message."""
    start = time.perf_counter()
    try:
        detail, status = check.run(), OK
    except CheckWarning as exc:
        detail, status = str(exc), WARN
    except BaseException as exc:  # noqa: BLE001 - a broken native part may raise anything; the others still run
        if isinstance(exc, KeyboardInterrupt):
            raise
        detail, status = f"{type(exc).__name__}: {exc}".strip(), FAIL
        log.warning("self-test check %s failed:\n%s", check.name, traceback.format_exc())
    return CheckResult(check.name, status, " ".join(str(detail).split()), time.perf_counter() - start)


def _cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    return cancel.is_set() if isinstance(cancel, threading.Event) else bool(cancel())


def run_checks(checks: Sequence[Check], progress: ProgressFn | None = None, cancel: Cancel = None,
               on_result: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run a list of checks with progress reports (on_result hears each result at once); the results so far when
    cancelled."""
    results: list[CheckResult] = []
    for i, check in enumerate(checks):
        if _cancelled(cancel):
            break
        if progress:
            progress(i, len(checks), check.name)
        results.append(run_check(check))
        if on_result:
            on_result(results[-1])
    if progress:
        progress(len(results), len(checks), "")
    return results


def core_checks(settings: Settings | None = None, home: Path | None = None, scratch: Path | None = None,
                skip: Iterable[str] = ()) -> list[Check]:
    """The checks without Qt, for a profile's settings (default: the student's, read without opening it)."""
    skip = set(skip)
    return [Check(name, fn, name in HEAVY) for name, fn in build(settings, home, scratch) if name not in skip]


def names() -> list[str]:
    """Names of the checks without Qt, in the order they run."""
    return list(NAMES)


def run(progress: ProgressFn | None = None, cancel: Cancel = None, extra_checks: Sequence[Check] = (),
        skip: Iterable[str] = (), settings: Settings | None = None, home: Path | None = None,
        on_result: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run every check (then extra_checks, such as the Qt ones) in a scratch folder deleted afterwards.

    settings/home: the profile whose models are checked (default: the student's, read without opening it).
    """
    skip = set(skip)
    with tempfile.TemporaryDirectory(prefix="lmgpa-self-test-") as scratch:
        checks = core_checks(settings, home, Path(scratch), skip) + [c for c in extra_checks if c.name not in skip]
        return run_checks(checks, progress, cancel, on_result)


def failed(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The checks that failed."""
    return [r for r in results if r.status == FAIL]


def summary(results: Sequence[CheckResult]) -> str:
    """"16 checks: 13 ok, 3 warnings, 1 failed (whisper)" for the CLI and Settings -> About."""
    bad = failed(results)
    warned = sum(r.status == WARN for r in results)
    return (f"{len(results)} checks: {len(results) - len(bad) - warned} ok, {warned} warnings, {len(bad)} failed"
            + (f" ({', '.join(r.name for r in bad)})" if bad else ""))


@job_kind(JOB_KIND, queue="self_test", max_attempts=1)
def self_test_job(run: JobRun, payload: dict):
    """The self-test as a job (Settings -> About): payload {"skip": [names]}; result {"results": [...]}."""
    ctx = run.services
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="lmgpa-self-test-") as scratch:
        checks = core_checks(ctx.settings, ctx.home, Path(scratch), payload.get("skip") or ())
        for i, check in enumerate(checks):
            yield Progress(i, len(checks), f"checking {check.name}")  # the queue stops here on Cancel
            results.append(run_check(check).to_dict())
        yield Progress(len(checks), len(checks), "self-test finished")
    return {"results": results}
