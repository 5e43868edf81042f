"""`lmgpa-server check-config`: every setting the server reads, checked for real; a table, exit 1 on any FAIL."""

from __future__ import annotations

import argparse
import io
import ipaddress
import json
import os
import shutil
import smtplib
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from sync_server import __version__, migrate
from sync_server.auth.mail import SmtpResetSender
from sync_server.settings import DEV_SECRET, MIN_SECRET_LENGTH, ServerSettings, is_weak_secret
from sync_server.sync import blob_store
from sync_server.sync.schemas import MAX_CHUNK_BYTES, PUSH_BODY_BYTES

MIB, GIB = 1024 ** 2, 1024 ** 3
LOW_DISK_BYTES = GIB  # below this the media folder fills up after a few students' recordings
CONNECT_TIMEOUT_S = 5  # an unreachable database or mail server should not hang the service's start
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
GENERATE = "python3 -c \"import secrets; print(secrets.token_urlsafe(48))\""


@dataclass(frozen=True)
class Check:
    """One line of the table: which setting, ok|warn|fail, and what was found (never a secret)."""

    setting: str
    status: str
    detail: str


def _ok(setting: str, detail: str) -> Check:
    return Check(setting, "ok", detail)


def _warn(setting: str, detail: str) -> Check:
    return Check(setting, "warn", detail)


def _fail(setting: str, detail: str) -> Check:
    return Check(setting, "fail", detail)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


def _size(n: int) -> str:
    return f"{n / GIB:.1f} GiB" if n >= GIB else f"{n / MIB:.1f} MiB" if n >= MIB else f"{n} bytes"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load(env: Mapping[str, str]) -> tuple[ServerSettings, list[Check]]:
    """The settings as the server reads them from `env`; an invalid variable gets a FAIL line and its default, so
    the other checks still run. The secret and the mail sender are checked on their own lines, not here."""
    # Every variable given (its default when absent): validating a settings model also reads os.environ for a
    # missing one, which would mix the caller's environment into `env`.
    defaults = {field.validation_alias: field.default for field in ServerSettings.model_fields.values()}
    values = {variable: env.get(variable, default) for variable, default in defaults.items()}
    values["LMGPA_DEV"] = "1"  # lets a weak secret through the model check; check_secret judges it
    values["SMTP_HOST"] = ""  # likewise for the mail sender (check_smtp)
    problems: list[Check] = []
    replaced: set[str] = set()
    while True:
        try:
            settings = ServerSettings.model_validate(values)
            break
        except ValidationError as exc:
            for error in exc.errors():
                variable = str(error["loc"][0]) if error["loc"] else ""
                if variable not in defaults or variable in replaced:
                    raise  # not a variable's fault: a new model check this module does not know
                problems.append(_fail(variable, f"{error['msg']}; the server refuses to start"))
                values[variable] = defaults[variable]
                replaced.add(variable)
    real = {"dev_mode": env.get("LMGPA_DEV") == "1", "smtp_host": env.get("SMTP_HOST", "")}
    return settings.model_copy(update=real), problems


def check_secret(settings: ServerSettings) -> Check:
    """Present, not the development key, long and varied enough (the rule the server itself applies)."""
    secret = settings.jwt_secret_key
    if not secret:
        return _fail("JWT_SECRET_KEY", f"not set; generate one with {GENERATE}")
    if secret == DEV_SECRET:
        return _fail("JWT_SECRET_KEY", "the public development key; generate a new one")
    if is_weak_secret(secret):
        return _fail("JWT_SECRET_KEY", f"weak ({len(secret)} characters, {len(set(secret))} distinct; needs "
                                       f"{MIN_SECRET_LENGTH}+ random characters): generate one with {GENERATE}")
    return _ok("JWT_SECRET_KEY", f"set, {len(secret)} characters (not shown)")


def check_dev_mode(settings: ServerSettings) -> Check:
    """Development mode accepts a missing or weak secret: never for real accounts."""
    if settings.dev_mode:
        return _fail("LMGPA_DEV", "development mode is on (LMGPA_DEV=1 or --dev): never for real accounts")
    return _ok("LMGPA_DEV", "off")


