"""Who may see or change what in a class: membership, teacher checks, assignments and submissions in reach."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import ApiError, forbidden, not_found

TEACHER, STUDENT = "teacher", "student"


def membership(db: Session, class_id: str, user_id: str) -> tuple[models.SchoolClass, models.ClassMember]:
    """The class and the caller's membership; 404 when either is missing so existence is not revealed."""
    cls = db.get(models.SchoolClass, class_id)
    member = db.get(models.ClassMember, (class_id, user_id)) if cls is not None else None
    if cls is None or member is None:
        raise not_found("no such class")
    return cls, member


def teacher_class(db: Session, class_id: str, user_id: str) -> models.SchoolClass:
    """The class, when the caller is its teacher: 404 for outsiders, 403 for its students."""
    cls, member = membership(db, class_id, user_id)
    if member.role != TEACHER:
        raise forbidden("only the class teacher can do this")
    return cls


def not_archived(cls: models.SchoolClass) -> None:
    """409 when the class is archived: nothing new is set or handed in there."""
    if cls.archived:
        raise ApiError(409, "this class is archived; the teacher can unarchive it", "CLASS_ARCHIVED")


def student_ids(db: Session, class_id: str) -> list[str]:
    """The class's students."""
    return list(db.scalars(select(models.ClassMember.user_id).where(models.ClassMember.class_id == class_id,
                                                                    models.ClassMember.role == STUDENT)))


def teacher_ids(db: Session, class_id: str) -> list[str]:
    """The class's teachers."""
    return list(db.scalars(select(models.ClassMember.user_id).where(models.ClassMember.class_id == class_id,
                                                                    models.ClassMember.role == TEACHER)))


def visible_assignment(db: Session, assignment_id: str, user_id: str) \
        -> tuple[models.Assignment, models.SchoolClass, models.ClassMember]:
    """An assignment of a class the caller is in, with the class and membership; 404 for anyone else."""
    assignment = db.get(models.Assignment, assignment_id)
    if assignment is None:
        raise not_found("no such assignment")
    try:
        cls, member = membership(db, assignment.class_id, user_id)
    except ApiError:
        raise not_found("no such assignment") from None
    return assignment, cls, member


def teacher_assignment(db: Session, assignment_id: str, user_id: str) -> tuple[models.Assignment,
                                                                                models.SchoolClass]:
    """An assignment the caller teaches: 404 for outsiders, 403 for the class's students."""
    assignment, cls, member = visible_assignment(db, assignment_id, user_id)
    if member.role != TEACHER:
        raise forbidden("only the class teacher can do this")
    return assignment, cls


def visible_submission(db: Session, submission_id: str, user_id: str) \
        -> tuple[models.Submission, models.Assignment, models.SchoolClass, models.ClassMember]:
    """A submission its student or the class teacher may see; anyone else gets 404."""
    submission = db.get(models.Submission, submission_id)
    if submission is None:
        raise not_found("no such submission")
    assignment = db.get(models.Assignment, submission.assignment_id)
    try:
        cls, member = membership(db, assignment.class_id, user_id)
    except ApiError:
        raise not_found("no such submission") from None
    if member.role != TEACHER and submission.student_id != user_id:
        raise not_found("no such submission")  # other students' work is not even acknowledged
    return submission, assignment, cls, member
