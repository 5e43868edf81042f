"""The sync tests' world: a live server with a known blob folder, a student's devices (separate profiles signed in
to one account), a cut connection, and snapshots of every synced table compared by uuid."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlean
from online_support import email
from server_fixtures import PASSWORD, STRONG_SECRET, LiveServer

from lmgpa_desktop.core.job_progress import run_to_end
from lmgpa_desktop.storage.cards_repo import STATE_FIELDS
from sync_server.settings import ServerSettings

PASSPHRASE = "seven lanterns over the quad"
SYNC_PREFIX = "/api/sync/"
# The FSRS state of a card: derived by replaying the merged review log, never synced, so compared on its own.
CARD_STATE = STATE_FIELDS


# -- the server ------------------------------------------------------------------------------------------------
def live_sync_server(db_url: str, blob_dir: Path) -> LiveServer:
    """A LiveServer (not started) whose blob folder is blob_dir, so a test can read what it stored."""
    srv = LiveServer(db_url)
    srv.blob_dir = Path(blob_dir)
    srv.settings = ServerSettings.from_env({"JWT_SECRET_KEY": STRONG_SECRET, "DATABASE_URL": db_url,
                                            "RATE_LIMIT_PER_MINUTE": "100000", "SYNC_BLOB_DIR": str(blob_dir)})
    return srv


# -- devices ---------------------------------------------------------------------------------------------------
drive = run_to_end  # run a progress generator to its end; its return value


@dataclass(eq=False)
class Device:
    """One of the student's computers: an opened profile signed in to the account with sync set up."""

    name: str
    ctx: object
    setup: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Device({self.name!r})"

    def _repr_pretty_(self, p, cycle) -> None:  # hypothesis prints a dataclass field by field otherwise
        p.text(repr(self))

    @property
    def db_path(self) -> Path:
        return Path(self.ctx.db.path)

    def sync(self, cancel=None) -> dict:
        """One sync cycle through the service, as the app and the CLI run it."""
        from lmgpa_desktop.core.sync import service

        return drive(service.sync_now(self.ctx, cancel=cancel))

    def status(self) -> dict:
        from lmgpa_desktop.core.sync import service

        return service.status(self.ctx)

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of a read-only query on this profile's database file (a separate connection, as a checker)."""
        with closing_conn(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


@contextmanager
def closing_conn(path: Path) -> Iterator[sqlean.Connection]:
    # Through the app's own SQLite (sqlean), never the standard library's: two SQLite libraries in one process do
    # not see each other's POSIX locks, so closing the other library's connection drops the app's locks and it
    # rebuilds the WAL index under the app's feet (the app's threads then die of SIGBUS on the mapped -shm file).
    conn = sqlean.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


class Fleet:
    """A student's devices on one live server: the first signs up, the others sign in, each sets sync up."""

    def __init__(self, server: LiveServer, root: Path, template: Path | None = None):
        self.server, self.root, self.template = server, Path(root), template
        self.email = email("student")
        self.devices: list[Device] = []

    def add(self, name: str, setup: bool = True) -> Device:
        """Open a new profile (a migrated database; a copy of template with a new device id when given)."""
        from lmgpa_desktop import paths
        from lmgpa_desktop.core.online import service as online
        from lmgpa_desktop.core.profile import open_app

        home = self.root / name
        if self.template is not None:
            home.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.template, paths.database_path(home))
        ctx = open_app(home)
        if self.template is not None:
            from lmgpa_desktop.storage.sync import outbox_repo

            outbox_repo.reset_device(ctx.db)  # a copied database must not share its device id
        account = online.service(ctx)
        if not self.devices:
            account.sign_up(self.server.url, self.email, PASSWORD, "Sam Student")
        else:
            account.sign_in(self.server.url, self.email, PASSWORD)
        device = Device(name, ctx)
        self.devices.append(device)
        if setup:
            self.set_up(device)
        return device

    @staticmethod
    def set_up(device: Device) -> dict:
        from lmgpa_desktop.core.sync import service

        device.setup = service.setup(device.ctx, PASSPHRASE)
        return device.setup

    def close(self) -> None:
        from lmgpa_desktop.core.online import service as online

        for device in self.devices:
            online.service(device.ctx).stop_live()
            device.ctx.close()
        self.devices.clear()


# -- a cut connection ------------------------------------------------------------------------------------------
class Cut:
    """Counts the requests to /api/sync/ of every HTTP client in this process and fails the chosen one.

    mode "before": the request never reaches the server (ConnectError); "after": the server handles it but the
    answer is lost on the way back (ReadError), the case that tests idempotency."""

    def __init__(self, at: int | None = None, mode: str = "before"):
        self.at, self.mode = at, mode
        self.calls: list[str] = []
        self.fired = False
        self._lock = threading.Lock()

    def should_fail(self, request: httpx.Request) -> bool:
        if not request.url.path.startswith(SYNC_PREFIX):
            return False
        with self._lock:
            self.calls.append(f"{request.method} {request.url.path}")
            if self.at is not None and len(self.calls) == self.at and not self.fired:
                self.fired = True
                return True
        return False


@contextmanager
def cut_connection(monkeypatch_obj, at: int | None = None, mode: str = "before") -> Iterator[Cut]:
    """Within the block, the at-th sync request (1-based) fails as Cut describes; at=None only counts."""
    cut = Cut(at, mode)
    real_send = httpx.Client.send

    def send(self, request, *args, **kwargs):
        if cut.should_fail(request):
            if cut.mode == "before":
                raise httpx.ConnectError("connection cut by the test", request=request)
            response = real_send(self, request, *args, **kwargs)
            response.read()
            response.close()
            raise httpx.ReadError("connection cut by the test after the server answered", request=request)
        return real_send(self, request, *args, **kwargs)

    monkeypatch_obj.setattr(httpx.Client, "send", send)
    try:
        yield cut
    finally:
        monkeypatch_obj.setattr(httpx.Client, "send", real_send)


