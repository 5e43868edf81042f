"""Grading one submission version, and the grade grid of a class."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.classes import access, attachments, submissions
from sync_server.errors import ApiError, forbidden
from sync_server.models import utcnow
from sync_server.notify import service as notifications


@dataclass
class GradeCell:
    """One student's state on one assignment."""

    assignment_id: str
    status: str
    points: float | None


@dataclass
class GradeRow:
    """One student's grades."""

    student: models.User
    cells: list[GradeCell]
    total_points: float


@dataclass
class Grades:
    """The grade grid."""

    assignments: list[models.Assignment]
    rows: list[GradeRow]


def grade(db: Session, submission_id: str, user_id: str, points: float, feedback: str) -> submissions.SubmissionView:
    """Grade one version (class teacher); the student is notified."""
    submission, assignment, cls, member = access.visible_submission(db, submission_id, user_id)
    if member.role != access.TEACHER:
        raise forbidden("only the class teacher can grade")
    if points > assignment.points_possible:
        raise ApiError(422, f"points must be between 0 and {assignment.points_possible}", "VALIDATION_ERROR",
                       details=[{"loc": ["body", "points"], "msg": "more than points_possible",
                                 "type": "less_than_equal"}])
    submission.points = points
    submission.feedback = feedback
    submission.graded_at = utcnow()
    submission.graded_by = user_id
    db.flush()
    notifications.push(db, [submission.student_id], "graded", f"{assignment.title} was graded",
                       f"{points:g} / {assignment.points_possible} in {cls.name}",
                       data={"class_id": cls.id, "assignment_id": assignment.id, "submission_id": submission.id})
    files = attachments.attachments_of(db, "submission", [submission.id])[submission.id]
    return submissions.SubmissionView(submission, db.get(models.User, submission.student_id), files)


def grades(db: Session, class_id: str, user_id: str) -> Grades:
    """Students x assignments for the teacher; a student gets only their own row."""
    _cls, member = access.membership(db, class_id, user_id)
    assignments = list(db.scalars(select(models.Assignment).where(models.Assignment.class_id == class_id)
                                  .order_by(models.Assignment.due_at.is_(None), models.Assignment.due_at,
                                            models.Assignment.created_at, models.Assignment.id)))
    student_ids = access.student_ids(db, class_id) if member.role == access.TEACHER else [user_id]
    only = None if member.role == access.TEACHER else user_id
    ids = [a.id for a in assignments]
    latest = submissions.latest_versions(db, ids, only)
    graded = submissions.latest_versions(db, ids, only, graded=True)
    people = sorted(db.scalars(select(models.User).where(models.User.id.in_(student_ids))),
                    key=lambda u: (u.display_name.lower(), u.id)) if student_ids else []
    rows = []
    for person in people:
        cells = [GradeCell(a.id, submissions.status_of(latest.get((a.id, person.id))),
                           graded[(a.id, person.id)].points if (a.id, person.id) in graded else None)
                 for a in assignments]
        rows.append(GradeRow(person, cells, sum(c.points for c in cells if c.points is not None)))
    return Grades(assignments, rows)
