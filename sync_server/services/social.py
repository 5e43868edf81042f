"""Connections between people, study groups with invite codes, group messages and shared notes/decks."""

from __future__ import annotations

import base64
import binascii
import mimetypes

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import ApiError, forbidden, not_found
from sync_server.models import utcnow
from sync_server.services import codes, notifications

MAX_SHARE_BYTES = 20 * 1024 * 1024
MESSAGE_PREVIEW = 140


# --- people ---

def _user(db: Session, user_id: str) -> models.User:
    user = db.get(models.User, user_id)
    if user is None:
        raise not_found("no such person")
    return user


def people(db: Session, user_ids: set[str]) -> dict[str, models.User]:
    """Users by id, in one query."""
    if not user_ids:
        return {}
    return {u.id: u for u in db.scalars(select(models.User).where(models.User.id.in_(user_ids)))}


# --- connections ---

def _between(db: Session, a: str, b: str) -> list[models.Connection]:
    return list(db.scalars(select(models.Connection).where(or_(
        (models.Connection.requester_id == a) & (models.Connection.addressee_id == b),
        (models.Connection.requester_id == b) & (models.Connection.addressee_id == a)))))


def request_connection(db: Session, me: models.User, email: str) -> models.Connection:
    """Ask someone to connect; if they already asked me, that request is accepted instead."""
    other = db.scalar(select(models.User).where(models.User.email == email.strip().lower(),
                                                models.User.is_active.is_(True)))
    if other is None:
        raise not_found("no account with that email")
    if other.id == me.id:
        raise ApiError(422, "you cannot connect to yourself", "VALIDATION_ERROR")
    rows = _between(db, me.id, other.id)
    if any(r.status == "accepted" for r in rows):
        raise ApiError(409, "you are already connected", "CONFLICT")
    mine = next((r for r in rows if r.requester_id == me.id), None)
    theirs = next((r for r in rows if r.requester_id == other.id), None)
    if mine is not None and mine.status == "pending":
        raise ApiError(409, "you already asked this person; wait for their answer", "CONFLICT")
    if theirs is not None and theirs.status == "pending":
        return _accept(db, theirs, me)
    if mine is not None:  # declined before: asking again reopens the same row (one row per direction)
        mine.status, mine.created_at, mine.responded_at = "pending", utcnow(), None
        row = mine
    else:
        row = models.Connection(requester_id=me.id, addressee_id=other.id)
        db.add(row)
        try:
            db.flush()
        except IntegrityError:  # a concurrent identical request won the race
            raise ApiError(409, "you already asked this person; wait for their answer", "CONFLICT") from None
    notifications.push(db, [other.id], "request", f"{me.display_name} wants to connect",
                       data={"connection_id": row.id, "user_id": me.id})
    db.flush()
    return row


def _accept(db: Session, row: models.Connection, me: models.User) -> models.Connection:
    row.status, row.responded_at = "accepted", utcnow()
    notifications.push(db, [row.requester_id], "connection", f"{me.display_name} accepted your connection request",
                       data={"connection_id": row.id, "user_id": me.id})
    db.flush()
    return row


def _connection_of(db: Session, user_id: str, connection_id: str) -> models.Connection:
    row = db.get(models.Connection, connection_id)
    if row is None or user_id not in (row.requester_id, row.addressee_id):
        raise not_found("no such connection")
    return row


def _pending_to_me(db: Session, user_id: str, connection_id: str) -> models.Connection:
    row = _connection_of(db, user_id, connection_id)
    # Only the addressee answers; to the requester their own pending request is not something to accept.
    if row.addressee_id != user_id or row.status != "pending":
        raise not_found("no such connection request")
    return row


def accept_connection(db: Session, me: models.User, connection_id: str) -> models.Connection:
    """Accept a pending request addressed to me."""
    return _accept(db, _pending_to_me(db, me.id, connection_id), me)


def decline_connection(db: Session, me: models.User, connection_id: str) -> models.Connection:
    """Decline a pending request addressed to me (the requester is not told)."""
    row = _pending_to_me(db, me.id, connection_id)
    row.status, row.responded_at = "declined", utcnow()
    db.flush()
    return row


def remove_connection(db: Session, me: models.User, connection_id: str) -> None:
    """Either side removes a connection or withdraws a pending request."""
    row = _connection_of(db, me.id, connection_id)
    if row.status == "declined" and row.requester_id == me.id:
        raise not_found("no such connection")  # a declined request is invisible to its requester
    db.delete(row)
    db.flush()


def connections(db: Session, user_id: str) -> dict[str, list[models.Connection]]:
    """Accepted connections, requests to me and my requests, newest first."""
    rows = list(db.scalars(select(models.Connection).where(or_(
        models.Connection.requester_id == user_id, models.Connection.addressee_id == user_id))
        .order_by(models.Connection.created_at.desc())))
    return {
        "connections": [r for r in rows if r.status == "accepted"],
        "incoming": [r for r in rows if r.status == "pending" and r.addressee_id == user_id],
        "outgoing": [r for r in rows if r.status == "pending" and r.requester_id == user_id],
    }


