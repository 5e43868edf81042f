"""/api/classes: classes and join codes, rosters, assignments with files, submissions, grading, grade grids."""

from __future__ import annotations

from fastapi import Query, Request, Response
from pydantic import BaseModel

from sync_server.auth.deps import CurrentCaller, TeacherCaller
from sync_server.classes import assignments, attachments, grades, submissions
from sync_server.classes import schemas as sc
from sync_server.classes import service as classes
from sync_server.deps import DB, Router
from sync_server.envelope import wrap
from sync_server.files import file_response
from sync_server.limits import UPLOAD
from sync_server.schemas import ERRORS, Done, Envelope, ErrorEnvelope

router = Router(prefix="/api/classes", tags=["classes"], responses={**ERRORS, 413: {"model": ErrorEnvelope}})


def _out(model: type[BaseModel], obj: object) -> dict:
    return model.model_validate(obj).model_dump(mode="json")


def _many(model: type[BaseModel], objs: list) -> list[dict]:
    return [_out(model, o) for o in objs]


# Routes with a fixed first segment come before /{class_id}/... so that they are never read as a class id.

@router.post("/join", response_model=Envelope[sc.ClassPublic])
def join(body: sc.JoinIn, request: Request, db: DB, caller: CurrentCaller):
    """Join a class as a student with its code; joining again is harmless."""
    return wrap(request, _out(sc.ClassPublic, classes.join(db, caller.id, body.join_code)))


@router.get("/assignments/{assignment_id}", response_model=Envelope[sc.AssignmentPublic])
def get_assignment(assignment_id: str, request: Request, db: DB, caller: CurrentCaller):
    """One assignment (class members)."""
    return wrap(request, _out(sc.AssignmentPublic, assignments.assignment_view(db, assignment_id, caller.id)))


@router.patch("/assignments/{assignment_id}", response_model=Envelope[sc.AssignmentPublic])
def update_assignment(assignment_id: str, body: sc.AssignmentUpdate, request: Request, db: DB,
                      caller: CurrentCaller):
    """Change an assignment (class teacher); due_at: null removes the due date."""
    view = assignments.update_assignment(db, assignment_id, caller.id, body.model_dump(exclude_unset=True))
    return wrap(request, _out(sc.AssignmentPublic, view))


@router.delete("/assignments/{assignment_id}", response_model=Envelope[Done])
def delete_assignment(assignment_id: str, request: Request, db: DB, caller: CurrentCaller):
    """Delete an assignment with its submissions and files (class teacher)."""
    assignments.delete_assignment(db, assignment_id, caller.id)
    return wrap(request, {"done": True})


@router.post("/assignments/{assignment_id}/submissions", status_code=201, response_model=Envelope[sc.SubmissionPublic],
             openapi_extra=UPLOAD)
def submit(assignment_id: str, body: sc.SubmissionCreate, request: Request, db: DB, caller: CurrentCaller):
    """Hand in work (students of the class); each call adds a new version."""
    file = None
    if body.content_base64 is not None:
        file = sc.FileIn(file_name=body.file_name or f"{body.kind}.bin", content_type=body.content_type,
                         content_base64=body.content_base64)
    view = submissions.submit(db, assignment_id, caller.id, kind=body.kind, text=body.text, upload=file)
    return wrap(request, _out(sc.SubmissionPublic, view))


@router.get("/assignments/{assignment_id}/submissions", response_model=Envelope[list[sc.SubmissionPublic]])
def list_submissions(assignment_id: str, request: Request, db: DB, caller: CurrentCaller,
                     all_versions: bool = Query(False, description="the teacher gets every version, not the newest")):
    """The teacher: each student's newest version (or all); a student: only their own versions."""
    rows = submissions.submissions(db, assignment_id, caller.id, all_versions)
    return wrap(request, _many(sc.SubmissionPublic, rows))


@router.post("/submissions/{submission_id}/grade", response_model=Envelope[sc.SubmissionPublic])
def grade(submission_id: str, body: sc.GradeIn, request: Request, db: DB, caller: CurrentCaller):
    """Grade one submission version (class teacher); the student is notified."""
    view = grades.grade(db, submission_id, caller.id, body.points, body.feedback)
    return wrap(request, _out(sc.SubmissionPublic, view))


