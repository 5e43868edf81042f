"""PostgreSQL for the server tests: a private cluster on loopback for the whole session (Debian's binaries), and a
fresh empty database per test. Also used as a plain function by benchmarks/server_load.py."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import server_fixtures

PACKAGE = "postgresql"  # the Debian package with initdb and pg_ctl under /usr/lib/postgresql/<version>/bin
SUPERUSER = "lmgpa"
SKIP_ENV = "LMGPA_SKIP_POSTGRES"


class PostgresMissing(RuntimeError):
    """PostgreSQL's server binaries are not installed."""


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl, or None."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        version = Path(d).parent.name
        if os.access(Path(d) / "initdb", os.X_OK) and os.access(Path(d) / "pg_ctl", os.X_OK):
            found.append((int(version) if version.isdigit() else 0, Path(d)))
    return max(found)[1] if found else None


@dataclass
class Cluster:
    """A running private PostgreSQL cluster."""

    bin_dir: Path
    root: Path
    port: int
    run_as: list[str]

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the server puts its unix socket."""
        return self.root / "sock"

    def url(self, dbname: str = "postgres") -> str:
        """A URL for the app (sync_server.db maps postgresql:// to psycopg 3)."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def admin(self):
        """An autocommit psycopg connection to the maintenance database (CREATE/DROP DATABASE need autocommit)."""
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True)

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        name = "t_" + uuid.uuid4().hex[:16]
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending whatever connections are still open on it first."""
        with self.admin() as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                         "pg_backend_pid()", (name,))
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    def stop(self) -> None:
        """Stop the server and remove its files."""
        try:
            subprocess.run([*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                            "-w", "stop"], check=False, capture_output=True, text=True, timeout=120)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stdout}\n{done.stderr}")


def start_cluster(max_connections: int = 300) -> Cluster:
    """initdb and start a throwaway cluster on 127.0.0.1 (free port) and a unix socket in its own temp dir;
    trust auth for local connections. As root, the binaries run as the `postgres` user (initdb refuses root)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresMissing(f"PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install the "
                              f"Debian package: apt-get install -y --no-install-recommends {PACKAGE} (./test does "
                              f"this), or set {SKIP_ENV}=1 to leave PostgreSQL out")
    # Not pytest's tmp_path: its parents are mode 0700 for root, which the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="lmgpa-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    try:
        _run([*run_as, str(bin_dir / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER, "--auth=trust",
              "-E", "UTF8", "--no-sync", "--locale=C"], "initdb")
        os.makedirs(root / "sock", exist_ok=True)
        if run_as:
            shutil.chown(root / "sock", "postgres", "postgres")
        last_error = None
        for _attempt in range(5):  # the free port may be taken between choosing and binding it
            port = server_fixtures.free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root / 'sock'} "
                       f"-c max_connections={max_connections} -c fsync=off -c synchronous_commit=off "
                       "-c full_page_writes=off")
            try:
                _run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "server.log"),
                      "-o", options, "-w", "-t", "60", "start"], "pg_ctl start")
                return Cluster(bin_dir, root, port, run_as)
            except RuntimeError as exc:
                last_error = exc
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        raise RuntimeError(f"{last_error}\n{log[-2000:]}")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


@pytest.fixture(scope="session")
def postgres_cluster():
    """One private PostgreSQL cluster for the test session; a missing install fails (not skips) the tests."""
    if os.environ.get(SKIP_ENV) == "1":
        pytest.skip(f"{SKIP_ENV}=1: PostgreSQL left out")
    cluster, missing = None, None
    try:
        cluster = start_cluster()
    except PostgresMissing as exc:
        missing = str(exc)
    if missing:  # an error at set-up: the PostgreSQL runs fail with the install hint instead of being skipped
        pytest.fail(missing, pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture
def fresh_postgres_url(postgres_cluster):
    """A URL of a new empty database, dropped after the test."""
    name = postgres_cluster.create_database()
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


if os.environ.get(SKIP_ENV) != "1" and "postgresql" not in server_fixtures.SERVER_DATABASES:
    server_fixtures.SERVER_DATABASES.append("postgresql")
