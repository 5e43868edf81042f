"""apscheduler's job store on the profile's own SQLite file (table apscheduler_jobs)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lmgpa_desktop.storage.database import Database
from lmgpa_desktop.storage.models import SchedulerJob

TABLE = "apscheduler_jobs"


def preload() -> None:
    """Import the job store's module now (see core.reminders.preload)."""
    import apscheduler.jobstores.sqlalchemy  # noqa: F401


def job_store(db: Database):
    """A SQLAlchemyJobStore on the same engine, so reminders live and die with the profile."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    # Its own MetaData (the default): ours already declares the table, and two Table objects may not share one.
    return SQLAlchemyJobStore(engine=db.engine, tablename=TABLE)


def stored_jobs(db: Database) -> dict[str, datetime | None]:
    """Job ids in the store with their next run time (UTC), read without unpickling."""
    with db.read() as s:
        rows = s.execute(select(SchedulerJob.id, SchedulerJob.next_run_time))
        return {job_id: datetime.fromtimestamp(t, UTC) if t is not None else None for job_id, t in rows}
