"""People and the connections between them: requests, answers, removal."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_server import models
from sync_server.errors import ApiError, not_found
from sync_server.models import utcnow
from sync_server.notify import service as notifications


def people(db: Session, user_ids: set[str]) -> dict[str, models.User]:
    """Users by id, in one query."""
    if not user_ids:
        return {}
    return {u.id: u for u in db.scalars(select(models.User).where(models.User.id.in_(user_ids)))}


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