def check_database(settings: ServerSettings) -> Check:
    """Reachable, and its schema at this server's newest revision (the server migrates older ones at start)."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    from sync_server.db import Database

    try:
        url = make_url(settings.database_url)
    except ArgumentError as exc:
        return _fail("DATABASE_URL", f"not a database URL: {_first_line(exc)}")
    shown = url.render_as_string(hide_password=True)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            return _fail("DATABASE_URL", f"{shown}: in memory, every account is lost when the server stops")
        file = Path(url.database)
        where = "" if file.is_absolute() else f" (relative: {file.resolve()} from this folder)"
        folder = file.resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            return _fail("DATABASE_URL", f"{shown}: the folder {folder} is missing or not writable by this user "
                                         "(SQLite writes its journal and lock file beside the database)")
        if not file.exists():
            return _warn("DATABASE_URL", f"{shown}{where}: no database yet; lmgpa-server creates it when it starts")
        if not os.access(file, os.R_OK | os.W_OK):
            return _fail("DATABASE_URL", f"{shown}: the file is not readable and writable by this user")
    elif backend == "postgresql":
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
        where = ""
    else:
        return _fail("DATABASE_URL", f"{shown}: {backend} is not supported (sqlite or postgresql)")
    db = Database(url.render_as_string(hide_password=False))
    try:
        revision = migrate.current(db)
    except Exception as exc:  # noqa: BLE001 - any driver error means the server cannot use this database
        return _fail("DATABASE_URL", f"{shown}: cannot open it: {_first_line(exc)}")
    finally:
        db.dispose()
    head = migrate.head()
    if revision == head:
        return _ok("DATABASE_URL", f"{shown}{where}: reachable, schema at the newest revision ({head})")
    if revision is None:
        return _warn("DATABASE_URL", f"{shown}{where}: reachable but empty; lmgpa-server creates the tables when it "
                                     "starts")
    try:
        known = ScriptDirectory(str(migrate.HERE / "migrations")).get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for a revision it does not have
        known = False
    if not known:
        return _fail("DATABASE_URL", f"{shown}: schema at revision {revision}, which this server ({__version__}) does "
                                     "not know: a newer server wrote it; install that version again")
    return _warn("DATABASE_URL", f"{shown}{where}: schema at {revision}, this server needs {head}: lmgpa-server "
                                 "migrates it when it starts (back the database up first)")


def _writable(folder: Path) -> bool:
    """Really writable (a read-only mount or a sandbox passes os.access)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".check-config-"):
            return True
    except OSError:
        return False


def check_blob_dir(settings: ServerSettings) -> Check:
    """The folder of the sync media chunks: exists (or can be made) and writable, with its free space."""
    folder = blob_store.default_folder(settings).resolve()
    source = "as set" if settings.sync_blob_dir else "the default: SYNC_BLOB_DIR is not set"
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if folder.exists() and not folder.is_dir():
        return _fail("SYNC_BLOB_DIR", f"{folder} ({source}) is not a folder")
    if not existing.is_dir() or not _writable(existing):
        return _fail("SYNC_BLOB_DIR", f"{folder} ({source}): {existing} is not writable by this user")
    free = shutil.disk_usage(existing).free
    detail = f"{folder} ({source}), {_size(free)} free"
    if not folder.exists():
        return _warn("SYNC_BLOB_DIR", f"{detail}; created when the first media chunk arrives")
    if free < LOW_DISK_BYTES:
        return _warn("SYNC_BLOB_DIR", f"{detail}: low on space")
    return _ok("SYNC_BLOB_DIR", f"{detail}, writable")


def check_smtp(settings: ServerSettings, env: Mapping[str, str], connect: bool = False) -> Check:
    """Consistent mail settings; with connect, a real connection, TLS and login (no mail is sent)."""
    host, port, tls = settings.smtp_host, settings.smtp_port, settings.smtp_tls
    if not host:
        return _warn("SMTP_HOST", "not set: password-reset codes are written to the server log, not mailed")
    problems = []
    if "@" not in env.get("SMTP_FROM", ""):
        problems.append("SMTP_FROM must be an email address when SMTP_HOST is set")
    if settings.smtp_user and not settings.smtp_password:
        problems.append("SMTP_USER is set without SMTP_PASSWORD")
    if tls == "none" and settings.smtp_user and not _is_loopback(host):
        problems.append("SMTP_TLS=none would send the mail password in clear to a remote host")
    if problems:
        return _fail("SMTP_HOST", "; ".join(problems))
    detail = f"{host}:{port} ({tls})"
    hints = []
    if tls == "ssl" and port == 587:
        hints.append("port 587 normally speaks STARTTLS, not SSL")
    if tls == "starttls" and port == 465:
        hints.append("port 465 normally speaks SSL (SMTP_TLS=ssl)")
    if tls == "none" and not _is_loopback(host):
        hints.append("mail crosses the network unencrypted")
    if settings.smtp_password and not settings.smtp_user:
        hints.append("SMTP_PASSWORD is ignored without SMTP_USER")
    if connect:
        try:
            _smtp_login(settings)
        except (OSError, smtplib.SMTPException) as exc:
            return _fail("SMTP_HOST", f"{detail}: {_first_line(exc)}")
        detail += ": connected" + (" and signed in" if settings.smtp_user else "")
    else:
        detail += "; not contacted (--smtp connects)"
    return _warn("SMTP_HOST", f"{detail}; {'; '.join(hints)}") if hints else _ok("SMTP_HOST", detail)


