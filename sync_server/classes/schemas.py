"""Request and response bodies for /api/classes (*Create / *Update / *Public families)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sync_server.schemas import Input, PersonPublic, Public, UtcDateTime

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Base64 text twice the size of the largest allowed file is refused while parsing; anything between is decoded and
# refused with 413, so a file just over the limit gets a clear "too large" answer rather than a validation error.
MAX_BASE64_CHARS = 2 * (MAX_ATTACHMENT_BYTES * 4 // 3 + 4)
SubmissionKind = Literal["text", "file", "note", "deck"]
Status = Literal["none", "submitted", "late", "graded"]


class ClassCreate(Input):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    subject: str = Field(default="", max_length=120)


class ClassUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    subject: str | None = Field(default=None, max_length=120)
    archived: bool | None = None


class JoinIn(Input):
    join_code: str = Field(min_length=1, max_length=40)


class ClassPublic(Public):
    """A class as one of its members sees it; join_code is set only for its teacher."""

    id: str
    name: str
    description: str
    subject: str
    archived: bool
    created_at: UtcDateTime
    teacher: PersonPublic
    my_role: str
    member_count: int
    student_count: int
    join_code: str | None = None


class RosterEntryPublic(Public):
    """A person in a class; email is set only when the teacher asks."""

    id: str
    display_name: str
    role: str
    joined_at: UtcDateTime
    email: str | None = None


class FileIn(Input):
    file_name: str = Field(min_length=1, max_length=255)
    content_type: str | None = Field(default=None, max_length=120)
    content_base64: str = Field(max_length=MAX_BASE64_CHARS)


class AssignmentCreate(Input):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=50_000)
    due_at: UtcDateTime | None = None
    points_possible: int = Field(default=100, ge=1, le=100_000)
    attachments: list[FileIn] = Field(default_factory=list, max_length=20)


class AssignmentUpdate(Input):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=50_000)
    due_at: UtcDateTime | None = None  # sent as null, it clears the due date
    points_possible: int | None = Field(default=None, ge=1, le=100_000)


class AttachmentPublic(Public):
    id: str
    file_name: str
    content_type: str
    size: int


class AssignmentPublic(Public):
    """An assignment; the my_* fields are a student's own state, the *_count fields the teacher's overview."""

    id: str
    class_id: str
    title: str
    description: str
    due_at: UtcDateTime | None
    points_possible: int
    created_at: UtcDateTime
    attachments: list[AttachmentPublic]
    my_status: Status | None = None
    my_points: float | None = None
    my_version: int | None = None
    submitted_count: int | None = None
    graded_count: int | None = None
    student_count: int | None = None


class SubmissionCreate(Input):
    kind: SubmissionKind
    text: str = Field(default="", max_length=200_000)
    file_name: str | None = Field(default=None, min_length=1, max_length=255)
    content_type: str | None = Field(default=None, max_length=120)
    content_base64: str | None = Field(default=None, max_length=MAX_BASE64_CHARS)


class SubmissionPublic(Public):
    """One version of a student's work with its grade."""

    id: str
    assignment_id: str
    student: PersonPublic
    version: int
    kind: str
    text: str
    attachment_ids: list[str]
    attachments: list[AttachmentPublic]
    late: bool
    created_at: UtcDateTime
    points: float | None
    feedback: str
    graded_at: UtcDateTime | None


class GradeIn(Input):
    points: float = Field(ge=0, allow_inf_nan=False)
    feedback: str = Field(default="", max_length=20_000)


class GradeColumnPublic(Public):
    id: str
    title: str
    due_at: UtcDateTime | None
    points_possible: int


class GradeCellPublic(Public):
    """A student's latest status on one assignment and the points of their latest graded version."""

    assignment_id: str
    status: Status
    points: float | None


class GradeRowPublic(Public):
    student: PersonPublic
    cells: list[GradeCellPublic]
    total_points: float


class GradesPublic(Public):
    """Students x assignments; a student's grid holds only their own row."""

    assignments: list[GradeColumnPublic]
    rows: list[GradeRowPublic]
