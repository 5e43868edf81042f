"""Files of assignments and submissions: uploads checked and decoded, stored, listed, served to who may see them."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from sync_server import models
from sync_server.classes import access
from sync_server.classes.schemas import MAX_ATTACHMENT_BYTES, FileIn
from sync_server.errors import ApiError, not_found
from sync_server.files import upload_type


@dataclass(frozen=True)
class NewFile:
    """A decoded upload."""

    file_name: str
    content_type: str
    data: bytes


def decode_file(upload: FileIn) -> NewFile:
    """Check and decode an upload: 422 for bad base64, 413 above the size limit."""
    name = upload.file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]  # a path never reaches a download
    if not name:
        raise ApiError(422, "the file name is empty", "VALIDATION_ERROR")
    try:
        data = base64.b64decode(upload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, f"the content of {name!r} is not valid base64", "VALIDATION_ERROR") from None
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ApiError(413, f"{name!r} is {len(data) / 1048576:.1f} MB; files may be at most "
                       f"{MAX_ATTACHMENT_BYTES // 1048576} MB", "FILE_TOO_LARGE",
                       details={"file_name": name, "size": len(data), "limit": MAX_ATTACHMENT_BYTES})
    return NewFile(name, upload_type(upload.content_type, name), data)


def attach(db: Session, owner_kind: str, owner_id: str, files: Iterable[NewFile]) -> list[models.Attachment]:
    rows = [models.Attachment(owner_kind=owner_kind, owner_id=owner_id, file_name=f.file_name,
                              content_type=f.content_type, size=len(f.data), data=f.data) for f in files]
    db.add_all(rows)
    db.flush()
    return rows


def attachments_of(db: Session, owner_kind: str, owner_ids: list[str]) -> dict[str, list[models.Attachment]]:
    """Attachments per owner, without loading their bytes."""
    found: dict[str, list[models.Attachment]] = {i: [] for i in owner_ids}
    if not owner_ids:
        return found
    A = models.Attachment
    query = select(A).options(defer(A.data)).where(A.owner_kind == owner_kind, A.owner_id.in_(owner_ids))
    for row in db.scalars(query.order_by(A.created_at, A.id)):
        found[row.owner_id].append(row)
    return found


def attachment(db: Session, attachment_id: str, user_id: str) -> models.Attachment:
    """A file the caller may download: assignment files for members, submission files for their student and
    the class teacher."""
    # A file the caller may not see gets exactly the answer of one that does not exist.
    row = db.get(models.Attachment, attachment_id)
    try:
        if row is not None and row.owner_kind == "assignment":
            access.visible_assignment(db, row.owner_id, user_id)
            return row
        if row is not None and row.owner_kind == "submission":
            access.visible_submission(db, row.owner_id, user_id)
            return row
    except ApiError:
        pass
    raise not_found("no such file")  # group shares are served by /api/social