@router.get("/attachments/{attachment_id}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "the file's bytes"}})
def download(attachment_id: str, db: DB, caller: CurrentCaller):
    """A file of an assignment (members) or of a submission (its student and the class teacher)."""
    row = attachments.attachment(db, attachment_id, caller.id)
    return file_response(row.data, row.file_name, row.content_type)


@router.post("", status_code=201, response_model=Envelope[sc.ClassPublic])
def create_class(body: sc.ClassCreate, request: Request, db: DB, caller: TeacherCaller):
    """Create a class (teachers and admins); the creator is its teacher."""
    view = classes.create_class(db, caller.id, body.name, body.description, body.subject)
    return wrap(request, _out(sc.ClassPublic, view))


@router.get("", response_model=Envelope[list[sc.ClassPublic]])
def my_classes(request: Request, db: DB, caller: CurrentCaller):
    """Classes I teach or joined, with my role and head counts."""
    return wrap(request, _many(sc.ClassPublic, classes.my_classes(db, caller.id)))


@router.get("/{class_id}", response_model=Envelope[sc.ClassPublic])
def get_class(class_id: str, request: Request, db: DB, caller: CurrentCaller):
    """One class (members); the join code is shown to its teacher only."""
    return wrap(request, _out(sc.ClassPublic, classes.class_view(db, class_id, caller.id)))


@router.patch("/{class_id}", response_model=Envelope[sc.ClassPublic])
def update_class(class_id: str, body: sc.ClassUpdate, request: Request, db: DB, caller: CurrentCaller):
    """Rename, describe, or archive a class (class teacher)."""
    view = classes.update_class(db, class_id, caller.id, body.model_dump(exclude_unset=True))
    return wrap(request, _out(sc.ClassPublic, view))


@router.post("/{class_id}/join-code/reset", response_model=Envelope[sc.ClassPublic])
def reset_join_code(class_id: str, request: Request, db: DB, caller: CurrentCaller):
    """A new join code; the old one stops working (class teacher)."""
    return wrap(request, _out(sc.ClassPublic, classes.reset_join_code(db, class_id, caller.id)))


@router.get("/{class_id}/roster", response_model=Envelope[list[sc.RosterEntryPublic]])
def roster(class_id: str, request: Request, db: DB, caller: CurrentCaller):
    """The people in a class (members); emails only for the teacher."""
    return wrap(request, _many(sc.RosterEntryPublic, classes.roster(db, class_id, caller.id)))


@router.delete("/{class_id}/members/{user_id}", response_model=Envelope[Done])
def remove_member(class_id: str, user_id: str, request: Request, db: DB, caller: CurrentCaller):
    """The teacher removes a student, or a student leaves (their own id)."""
    classes.remove_member(db, class_id, caller.id, user_id)
    return wrap(request, {"done": True})


@router.post("/{class_id}/assignments", status_code=201, response_model=Envelope[sc.AssignmentPublic],
             openapi_extra=UPLOAD)
def create_assignment(class_id: str, body: sc.AssignmentCreate, request: Request, db: DB, caller: CurrentCaller):
    """Set an assignment, optionally with files (class teacher); students are notified."""
    view = assignments.create_assignment(db, class_id, caller.id, title=body.title, description=body.description,
                                         due_at=body.due_at, points_possible=body.points_possible,
                                         uploads=body.attachments)
    return wrap(request, _out(sc.AssignmentPublic, view))


@router.get("/{class_id}/assignments", response_model=Envelope[list[sc.AssignmentPublic]])
def list_assignments(class_id: str, request: Request, db: DB, caller: CurrentCaller):
    """A class's assignments: a student's own status on each, or the teacher's counts."""
    return wrap(request, _many(sc.AssignmentPublic, assignments.list_assignments(db, class_id, caller.id)))


@router.get("/{class_id}/grades", response_model=Envelope[sc.GradesPublic])
def grade_grid(class_id: str, request: Request, db: DB, caller: CurrentCaller):
    """The teacher: students x assignments; a student: their own row only."""
    return wrap(request, _out(sc.GradesPublic, grades.grades(db, class_id, caller.id)))
