"""Due-soon reminders: students who have not handed in work due within a day are told once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.classes import access
from sync_server.models import utcnow
from sync_server.notify import service as notifications

log = logging.getLogger("sync_server.notifications")


def due_soon_notifications(db: Session, within: timedelta = timedelta(hours=24)) -> int:
    """Remind students who have not handed in work due within the window; once per assignment and student."""
    now = utcnow()
    A, M, S = models.Assignment, models.ClassMember, models.Submission
    due = db.execute(select(A.id, A.class_id, A.title, A.due_at, models.SchoolClass.name)
                     .join(models.SchoolClass, models.SchoolClass.id == A.class_id)
                     .where(A.due_at.is_not(None), A.due_at > now, A.due_at <= now + within,
                            models.SchoolClass.archived.is_(False))).all()
    pushed = 0
    for assignment_id, class_id, title, due_at, class_name in due:
        handed_in = select(S.student_id).where(S.assignment_id == assignment_id)
        waiting = list(db.scalars(select(M.user_id).where(M.class_id == class_id, M.role == access.STUDENT,
                                                          M.user_id.not_in(handed_in))))
        pushed += notifications.push(db, waiting, "due_soon", f"{title} is due soon",
                                     f"{class_name}: due {due_at:%Y-%m-%d %H:%M} UTC",
                                     data={"class_id": class_id, "assignment_id": assignment_id},
                                     dedupe_key=f"due:{assignment_id}")
    return pushed


def due_soon_sweep(db_factory: Callable[[], AbstractContextManager[Session]]) -> int:
    """One due-soon pass in its own transaction; db_factory is e.g. app.state.db.session. Returns how many pushed."""
    # Several workers may each run this every few minutes: the dedupe keys make a second pass push nothing.
    with db_factory() as db:
        pushed = due_soon_notifications(db)
    if pushed:
        log.info("due-soon sweep: %d notifications", pushed)
    return pushed