def connected_ids(db: Session, user_id: str) -> list[str]:
    """Ids of the people I am connected to."""
    rows = db.execute(select(models.Connection.requester_id, models.Connection.addressee_id).where(
        models.Connection.status == "accepted",
        or_(models.Connection.requester_id == user_id, models.Connection.addressee_id == user_id)))
    return [b if a == user_id else a for a, b in rows]


# --- groups ---

def _unique_code(db: Session) -> str:
    return codes.unique(db, models.StudyGroup.invite_code, "invite code")


def membership(db: Session, user_id: str, group_id: str) -> tuple[models.StudyGroup, models.GroupMember]:
    """The group and my membership; 404 when I am not in it (its existence is not revealed)."""
    member = db.get(models.GroupMember, (group_id, user_id))
    group = db.get(models.StudyGroup, group_id) if member is not None else None
    if member is None or group is None:
        raise not_found("no such group")
    return group, member


def _owned(db: Session, user_id: str, group_id: str) -> models.StudyGroup:
    group, member = membership(db, user_id, group_id)
    if member.role != "owner":
        raise forbidden("only the group owner can do this")
    return group


def member_counts(db: Session, group_ids: list[str]) -> dict[str, int]:
    """Members per group."""
    if not group_ids:
        return {}
    rows = db.execute(select(models.GroupMember.group_id, func.count()).where(
        models.GroupMember.group_id.in_(group_ids)).group_by(models.GroupMember.group_id))
    return {gid: n for gid, n in rows}


def create_group(db: Session, me: models.User, name: str, description: str) -> models.StudyGroup:
    """A new group owned by me."""
    group = models.StudyGroup(name=name.strip(), description=description, owner_id=me.id, invite_code=_unique_code(db))
    db.add(group)
    db.flush()
    db.add(models.GroupMember(group_id=group.id, user_id=me.id, role="owner"))
    db.flush()
    return group


def my_groups(db: Session, user_id: str) -> list[tuple[models.StudyGroup, models.GroupMember]]:
    """Groups I am in, with my membership, newest first."""
    rows = db.execute(select(models.StudyGroup, models.GroupMember).join(
        models.GroupMember, models.GroupMember.group_id == models.StudyGroup.id).where(
        models.GroupMember.user_id == user_id).order_by(models.StudyGroup.created_at.desc()))
    return [(g, m) for g, m in rows]


def members(db: Session, user_id: str, group_id: str) -> list[tuple[models.GroupMember, models.User]]:
    """The members of a group I am in, owner first."""
    membership(db, user_id, group_id)
    rows = db.execute(select(models.GroupMember, models.User).join(
        models.User, models.User.id == models.GroupMember.user_id).where(models.GroupMember.group_id == group_id)
        .order_by(models.GroupMember.role.desc(), models.GroupMember.joined_at))  # descending: "owner" before "member"
    return [(m, u) for m, u in rows]


def update_group(db: Session, user_id: str, group_id: str, name: str | None,
                 description: str | None) -> models.StudyGroup:
    """Rename or describe a group (owner)."""
    group = _owned(db, user_id, group_id)
    if name is not None:
        group.name = name.strip()
    if description is not None:
        group.description = description
    db.flush()
    return group


def delete_group(db: Session, user_id: str, group_id: str) -> None:
    """Delete a group with its messages, shares and their files (owner)."""
    _owned(db, user_id, group_id)
    share_ids = select(models.Share.id).where(models.Share.group_id == group_id)
    db.execute(delete(models.Attachment).where(models.Attachment.owner_kind == "share",
                                               models.Attachment.owner_id.in_(share_ids)))
    for table in (models.Share, models.Message, models.GroupMember):
        db.execute(delete(table).where(table.group_id == group_id))
    db.execute(delete(models.StudyGroup).where(models.StudyGroup.id == group_id))


def join_group(db: Session, me: models.User, invite_code: str) -> models.StudyGroup:
    """Join by invite code; joining a group I am already in changes nothing."""
    group = db.scalar(select(models.StudyGroup).where(models.StudyGroup.invite_code == codes.normal(invite_code)))
    if group is None:
        raise not_found("no group with that invite code; check the code with the person who shared it")
    if db.get(models.GroupMember, (group.id, me.id)) is None:
        db.add(models.GroupMember(group_id=group.id, user_id=me.id, role="member"))
        try:
            db.flush()
        except IntegrityError:  # the same person joined twice at once: already a member
            db.rollback()
            return join_group(db, me, invite_code)
        notifications.push(db, [group.owner_id], "group", f"{me.display_name} joined {group.name}",
                           data={"group_id": group.id, "user_id": me.id})
    return group


def reset_code(db: Session, user_id: str, group_id: str) -> models.StudyGroup:
    """A new invite code; the old one stops working (owner)."""
    group = _owned(db, user_id, group_id)
    group.invite_code = _unique_code(db)
    db.flush()
    return group