def _smtp_login(settings: ServerSettings) -> None:
    """What the mail sender does up to sending (sync_server/auth/mail.py), with a short timeout."""
    sender = SmtpResetSender(settings)
    with sender.session(CONNECT_TIMEOUT_S) as client:
        client.noop()


def check_public_url(url: str) -> Check:
    """The address students type: https (plain http only on this machine), and whether it answers /health."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _fail("public URL", f"{url}: not an http(s) address")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return _fail("public URL", f"{url}: plain http; passwords and tokens would cross the network in clear "
                                   "(put nginx with TLS in front, see docs/deploy-server.md)")
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=CONNECT_TIMEOUT_S) as answer:
            version = json.load(answer)["data"]["version"]
    except Exception as exc:  # noqa: BLE001 - any failure means students cannot reach the server there yet
        return _warn("public URL", f"{url}: /health does not answer yet: {_first_line(exc)}")
    return _ok("public URL", f"{url}: /health answers (server {version})")


def check_body_limits(settings: ServerSettings) -> Check:
    """MAX_BODY_BYTES, MAX_UPLOAD_BYTES and SYNC_QUOTA_BYTES against each other and the fixed sync caps."""
    body, upload, quota = settings.max_body_bytes, settings.max_upload_bytes, settings.sync_quota_bytes
    proxy = max(upload, PUSH_BODY_BYTES, MAX_CHUNK_BYTES)
    detail = (f"bodies {_size(body)}, uploads {_size(upload)}, sync push {_size(PUSH_BODY_BYTES)}, quota "
              f"{_size(quota)}; the proxy's client_max_body_size must be at least {-(-proxy // MIB)}m")
    name = "body and quota limits"
    if body > upload:
        return _fail(name, f"{detail}: MAX_BODY_BYTES is larger than MAX_UPLOAD_BYTES, so file routes would "
                           "accept less than every other route")
    if quota < MAX_CHUNK_BYTES:
        return _warn(name, f"{detail}: the quota holds not even one media chunk ({_size(MAX_CHUNK_BYTES)})")
    if upload > GIB:
        return _warn(name, f"{detail}: an upload is held in memory whole (base64 in JSON); over 1 GiB risks it")
    return _ok(name, detail)


def check_timeouts(settings: ServerSettings) -> Check:
    """Connection timeouts short enough to shed slow clients, and token lifetimes that make sense together."""
    name = "timeouts and tokens"
    detail = (f"request head {settings.header_timeout_seconds:g} s, body pause {settings.body_timeout_seconds:g} s, "
              f"access token {settings.access_token_minutes} min, session {settings.session_timeout_hours} h")
    below = _first_below_one((("ACCESS_TOKEN_MINUTES", settings.access_token_minutes),
                              ("SESSION_TIMEOUT_HOURS", settings.session_timeout_hours)))
    if below:
        return _fail(name, f"{detail}: {below} must be at least 1")
    if settings.access_token_minutes > settings.session_timeout_hours * 60:
        return _warn(name, f"{detail}: an access token outlives the session timeout")
    if settings.header_timeout_seconds > 60 or settings.body_timeout_seconds > 300:
        return _warn(name, f"{detail}: long timeouts let slow clients hold connections")
    return _ok(name, detail)


def check_throttle(settings: ServerSettings) -> Check:
    """Rate limits that let students in and keep guessers out."""
    name = "auth throttle"
    detail = (f"{settings.rate_limit_per_minute} guarded auth calls a minute per address, "
              f"{settings.login_failures_allowed} failed sign-ins per {settings.login_window_minutes} min")
    below = _first_below_one((("RATE_LIMIT_PER_MINUTE", settings.rate_limit_per_minute),
                              ("LOGIN_FAILURES_ALLOWED", settings.login_failures_allowed),
                              ("LOGIN_WINDOW_MINUTES", settings.login_window_minutes)))
    if below:
        return _fail(name, f"{detail}: {below} must be at least 1, or nobody can sign in")
    return _ok(name, detail)


def _first_below_one(values: tuple[tuple[str, int], ...]) -> str | None:
    """The name of the first setting below 1, or None."""
    return next((variable for variable, value in values if value < 1), None)


def check_cors(settings: ServerSettings) -> Check:
    """Browser origins allowed to call the API (the desktop app needs none)."""
    origins = settings.cors_origins
    if not origins:
        return _ok("CORS_ORIGINS", "none (the desktop app needs none; only browser pages on other sites would)")
    if "*" in origins:
        return _warn("CORS_ORIGINS", "* lets scripts on every website call the API; list the origins instead")
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
            return _fail("CORS_ORIGINS", f"{origin!r} never matches: an origin is scheme://host[:port], no path")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            return _warn("CORS_ORIGINS", f"{origin} is plain http")
    return _ok("CORS_ORIGINS", ", ".join(origins))


def check_forwarded(env: Mapping[str, str]) -> Check:
    """FORWARDED_ALLOW_IPS (read by uvicorn): whose X-Forwarded-For/-Proto the server believes."""
    value = env.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
    entries = [e.strip() for e in value.split(",") if e.strip()]
    if "*" in entries:
        return _warn("FORWARDED_ALLOW_IPS", "* believes every client's X-Forwarded-For: safe only when nothing but "
                                            "the proxy can reach the server (throttles count by that address)")
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return _fail("FORWARDED_ALLOW_IPS", f"{entry!r} is not an IP address or network")
    return _ok("FORWARDED_ALLOW_IPS", f"{', '.join(entries)}: the proxy's X-Forwarded-For/-Proto are used from "
                                      "these addresses only")


def run(env: Mapping[str, str], smtp: bool = False, public_url: str | None = None) -> list[Check]:
    """Every check, in the table's order."""
    settings, problems = load(env)
    checks: list[Callable[[], Check]] = [
        lambda: check_secret(settings), lambda: check_dev_mode(settings), lambda: check_database(settings),
        lambda: check_blob_dir(settings), lambda: check_smtp(settings, env, connect=smtp),
        lambda: check_body_limits(settings), lambda: check_timeouts(settings), lambda: check_throttle(settings),
        lambda: check_cors(settings), lambda: check_forwarded(env)]
    if public_url:
        checks.append(lambda: check_public_url(public_url))
    return problems + [check() for check in checks]


