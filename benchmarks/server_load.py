"""Sync-server throughput under concurrent clients: the real server (uvicorn, SQLite and/or PostgreSQL) against a bare
FastAPI route under the same uvicorn settings, the framework's ceiling on this machine.

A teacher's class with an assignment and one student per client (all in one study group) is seeded through the API;
then each client loops for the given time over a mix of reads (my classes, the class's assignments, the group's
messages, my notifications: 80%) and writes (post a message, submit the assignment: 20%), each request timed.
The load generator is one asyncio process with aiohttp; on a small machine it shares the cores with the server
and caps both runs alike.
Usage: python benchmarks/server_load.py [--clients 50] [--seconds 30] [--workers 1] [--db sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI

try:
    import aiohttp  # the load generator: far less CPU a request than httpx, and it shares the cores with the server
except ImportError:  # the test extra
    aiohttp = None

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():
    PYTHON = Path(sys.executable)
SECRET = "bench-k3J9-vQ2x_Lm8pR4tW7yZ1aB5cD6eF0gH2iJ4kL6mN8oP"
PASSWORD = "lecture hall 42 purple kettle"

bare_app = FastAPI()


@bare_app.get("/bare")
def bare():
    """A constant envelope, with a sync route like ours (run in the thread pool)."""
    return {"success": True, "data": {"status": "ok", "items": [1, 2, 3]}, "meta": {"request_id": None}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Uvicorn:
    """A uvicorn server in a subprocess on a free loopback port."""

    def __init__(self, target: list[str], env: dict[str, str], workers: int):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [str(PYTHON), "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(self.port),
               "--workers", str(workers), "--log-level", "warning", "--no-access-log",
               "--limit-concurrency", "200"]  # as lmgpa-server runs it
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})

    def wait(self, path: str) -> None:
        """Until the server answers on this path."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("uvicorn did not start within 60 s")

    def stop(self) -> None:
        """Stop the server (and its workers)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_ours(db_url: str, workers: int) -> Uvicorn:
    """The real server on this database; migrations run here once so that workers do not race to run them."""
    from sync_server import migrate
    from sync_server.db import Database

    db = Database(db_url)
    migrate.upgrade(db)
    db.dispose()
    env = {"JWT_SECRET_KEY": SECRET, "DATABASE_URL": db_url, "RATE_LIMIT_PER_MINUTE": "1000000",
           "LOGIN_FAILURES_ALLOWED": "1000000", "ACCESS_TOKEN_MINUTES": "120"}
    server = Uvicorn(["sync_server.app:factory", "--factory"], env, workers)
    server.wait("/health")
    return server


def start_bare(workers: int) -> Uvicorn:
    """The bare route under the same uvicorn settings."""
    server = Uvicorn(["--app-dir", str(ROOT / "benchmarks"), "server_load:bare_app"], {}, workers)
    server.wait("/bare")
    return server


@dataclass
class Seed:
    """Ids and tokens the load needs."""

    class_id: str
    assignment_id: str
    group_id: str
    tokens: list[str] = field(default_factory=list)


def seed(url: str, students: int) -> Seed:
    """A teacher, a class with an assignment, `students` students in it, all in one group; returns their tokens."""
    with httpx.Client(base_url=url, timeout=60) as c:
        def register(n: int, role: str) -> str:
            r = c.post("/api/auth/register", json={"email": f"{role}{n}@bench.example", "password": PASSWORD,
                                                   "display_name": f"{role.title()} {n}", "role": role})
            r.raise_for_status()
            return r.json()["data"]["access_token"]

        def auth(token: str) -> dict:
            return {"Authorization": f"Bearer {token}"}

        teacher = register(0, "teacher")
        cls = c.post("/api/classes", json={"name": "Load test class"}, headers=auth(teacher)).json()["data"]
        assignment = c.post(f"/api/classes/{cls['id']}/assignments", headers=auth(teacher),
                            json={"title": "Weekly essay", "description": "Write one page."}).json()["data"]
        s = Seed(cls["id"], assignment["id"], "")
        for n in range(1, students + 1):
            token = register(n, "student")
            c.post("/api/classes/join", json={"join_code": cls["join_code"]}, headers=auth(token)).raise_for_status()
            if n == 1:
                group = c.post("/api/social/groups", json={"name": "Load group"}, headers=auth(token)).json()["data"]
                s.group_id = group["id"]
                code = group["invite_code"]
            else:
                c.post("/api/social/groups/join", json={"invite_code": code}, headers=auth(token)).raise_for_status()
            s.tokens.append(token)
        return s


def _requests(s: Seed) -> list[tuple[float, str, str, str, dict | None]]:
    """The mix: (weight, label, method, path, json)."""
    return [
        (0.2, "classes", "GET", "/api/classes", None),
        (0.2, "assignments", "GET", f"/api/classes/{s.class_id}/assignments", None),
        (0.2, "messages", "GET", f"/api/social/groups/{s.group_id}/messages?limit=50", None),
        (0.2, "notifications", "GET", "/api/notify?limit=50", None),
        (0.1, "post message", "POST", f"/api/social/groups/{s.group_id}/messages", {"body": "Anyone done question 3?"}),
        (0.1, "submit", "POST", f"/api/classes/assignments/{s.assignment_id}/submissions",
         {"kind": "text", "text": "My essay, another draft."}),
    ]


@dataclass
class Result:
    """Latencies (ms) of successful requests and the error count over the run."""

    seconds: float
    by_kind: dict[str, list[float]]
    errors: int

    @property
    def latencies(self) -> list[float]:
        """Every successful request's latency, whatever its kind."""
        return [ms for kind in self.by_kind.values() for ms in kind]

    @property
    def rps(self) -> float:
        """Requests answered per second (errors included)."""
        return (len(self.latencies) + self.errors) / self.seconds

    def pct(self, q: float, kind: str | None = None) -> float:
        """A latency percentile in ms, of all requests or of one kind."""
        ms = sorted(self.latencies if kind is None else self.by_kind.get(kind, []))
        return ms[min(len(ms) - 1, int(len(ms) * q))] if ms else float("nan")


