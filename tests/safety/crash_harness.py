"""Crash test: the app's real write paths run in a child process that is killed with SIGKILL at random moments;
after each kill the profile is reopened as the app does and every write the child reported must be there.

Why a fork server: starting Python and importing the app (SQLAlchemy, fsrs, numpy, soundfile, faster-whisper)
takes over a second, a round only tens of milliseconds. So one server process imports everything once, opens
nothing (no database, no model, no thread), and forks a fresh child per round; the child opens the profile itself,
like a starting app, and writes until it is killed. One child per kill rather than one long-lived child: a SIGKILL
ends the process, and a fresh child also re-runs the app's own start (reopen, resuming queued jobs) every round,
which is part of what is tested. The checker (Campaign) never forks; it reopens the profile after each kill. Each
write path has its own profile, kept across its rounds, so later rounds work on what earlier crashes left behind.

Lanes: run_lanes runs groups of paths side by side, each group in its own checker process (`crash_harness.py lane
CONFIG`) with its own fork server, so the checks do not queue behind one interpreter; a kill is still one child
of one path at a time within a lane.

Kill moments are drawn from a seeded RNG: some from the fork (so also while the profile opens and queued jobs
resume), most from the child's "opened" report, and 40% just after the k-th reported write, to land in the narrow
gaps between two commits.

Run the server with `python crash_harness.py serve`: it reads one JSON command per line on stdin and writes JSON
lines on stdout: its own ({"ready"}, {"forked", "pid"}, {"exit", "status"}) and the children's reports
([round, what, ...]), written with single os.write calls so a kill never tears a line.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PATHS = ("review", "note", "import", "record", "transcribe")
MODEL_PATHS = {"transcribe"}
# Seconds after the fork within which a timed kill falls: long enough for a few commits, short to keep rounds cheap.
KILL_WINDOW = {"review": (0.0, 0.15), "note": (0.0, 0.15), "import": (0.0, 0.45), "record": (0.0, 0.7),
               "transcribe": (0.2, 3.5)}
# A triggered kill comes this soon after the k-th write report: lands in the narrow gaps between two commits.
TRIGGER_K = {"review": 15, "note": 15, "import": 6, "record": 40, "transcribe": 6}
# Or soon after a mark a child reports before a burst of commits (the recorder's stop: last segment, state, finalize).
TRIGGER_MARK = {"record": "stopping"}
TRIGGER_SHARE = 0.4
EARLY_SHARE = 0.15
ROUND_TIMEOUT_S = 120.0
DRAIN_TIMEOUT_S = 600.0


# == the fork server (its own process) ==========================================================================
def serve() -> None:
    """Import everything, then fork one child per command line; never opens a database, a model or a thread."""
    out = os.dup(1)
    os.dup2(2, 1)  # a stray print of a library must not mix into the reports
    from crash_material import Material
    import crash_workloads
    import virtual_mic  # noqa: F401 - the recorder's file-fed microphone

    from lmgpa_desktop.core import jobs
    from lmgpa_desktop.core.capture import recorder, recording_recovery  # noqa: F401
    from lmgpa_desktop.core.library import library  # noqa: F401
    from lmgpa_desktop.core.profile import open_app  # noqa: F401
    from lmgpa_desktop.core.study import notes, review  # noqa: F401

    jobs.kinds()  # every job module, as the app's workers load them
    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # pure Python (no database): each child would otherwise spend ~0.15 s on it
    import faster_whisper  # noqa: F401 - the engine is imported here, the model is loaded by each child

    material = Material()
    material.load_audio()
    threads = len(os.listdir("/proc/self/task"))
    _send(out, {"ready": True, "threads": threads})
    for line in sys.stdin:
        cmd = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(cmd, out, material, crash_workloads)
        _send(out, {"forked": cmd["round"], "pid": pid})
        _, status = os.waitpid(pid, 0)
        _send(out, {"exit": cmd["round"], "status": status})


def _send(fd: int, message) -> None:
    os.write(fd, (json.dumps(message) + "\n").encode())


def _child(cmd: dict, out: int, material, workloads) -> None:
    """One round: open the profile as the app does, resume queued jobs, write until killed (or exit when draining)."""
    code = 0
    report = workloads.Reporter(out, cmd["round"])
    try:
        from lmgpa_desktop.core.profile import open_app

        ctx = open_app(Path(cmd["home"]))
        report("opened")
        workloads.resume_jobs(ctx, report, cmd["path"])
        if cmd.get("drain"):
            report("drained")
            ctx.close()
            os._exit(0)
        workloads.WORKLOADS[cmd["path"]](ctx, report, random.Random(cmd["seed"]), material, Path(cmd["work"]))
    except BaseException:  # noqa: BLE001 - any failure is reported to the checker, which counts it
        report("error", traceback.format_exc())
        code = 1
    if cmd.get("drain"):
        os._exit(code)
    while True:  # never exit by ourselves: the checker kills us (so our pid is never reused under it)
        time.sleep(60)


# == the checker's side ===========================================================================================
class _Lines:
    """JSON lines from a pipe, with a deadline."""

    def __init__(self, fd: int):
        self.fd, self.buf = fd, b""

    def next(self, until: float):
        while b"\n" not in self.buf:
            left = until - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise RuntimeError("the fork server closed its pipe (crashed?)")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


@dataclass
class Summary:
    """What a campaign did and found."""

    kills: Counter = field(default_factory=Counter)
    writes: Counter = field(default_factory=Counter)
    lost: Counter = field(default_factory=Counter)
    damaged: Counter = field(default_factory=Counter)
    integrity_failures: int = 0
    child_errors: list = field(default_factory=list)
    jobs_requeued: int = 0
    jobs_resumed: int = 0
    jobs_gave_up: int = 0
    jobs_unresolved: int = 0
    recordings_recovered: int = 0
    problems: list = field(default_factory=list)
    seconds: float = 0.0
    check_seconds: float = 0.0
    server_threads: int = 0  # threads in a fork server when it forked (must be 1: its own)
    lanes: list = field(default_factory=list)  # (paths, seconds) of each lane run side by side

    @property
    def total_lost(self) -> int:
        return sum(self.lost.values())

    def ok(self) -> bool:
        """Nothing lost or damaged, every check of every round passed, every interrupted job accounted for."""
        return not (self.total_lost or sum(self.damaged.values()) or self.integrity_failures or self.child_errors
                    or self.jobs_unresolved)

    def table(self) -> str:
        """The figures, one line per path and a total."""
        rows = [f"{'path':<11}{'kills':>7}{'writes':>9}{'lost':>6}{'damaged':>9}"]
        for path in PATHS:
            if self.kills[path] or self.writes[path]:
                rows.append(f"{path:<11}{self.kills[path]:>7}{self.writes[path]:>9}{self.lost[path]:>6}"
                            f"{self.damaged[path]:>9}")
        rows.append(f"{'total':<11}{sum(self.kills.values()):>7}{sum(self.writes.values()):>9}{self.total_lost:>6}"
                    f"{sum(self.damaged.values()):>9}")
        rows.append(f"integrity_check failures: {self.integrity_failures}")
        rows.append(f"interrupted jobs: {self.jobs_requeued} put back in the queue, {self.jobs_resumed} resumed to "
                    f"an end, {self.jobs_gave_up} reported as given up, {self.jobs_unresolved} unresolved")
        rows.append(f"recordings recovered on reopen: {self.recordings_recovered}")
        rows.append(f"child errors: {len(self.child_errors)}")
        rows.append(f"time: {self.seconds:.1f} s ({self.check_seconds:.1f} s reopening and checking"
                    + (f"; lanes side by side: {self.lanes})" if self.lanes else ")"))
        rows += [f"  {p.kind} [{p.path} round {p.round_no}] {p.what}" for p in self.problems[:20]]
        rows += [f"  child error: {e[-800:]}" for e in self.child_errors[:3]]
        return "\n".join(rows)


OWN_LANE = ("import", "record", "transcribe")  # paths with files and jobs: a lane each


def lanes_of(counts: dict[str, int]) -> list[dict[str, int]]:
    """Lanes that run side by side: the database-only paths together, and each path with files and jobs alone."""
    lanes = [{p: n for p, n in counts.items() if p not in OWN_LANE}] + [{p: counts[p]} for p in OWN_LANE if p in counts]
    return [lane for lane in lanes if lane]


def spread(kills: int, paths=PATHS, model_share: float = 0.05) -> dict[str, int]:
    """Kills per path: model rounds take seconds, so they get model_share of the kills, the rest share equally."""
    model = [p for p in paths if p in MODEL_PATHS]
    cheap = [p for p in paths if p not in MODEL_PATHS]
    counts = {p: max(1, round(kills * model_share / len(model))) for p in model} if model else {}
    left = kills - sum(counts.values())
    for i, path in enumerate(cheap):
        counts[path] = left // len(cheap) + (1 if i < left % len(cheap) else 0)
    return counts


class Campaign:
    """Profiles per path, the fork server, the rounds and their checks."""

    def __init__(self, run_dir: Path, seed: int, paths=PATHS):
        from crash_checks import Checker, Ledger
        from crash_material import Material

        self.run_dir, self.paths = Path(run_dir), tuple(paths)
        self.rng = random.Random(seed)
        self.material = Material()
        if {"record", "transcribe"} & set(self.paths):
            self.material.load_audio()
        self.checker = Checker(self.material)
        self.ledgers = {p: Ledger(p) for p in self.paths}
        self.summary = Summary()
        self.round_no = 0
        self.server: subprocess.Popen | None = None
        self._seen: set = set()

    def home(self, path: str) -> Path:
        return self.run_dir / "profiles" / path

    def __enter__(self) -> Campaign:
        from crash_workloads import seed_profile
        from lmgpa_desktop.core.profile import open_app

        for path in self.paths:
            ctx = open_app(self.home(path))
            try:
                seed_profile(ctx, path, self.material)
            finally:
                ctx.close()
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
        self._server_log = open(self.run_dir / "fork-server.log", "wb")
        self.server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "serve"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=self._server_log, env=env)
        self.lines = _Lines(self.server.stdout.fileno())
        ready = self.lines.next(time.monotonic() + 300)
        if not ready or not ready.get("ready"):
            raise RuntimeError(f"the fork server did not start: {ready}; see {self.run_dir / 'fork-server.log'}")
        self.server_threads = ready["threads"]
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        if self.server:
            self.server.stdin.close()
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(30)
        self._server_log.close()
        self.summary.seconds = time.monotonic() - self._started

    # -- rounds ----------------------------------------------------------------------------------------------
    def run(self, counts: dict[str, int]) -> Summary:
        """Kill rounds in a seeded random order, then a last round per path that drains the queue; the summary."""
        order = [p for p, n in counts.items() for _ in range(n)]
        self.rng.shuffle(order)
        for path in order:
            self.round(path)
        for path in self.paths:
            if path in ("import", "record", "transcribe"):
                self.round(path, drain=True)
        self._account_jobs()
        self.summary.seconds = time.monotonic() - self._started
        self.summary.server_threads = self.server_threads
        return self.summary

    def round(self, path: str, drain: bool = False) -> None:
        """Fork a child on this path's profile, kill it at a random moment, reopen and check."""
        self.round_no += 1
        ledger = self.ledgers[path]
        work = self.run_dir / "work" / path
        cmd = {"round": self.round_no, "path": path, "home": str(self.home(path)), "work": str(work),
               "seed": self.rng.randrange(1 << 30), "drain": drain}
        self.server.stdin.write((json.dumps(cmd) + "\n").encode())
        self.server.stdin.flush()
        forked = self._next_server_message("forked", time.monotonic() + 60)
        started = time.monotonic()
        lo, hi = KILL_WINDOW[path]
        # Three kinds of moment: any time from the fork (so also while the profile opens and jobs resume), a time
        # after the child opened the profile (so a loaded machine does not push every kill before the writes), and
        # just after the k-th reported write (the narrow gaps between two commits).
        pick = self.rng.random()
        delay, trigger, kill_at = self.rng.uniform(lo, hi), None, None
        if drain:
            pass
        elif pick < EARLY_SHARE:
            kill_at = started + delay
        elif pick < 1 - TRIGGER_SHARE:
            kill_at = started + 20 * hi  # the child's "opened" report sets it
        elif path in TRIGGER_MARK and self.rng.random() < 0.5:
            trigger, kill_at = TRIGGER_MARK[path], started + 20 * hi
        else:
            trigger, kill_at = self.rng.randint(1, TRIGGER_K[path]), started + 20 * hi
        deadline = started + (DRAIN_TIMEOUT_S if drain else ROUND_TIMEOUT_S)
        writes = 0
        killed = False
        while True:
            until = min(kill_at, deadline) if kill_at and not killed else deadline
            msg = self.lines.next(until)
            if msg is None:
                if killed or drain:
                    raise RuntimeError(f"round {self.round_no} ({path}) did not end; see the fork server log")
                os.kill(forked["pid"], signal.SIGKILL)
                killed = True
                continue
            if isinstance(msg, dict):
                if msg.get("exit") == self.round_no:
                    break
                continue
            if msg[0] != self.round_no:
                continue
            if msg[1] == "error":
                self.summary.child_errors.append(f"[{path} round {self.round_no}] {msg[2]}")
                if not drain and not killed:
                    kill_at = time.monotonic()
                continue
            if msg[1] == "opened" and not killed and not drain and trigger is None and kill_at > started + 10 * hi:
                kill_at = time.monotonic() + delay
            if msg[1] == trigger and not killed:  # a mark such as "stopping": kill within the next few commits
                kill_at = time.monotonic() + self.rng.uniform(0, 0.02)
            if ledger.take(msg[1:]):
                writes += 1
                self.summary.writes[path] += 1
                if trigger is not None and writes == trigger and not killed:
                    kill_at = time.monotonic() + self.rng.uniform(0, 0.01)
        if killed:
            self.summary.kills[path] += 1
        elif not drain:
            self.summary.child_errors.append(f"[{path} round {self.round_no}] the child ended by itself: {msg}")
        self._check(path)

    def _next_server_message(self, key: str, until: float) -> dict:
        while True:
            msg = self.lines.next(until)
            if msg is None:
                raise RuntimeError(f"no {key!r} from the fork server; see {self.run_dir / 'fork-server.log'}")
            if isinstance(msg, dict) and key in msg:
                return msg

    def _check(self, path: str) -> None:
        from crash_checks import Problem, reopen

        began = time.monotonic()
        ledger = self.ledgers[path]
        ctx, integrity, recordings, outcome = reopen(self.home(path))
        try:
            if integrity != ["ok"]:
                self.summary.integrity_failures += 1
                self.checker.problems.append(Problem("damaged", path, self.round_no, f"integrity_check: {integrity}"))
            self.summary.recordings_recovered += len(recordings)
            for job_id, state in outcome:
                if state == "queued":
                    ledger.requeued.add(job_id)
                else:
                    job = ctx.jobs.get(job_id)
                    ledger.gave_up[job_id] = job.error if job else None
                    if not (job and job.error):
                        self.checker.problems.append(Problem("damaged", path, self.round_no,
                                                             f"job {job_id} failed without a reason"))
            self.checker.check(ctx, ledger, self.round_no)
        finally:
            ctx.close()
        self._fold_problems()
        self.summary.check_seconds += time.monotonic() - began

    def _fold_problems(self) -> None:
        """Count each problem once (later rounds find a lost write again)."""
        for problem in self.checker.problems:
            key = (problem.kind, problem.path, problem.what)
            if key in self._seen:
                continue
            self._seen.add(key)
            self.summary.problems.append(problem)
            (self.summary.lost if problem.kind == "lost" else self.summary.damaged)[problem.path] += 1
        self.checker.problems.clear()

    def _account_jobs(self) -> None:
        """After the drain rounds: every job a kill interrupted ran again to an end or was given up with a reason."""
        from lmgpa_desktop.core.profile import open_app

        for path, ledger in self.ledgers.items():
            if not ledger.requeued and not ledger.gave_up:
                continue
            ctx = open_app(self.home(path))
            try:
                for job_id in ledger.requeued:
                    job = ctx.jobs.get(job_id)
                    if job_id in ledger.gave_up:
                        continue
                    if job is not None and job.state in ("done", "failed", "cancelled"):
                        self.summary.jobs_resumed += 1
                    else:
                        self.summary.jobs_unresolved += 1
                        self.summary.problems.append(_unresolved(path, job_id, job, self.round_no))
            finally:
                ctx.close()
            self.summary.jobs_requeued += len(ledger.requeued)
            self.summary.jobs_gave_up += len(ledger.gave_up)