def table(results: list[Check]) -> str:
    """Aligned columns: setting, result, detail; then a count."""
    width = max(len(r.setting) for r in results)
    lines = [f"{'setting':<{width}}  result  detail"]
    lines += [f"{r.setting:<{width}}  {r.status.upper() if r.status == 'fail' else r.status:<6}  {r.detail}"
              for r in results]
    counts = {status: sum(r.status == status for r in results) for status in ("ok", "warn", "fail")}
    lines.append(f"{counts['ok']} ok, {counts['warn']} warn, {counts['fail']} FAIL")
    return "\n".join(lines)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile reads them (comments, quotes; no $ expansion)."""
    from dotenv import dotenv_values

    text = path.read_text(encoding="utf-8")  # raises for a missing file, which dotenv would take as empty
    return {key: value or "" for key, value in dotenv_values(stream=io.StringIO(text), interpolate=False).items()}


def main(argv: list[str]) -> int:
    """`lmgpa-server check-config [--env-file FILE] [--db-url URL] [--smtp] [--public-url URL]`."""
    p = argparse.ArgumentParser(prog="lmgpa-server check-config",
                                description="check the settings the server would start with (environment, or an "
                                            "environment file on top of it); exit 1 on any FAIL")
    p.add_argument("--env-file", type=Path, help="read this file too, e.g. /etc/lmgpa-server/env")
    p.add_argument("--db-url", help="as lmgpa-server --db-url (wins over DATABASE_URL)")
    p.add_argument("--smtp", action="store_true", help="connect to the mail server and sign in (no mail is sent)")
    p.add_argument("--public-url", help="the https address students use; checks it answers /health")
    args = p.parse_args(argv)
    env = dict(os.environ)
    if args.env_file:
        try:
            env.update(read_env_file(args.env_file))
        except OSError as exc:
            print(f"lmgpa-server check-config: error: cannot read {args.env_file}: {exc.strerror}", file=sys.stderr)
            return 1
    if args.db_url:
        env["DATABASE_URL"] = args.db_url
    results = run(env, smtp=args.smtp, public_url=args.public_url)
    print(table(results))
    return 1 if any(r.status == "fail" for r in results) else 0