async def _load(url: str, clients: int, seconds: float, plan, think_ms: float = 0) -> Result:
    """`clients` concurrent loops; plan(i, rng) gives the next (kind, method, path, json, headers) for client i.
    With think_ms each client pauses a random 0..2*think_ms before its first request and between requests, as a
    person clicking does; 0 is a closed loop (back-to-back requests: the saturation point)."""

    by_kind: dict[str, list[float]] = {}
    errors = 0
    connector = aiohttp.TCPConnector(limit=clients, limit_per_host=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url=url, connector=connector, timeout=timeout) as c:
        deadline = time.perf_counter() + seconds

        async def client(i: int) -> None:
            nonlocal errors
            rng = random.Random(i)
            if think_ms:
                # People do not all click in the same millisecond: without this stagger the 50 first requests
                # arrive together and that one burst (about 190 ms to clear) made the whole p99 of a 30 s run.
                await asyncio.sleep(rng.uniform(0, 2 * think_ms) / 1000)
            while time.perf_counter() < deadline:
                kind, method, path, body, headers = plan(i, rng)
                t = time.perf_counter()
                try:
                    async with c.request(method, path, json=body, headers=headers) as r:
                        await r.read()
                        ok = r.status < 400
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    ok = False
                if ok:
                    by_kind.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
                else:
                    errors += 1
                if think_ms:
                    await asyncio.sleep(rng.uniform(0, 2 * think_ms) / 1000)

        start = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        return Result(time.perf_counter() - start, by_kind, errors)


def run_ours(db_url: str, args) -> Result:
    """Seed, then load the real server."""
    server = start_ours(db_url, args.workers)
    try:
        s = seed(server.url, args.clients)
        mix = _requests(s)
        weights = [w for w, *_ in mix]

        def plan(i: int, rng: random.Random):
            _w, kind, method, path, body = rng.choices(mix, weights)[0]
            return kind, method, path, body, {"Authorization": f"Bearer {s.tokens[i % len(s.tokens)]}"}

        return asyncio.run(_load(server.url, args.clients, args.seconds, plan, args.think_ms))
    finally:
        server.stop()


def run_bare(args) -> Result:
    """The same load shape on the bare route."""
    server = start_bare(args.workers)
    try:
        return asyncio.run(_load(server.url, args.clients, args.seconds,
                                 lambda i, rng: ("bare", "GET", "/bare", None, {}), args.think_ms))
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--think-ms", type=float, default=0,
                        help="mean pause between a client's requests (0: back-to-back, the saturation point)")
    args = parser.parse_args()
    if aiohttp is None:
        raise SystemExit("the load generator needs aiohttp from the test extra: ./test installs it "
                         "(or .venv/bin/pip install aiohttp)")

    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.db in ("sqlite", "both"):
            results["ours, SQLite"] = run_ours(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", args)
        if args.db in ("postgresql", "both"):
            sys.path.insert(0, str(ROOT / "tests"))
            from server_postgres import start_cluster

            cluster = start_cluster(max_connections=max(300, args.workers * 60 + 20))  # each worker pools up to 60
            try:
                results["ours, PostgreSQL"] = run_ours(cluster.url(cluster.create_database()), args)
            finally:
                cluster.stop()
    results["bare FastAPI route"] = bare_result = run_bare(args)

    print(f"{args.clients} clients, {args.seconds:g} s, {args.workers} uvicorn worker(s), think {args.think_ms:g} ms; "
          f"mix: 80% reads (classes, assignments, messages, notifications), 20% writes (message, submission)")
    print(f"{'server':22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'req/s vs bare':>14} "
          f"{'p50 vs bare':>12} {'p99 vs bare':>12}")
    for name, r in results.items():
        print(f"{name:22} {r.rps:8.0f} {r.pct(0.5):8.1f} {r.pct(0.99):8.1f} {r.errors:7d} "
              f"{r.rps / bare_result.rps:13.2f}x {r.pct(0.5) / bare_result.pct(0.5):11.1f}x "
              f"{r.pct(0.99) / bare_result.pct(0.99):11.1f}x")
    for name, r in results.items():
        if r is not bare_result:
            print(f"{name}, by request: " + ", ".join(
                f"{kind} p50 {r.pct(0.5, kind):.1f} / p99 {r.pct(0.99, kind):.1f} ms" for kind in r.by_kind))


if __name__ == "__main__":
    main()
