"""Housekeeping jobs: check every model, back up the database."""

from __future__ import annotations

from datetime import UTC, datetime

from lmgpa_desktop import paths
from lmgpa_desktop.core.jobs import JobContext, job_kind
from lmgpa_desktop.core.model_registry import SPECS
from lmgpa_desktop.core.progress import Progress
from lmgpa_desktop.engines.errors import ModelError


@job_kind("models.check")
def check_models(ctx: JobContext, payload: dict):
    """Load each model (or the ones in payload["keys"]) and do a little real work with it."""
    keys = payload.get("keys") or list(SPECS)
    results: dict[str, str] = {}
    for i, key in enumerate(keys):
        yield Progress(i, len(keys), f"checking {SPECS[key].job} model")
        try:
            results[key] = "ok: " + ctx.services.models.probe(key)
        except ModelError as exc:
            results[key] = f"error: {exc}"
    yield Progress(len(keys), len(keys), "models checked")
    return results


@job_kind("backup")
def backup_database(ctx: JobContext, payload: dict):
    """Copy the database to the backups folder."""
    yield Progress(0, 1, "backing up")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = paths.backups_dir(ctx.services.home) / f"manual-{stamp}.sqlite3"
    ctx.services.db.backup_to(target)
    yield Progress(1, 1, f"backed up to {target}")
    return {"path": str(target)}
