"""Notes and decks shared with a study group, with their files."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import ApiError, not_found
from sync_server.files import upload_type
from sync_server.notify import service as notifications
from sync_server.social import groups

MAX_SHARE_BYTES = 20 * 1024 * 1024


def _decode(content_base64: str) -> bytes:
    if len(content_base64) > (MAX_SHARE_BYTES + 2) // 3 * 4 + 4:
        raise ApiError(413, "the file is larger than 20 MB", "TOO_LARGE")
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "content_base64 is not valid base64", "VALIDATION_ERROR") from None
    if len(data) > MAX_SHARE_BYTES:
        raise ApiError(413, "the file is larger than 20 MB", "TOO_LARGE")
    return data


def create_share(db: Session, me: models.User, group_id: str, kind: str, title: str, text: str,
                 file_name: str | None, content_type: str | None,
                 content_base64: str | None) -> tuple[models.Share, models.Attachment | None]:
    """Share a note (markdown, optionally with a file) or a deck (a file, e.g. .apkg) with the group."""
    group, _ = groups.membership(db, me.id, group_id)
    if content_base64 is not None and not file_name:
        raise ApiError(422, "a file needs a file_name", "VALIDATION_ERROR")
    if kind == "deck" and content_base64 is None:
        raise ApiError(422, "a deck share needs its file (content_base64 and file_name)", "VALIDATION_ERROR")
    if kind == "note" and content_base64 is None and not text.strip():
        raise ApiError(422, "a note share needs text or a file", "VALIDATION_ERROR")
    data = _decode(content_base64) if content_base64 is not None else None
    name = file_name.replace("/", "_").replace("\\", "_") if data is not None else ""  # a name, never a path
    kind_type = upload_type(content_type, name) if data is not None else ""
    share = models.Share(group_id=group_id, author_id=me.id, kind=kind, title=title.strip(), text=text)
    db.add(share)
    db.flush()
    attachment = None
    if data is not None:
        attachment = models.Attachment(owner_kind="share", owner_id=share.id, file_name=name,
                                       content_type=kind_type, size=len(data), data=data)
        db.add(attachment)
        db.flush()
    notifications.push(db, groups.other_members(db, group_id, me.id), "share",
                       f"{me.display_name} shared a {kind} in {group.name}", share.title,
                       data={"group_id": group_id, "share_id": share.id})
    return share, attachment


def file_info(db: Session, share_ids: list[str]) -> dict[str, tuple[str, int, str]]:
    """(file_name, size, content_type) of each share's file, without loading the bytes."""
    if not share_ids:
        return {}
    rows = db.execute(select(models.Attachment.owner_id, models.Attachment.file_name, models.Attachment.size,
                             models.Attachment.content_type).where(models.Attachment.owner_kind == "share",
                                                                   models.Attachment.owner_id.in_(share_ids)))
    return {owner: (name, size, ctype) for owner, name, size, ctype in rows}


def shares(db: Session, user_id: str, group_id: str) -> list[models.Share]:
    """Shares in a group I am in, newest first."""
    groups.membership(db, user_id, group_id)
    return list(db.scalars(select(models.Share).where(models.Share.group_id == group_id)
                           .order_by(models.Share.created_at.desc(), models.Share.id)))


def share_file(db: Session, user_id: str, group_id: str, share_id: str) -> models.Attachment:
    """The file of a share in a group I am in."""
    groups.membership(db, user_id, group_id)
    share = db.get(models.Share, share_id)
    if share is None or share.group_id != group_id:
        raise not_found("no such share")
    attachment = db.scalar(select(models.Attachment).where(models.Attachment.owner_kind == "share",
                                                           models.Attachment.owner_id == share_id))
    if attachment is None:
        raise not_found("this share has no file")
    return attachment
