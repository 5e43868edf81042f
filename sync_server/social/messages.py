"""Messages posted to a study group, paged both ways."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.notify import service as notifications
from sync_server.social import groups

MESSAGE_PREVIEW = 140


def post_message(db: Session, me: models.User, group_id: str, body: str) -> models.Message:
    """Post to a group; every other member gets a notification."""
    group, _ = groups.membership(db, me.id, group_id)
    message = models.Message(group_id=group_id, author_id=me.id, body=body)
    db.add(message)
    db.flush()
    preview = body if len(body) <= MESSAGE_PREVIEW else body[:MESSAGE_PREVIEW - 1] + "…"
    notifications.push(db, groups.other_members(db, group_id, me.id), "message", f"{me.display_name} in {group.name}",
                       preview, data={"group_id": group_id, "message_id": message.id})
    return message


def messages(db: Session, user_id: str, group_id: str, before: int | None, after: int | None,
             limit: int) -> tuple[list[models.Message], int | None, int | None]:
    """A page (newest first, or oldest first after `after`) with next_before/next_after cursors (None: no more)."""
    groups.membership(db, user_id, group_id)
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