# -- snapshots -------------------------------------------------------------------------------------------------
def _uuid_maps(conn: sqlean.Connection, tables: set[str]) -> dict[str, dict[int, str]]:
    return {t: dict(conn.execute(f"SELECT id, uuid FROM {t}").fetchall()) for t in tables}


def _media_value(conn: sqlean.Connection, path: str | None) -> object:
    """A media column's value as its content (sha256), which is what must be equal on every device."""
    if path is None:
        return None
    known = conn.execute("SELECT sha256 FROM sync_media WHERE path = ?", (path,)).fetchone()
    if known:
        return ("sha256", known[0])
    file = Path(path)
    if file.is_file():
        return ("sha256", hashlib.sha256(file.read_bytes()).hexdigest())
    return ("missing file", file.name)


def snapshot(device: Device) -> dict[str, dict[str, dict]]:
    """Every synced table's live rows as {table: {row key: {field: value}}}: refs as the parent's uuid, media as
    content."""
    from lmgpa_desktop.storage.sync import json_refs
    from lmgpa_desktop.storage.sync.spec import SPECS, TOMBSTONE

    out: dict[str, dict[str, dict]] = {}
    with closing_conn(device.db_path) as conn:
        maps = _uuid_maps(conn, {parent for s in SPECS for parent in s.refs.values()} | json_refs.NAMED_TABLES)
        for s in SPECS:
            cols = ", ".join([s.key, *s.fields])
            sql = f"SELECT {cols} FROM {s.table}" + (f" WHERE {s.where}" if s.where else "")
            rows = {}
            for row in conn.execute(sql).fetchall():
                values = dict(zip(s.fields, row[1:], strict=True))
                if s.soft_delete and values[TOMBSTONE] is not None:
                    # A tombstone is the same as no row: the device that deleted a row may have removed it for
                    # good while the others keep its tombstone. A live row against a tombstone still differs.
                    continue
                for col, parent in s.refs.items():
                    if values.get(col) is not None:
                        values[col] = maps[parent].get(values[col], f"<unknown {parent} {values[col]}>")
                for col in s.media:
                    values[col] = _media_value(conn, values.get(col))
                # ids inside values (a note's cited source, an activity's card) as uuids too
                values = json_refs.rewrite(s.table, values, lambda t, v: maps[t].get(v) if t else None)
                rows[row[0]] = values
            out[s.table] = rows
    return out


def card_states(device: Device) -> dict[str, tuple]:
    """{card uuid: FSRS state} of every live card (a new card's due is its local queue place: left out)."""
    rows = device.query(f"SELECT uuid, {', '.join(CARD_STATE)} FROM cards WHERE deleted_at IS NULL")
    return {r[0]: (r[1:5] + (None, r[6])) if r[1] == 0 else r[1:] for r in rows}


def review_log_uuids(device: Device) -> list[str]:
    return [r[0] for r in device.query("SELECT uuid FROM review_logs")]


def diff(a: dict, b: dict, limit: int = 8) -> list[str]:
    """A readable list of the differences between two snapshots."""
    out = []
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table, {}), b.get(table, {})
        for key in sorted(set(ra) | set(rb), key=str):
            if ra.get(key) != rb.get(key):
                if key not in ra or key not in rb:
                    out.append(f"{table} {key}: only on {'first' if key in ra else 'second'}: {ra.get(key) or rb.get(key)}")
                else:
                    fields = {f: (ra[key][f], rb[key][f]) for f in ra[key] if ra[key][f] != rb[key].get(f)}
                    out.append(f"{table} {key}: {fields}")
                if len(out) >= limit:
                    return out
    return out


def assert_converged(devices: list[Device]) -> dict:
    """Every synced table and every card's FSRS state equal on all devices, each review log once; the snapshot."""
    first = snapshot(devices[0])
    states = card_states(devices[0])
    for other in devices[1:]:
        snap = snapshot(other)
        assert snap == first, f"{devices[0].name} and {other.name} differ:\n" + "\n".join(diff(first, snap))
        theirs = card_states(other)
        assert theirs == states, f"card FSRS state differs between {devices[0].name} and {other.name}: " + str(
            {k: (states.get(k), theirs.get(k)) for k in set(states) | set(theirs) if states.get(k) != theirs.get(k)})
    for device in devices:
        logs = review_log_uuids(device)
        assert len(logs) == len(set(logs)), f"a review log is there twice on {device.name}"
    return first


def sync_round(devices: list[Device], rounds: int = 2) -> None:
    """Everyone syncs, twice: the second round brings each device what the others pushed after it pulled."""
    for _ in range(rounds):
        for device in devices:
            result = device.sync()
            assert isinstance(result, dict)


def server_dump(srv: LiveServer) -> bytes:
    """Everything the server stores for sync, as bytes: the database (file or a PostgreSQL dump) and the blobs."""
    parts: list[bytes] = []
    url = srv.settings.database_url
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-journal"):
            f = Path(str(path) + suffix)
            if f.exists():
                parts.append(f.read_bytes())
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
            for t in tables:
                with conn.cursor().copy(f'COPY "{t}" TO STDOUT') as copy:
                    for chunk in copy:
                        parts.append(bytes(chunk))
    blob_dir = getattr(srv, "blob_dir", None)
    if blob_dir is not None and Path(blob_dir).exists():
        for f in sorted(Path(blob_dir).rglob("*")):
            if f.is_file():
                parts.append(f.read_bytes())
    return b"\n".join(parts)