def run_lanes(run_dir: Path, seed: int, lanes: list[dict[str, int]]) -> Summary:
    """Run several campaigns at once, each in its own checker process with its own fork server (so their checks do
    not share one interpreter); their summaries merged."""
    began = time.monotonic()
    procs = []
    for no, counts in enumerate(lanes):
        folder = Path(run_dir) / f"lane{no}"
        folder.mkdir(parents=True, exist_ok=True)
        config = json.dumps({"dir": str(folder), "seed": seed + no, "counts": counts})
        procs.append(subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "lane", config],
                                      stdout=subprocess.PIPE, env=dict(os.environ, HF_HUB_OFFLINE="1")))
    merged = Summary()
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"a crash-test lane failed (exit {proc.returncode}); see its output above")
        part = json.loads(out.decode().strip().splitlines()[-1])
        for name in ("kills", "writes", "lost", "damaged"):
            getattr(merged, name).update(part[name])
        for name in ("integrity_failures", "jobs_requeued", "jobs_resumed", "jobs_gave_up", "jobs_unresolved",
                     "recordings_recovered", "check_seconds"):
            setattr(merged, name, getattr(merged, name) + part[name])
        merged.server_threads = max(merged.server_threads, part["server_threads"])
        merged.lanes.append((",".join(p for p in PATHS if part["kills"].get(p)), round(part["seconds"], 1)))
        merged.child_errors += part["child_errors"]
        merged.problems += [_problem(*p) for p in part["problems"]]
    merged.seconds = time.monotonic() - began
    return merged


def _lane(config: dict) -> None:
    """One lane in its own process: a campaign, its summary as one JSON line on stdout."""
    with Campaign(Path(config["dir"]), config["seed"], paths=tuple(config["counts"])) as campaign:
        summary = campaign.run(config["counts"])
    data = {name: getattr(summary, name) for name in (
        "kills", "writes", "lost", "damaged", "integrity_failures", "jobs_requeued", "jobs_resumed", "jobs_gave_up",
        "jobs_unresolved", "recordings_recovered", "check_seconds", "server_threads", "seconds", "child_errors")}
    data["problems"] = [[p.kind, p.path, p.round_no, p.what] for p in summary.problems]
    sys.stdout.write(json.dumps(data) + "\n")


def _problem(kind: str, path: str, round_no: int, what: str):
    from crash_checks import Problem

    return Problem(kind, path, round_no, what)


def _unresolved(path: str, job_id: int, job, round_no: int):
    from crash_checks import Problem

    return Problem("damaged", path, round_no, f"interrupted job {job_id} is still {job.state if job else 'missing'}")


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    elif sys.argv[1] == "lane":
        _lane(json.loads(sys.argv[2]))