def remove_member(db: Session, user_id: str, group_id: str, target_id: str) -> bool:
    """The owner removes someone, or a member leaves; returns True when the group was deleted (last one out)."""
    _, me = membership(db, user_id, group_id)
    target = db.get(models.GroupMember, (group_id, target_id))
    if target is None:
        raise not_found("that person is not in this group")
    if target_id != user_id and me.role != "owner":
        raise forbidden("only the group owner can remove other members")
    if target.role == "owner":
        others = db.scalar(select(func.count()).where(models.GroupMember.group_id == group_id,
                                                      models.GroupMember.user_id != target_id))
        if others:
            raise ApiError(409, "hand the group to another member first (POST /groups/{id}/owner)",
                           "OWNER_MUST_TRANSFER")
        delete_group(db, user_id, group_id)  # the owner was alone: the group goes with them
        return True
    db.delete(target)
    db.flush()
    return False


def transfer_owner(db: Session, user_id: str, group_id: str, new_owner_id: str) -> models.StudyGroup:
    """Make another member the owner; the old owner stays as a member (owner)."""
    group = _owned(db, user_id, group_id)
    target = db.get(models.GroupMember, (group_id, new_owner_id))
    if target is None:
        raise not_found("that person is not in this group")
    if new_owner_id != user_id:
        db.get(models.GroupMember, (group_id, user_id)).role = "member"
        target.role = "owner"
        group.owner_id = new_owner_id
        db.flush()
    return group


def _other_members(db: Session, group_id: str, user_id: str) -> list[str]:
    return list(db.scalars(select(models.GroupMember.user_id).where(models.GroupMember.group_id == group_id,
                                                                    models.GroupMember.user_id != user_id)))


# --- messages ---

def post_message(db: Session, me: models.User, group_id: str, body: str) -> models.Message:
    """Post to a group; every other member gets a notification."""
    group, _ = membership(db, me.id, group_id)
    message = models.Message(group_id=group_id, author_id=me.id, body=body)
    db.add(message)
    db.flush()
    preview = body if len(body) <= MESSAGE_PREVIEW else body[:MESSAGE_PREVIEW - 1] + "…"
    notifications.push(db, _other_members(db, group_id, me.id), "message", f"{me.display_name} in {group.name}",
                       preview, data={"group_id": group_id, "message_id": message.id})
    return message


def messages(db: Session, user_id: str, group_id: str, before: int | None, after: int | None,
             limit: int) -> tuple[list[models.Message], int | None, int | None]:
    """A page (newest first, or oldest first after `after`) with next_before/next_after cursors (None: no more)."""
    membership(db, user_id, group_id)
    query = select(models.Message).where(models.Message.group_id == group_id)
    if before is not None:
        query = query.where(models.Message.id < before)
    if after is not None:
        query = query.where(models.Message.id > after)
    ascending = after is not None
    order = models.Message.id.asc() if ascending else models.Message.id.desc()
    rows = list(db.scalars(query.order_by(order).limit(limit + 1)))  # one extra row tells whether more remain
    more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        return rows, None, None
    oldest = min(r.id for r in rows)
    newest = max(r.id for r in rows)
    older = (more if not ascending else db.scalar(select(models.Message.id).where(
        models.Message.group_id == group_id, models.Message.id < oldest).limit(1)) is not None)
    return rows, (oldest if older else None), (newest if ascending and more else None)


# --- shares ---

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
    group, _ = membership(db, me.id, group_id)
    if content_base64 is not None and not file_name:
        raise ApiError(422, "a file needs a file_name", "VALIDATION_ERROR")
    if kind == "deck" and content_base64 is None:
        raise ApiError(422, "a deck share needs its file (content_base64 and file_name)", "VALIDATION_ERROR")
    if kind == "note" and content_base64 is None and not text.strip():
        raise ApiError(422, "a note share needs text or a file", "VALIDATION_ERROR")
    data = _decode(content_base64) if content_base64 is not None else None
    share = models.Share(group_id=group_id, author_id=me.id, kind=kind, title=title.strip(), text=text)
    db.add(share)
    db.flush()
    attachment = None
    if data is not None:
        name = file_name.replace("/", "_").replace("\\", "_")  # a name, never a path
        kind_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachment = models.Attachment(owner_kind="share", owner_id=share.id, file_name=name,
                                       content_type=kind_type, size=len(data), data=data)
        db.add(attachment)
        db.flush()
    notifications.push(db, _other_members(db, group_id, me.id), "share",
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
    membership(db, user_id, group_id)
    return list(db.scalars(select(models.Share).where(models.Share.group_id == group_id)
                           .order_by(models.Share.created_at.desc(), models.Share.id)))


def share_file(db: Session, user_id: str, group_id: str, share_id: str) -> models.Attachment:
    """The file of a share in a group I am in."""
    membership(db, user_id, group_id)
    share = db.get(models.Share, share_id)
    if share is None or share.group_id != group_id:
        raise not_found("no such share")
    attachment = db.scalar(select(models.Attachment).where(models.Attachment.owner_kind == "share",
                                                           models.Attachment.owner_id == share_id))
    if attachment is None:
        raise not_found("this share has no file")
    return attachment
