"""Study groups: invite codes, membership, ownership."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_server import codes, models
from sync_server.errors import ApiError, forbidden, not_found
from sync_server.notify import service as notifications


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


def other_members(db: Session, group_id: str, user_id: str) -> list[str]:
    """Everyone in the group but this user (who hears of a new message or share)."""
    return list(db.scalars(select(models.GroupMember.user_id).where(models.GroupMember.group_id == group_id,
                                                                    models.GroupMember.user_id != user_id)))
