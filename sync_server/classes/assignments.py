"""Assignments set in a class, with their files and each viewer's view of progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.classes import access, attachments, submissions
from sync_server.classes.schemas import FileIn
from sync_server.notify import service as notifications


@dataclass
class AssignmentView:
    """An assignment with its attachments and the caller's view of progress."""

    row: models.Assignment
    attachments: list[models.Attachment]
    my_status: str | None = None
    my_points: float | None = None
    my_version: int | None = None
    submitted_count: int | None = None
    graded_count: int | None = None
    student_count: int | None = None

    def __getattr__(self, name: str):
        return getattr(self.row, name)


def naive_utc(moment: datetime | None) -> datetime | None:
    """Naive UTC as stored; an aware input is converted, a naive one is taken as UTC already."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _assignment_views(db: Session, assignments: list[models.Assignment], member: models.ClassMember) \
        -> list[AssignmentView]:
    ids = [a.id for a in assignments]
    files = attachments.attachments_of(db, "assignment", ids)
    views = [AssignmentView(a, files[a.id]) for a in assignments]
    if member.role == access.TEACHER:
        students = set(access.student_ids(db, member.class_id))
        latest = submissions.latest_versions(db, ids)
        for view in views:
            mine = [s for (aid, sid), s in latest.items() if aid == view.row.id and sid in students]
            view.student_count = len(students)
            view.submitted_count = len(mine)
            view.graded_count = sum(1 for s in mine if s.points is not None)
    else:
        latest = submissions.latest_versions(db, ids, member.user_id)
        graded = submissions.latest_versions(db, ids, member.user_id, graded=True)
        for view in views:
            newest = latest.get((view.row.id, member.user_id))
            best = graded.get((view.row.id, member.user_id))
            view.my_status = submissions.status_of(newest)
            view.my_version = newest.version if newest else None
            view.my_points = best.points if best else None
    return views


def create_assignment(db: Session, class_id: str, user_id: str, *, title: str, description: str,
                      due_at: datetime | None, points_possible: int, uploads: list[FileIn]) -> AssignmentView:
    """Set work in a class (class teacher); every student is notified."""
    cls = access.teacher_class(db, class_id, user_id)
    access.not_archived(cls)
    # After the access checks, so outsiders learn nothing from a 413.
    files = [attachments.decode_file(u) for u in uploads]
    assignment = models.Assignment(class_id=class_id, title=title.strip(), description=description,
                                   due_at=naive_utc(due_at), points_possible=points_possible, created_by=user_id)
    db.add(assignment)
    db.flush()
    attachments.attach(db, "assignment", assignment.id, files)
    due = f"due {assignment.due_at:%Y-%m-%d %H:%M} UTC" if assignment.due_at else "no due date"
    notifications.push(db, access.student_ids(db, class_id), "assignment",
                       f"New assignment in {cls.name}: {assignment.title}", due,
                       data={"class_id": class_id, "assignment_id": assignment.id})
    member = db.get(models.ClassMember, (class_id, user_id))
    return _assignment_views(db, [assignment], member)[0]


def list_assignments(db: Session, class_id: str, user_id: str) -> list[AssignmentView]:
    """A class's assignments by due date (undated last), with the caller's view of progress."""
    _cls, member = access.membership(db, class_id, user_id)
    rows = list(db.scalars(select(models.Assignment).where(models.Assignment.class_id == class_id)
                           .order_by(models.Assignment.due_at.is_(None), models.Assignment.due_at,
                                     models.Assignment.created_at, models.Assignment.id)))
    return _assignment_views(db, rows, member)


def assignment_view(db: Session, assignment_id: str, user_id: str) -> AssignmentView:
    """One assignment for a member."""
    assignment, _cls, member = access.visible_assignment(db, assignment_id, user_id)
    return _assignment_views(db, [assignment], member)[0]


def update_assignment(db: Session, assignment_id: str, user_id: str, changes: dict) -> AssignmentView:
    """Change title, description, due date (null clears it) or points (class teacher)."""
    assignment, cls = access.teacher_assignment(db, assignment_id, user_id)
    if changes.get("title") is not None:
        assignment.title = changes["title"].strip()
    if changes.get("description") is not None:
        assignment.description = changes["description"]
    if "due_at" in changes:
        assignment.due_at = naive_utc(changes["due_at"])
    if changes.get("points_possible") is not None:
        assignment.points_possible = changes["points_possible"]
    db.flush()
    return _assignment_views(db, [assignment], db.get(models.ClassMember, (cls.id, user_id)))[0]


def delete_assignment(db: Session, assignment_id: str, user_id: str) -> None:
    """Remove an assignment with its submissions and every file of both (class teacher)."""
    assignment, _cls = access.teacher_assignment(db, assignment_id, user_id)
    submission_ids = select(models.Submission.id).where(models.Submission.assignment_id == assignment.id)
    # Attachments point at their owner without a foreign key (owners of several kinds), so they go by hand.
    db.execute(delete(models.Attachment).where(models.Attachment.owner_kind == "submission",
                                               models.Attachment.owner_id.in_(submission_ids)))
    db.execute(delete(models.Attachment).where(models.Attachment.owner_kind == "assignment",
                                               models.Attachment.owner_id == assignment.id))
    db.execute(delete(models.Submission).where(models.Submission.assignment_id == assignment.id))
    db.delete(assignment)
