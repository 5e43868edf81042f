"""/api/social: connections, study groups with invite codes, group messages and shared notes/decks."""

from __future__ import annotations

from fastapi import Query, Request
from fastapi.responses import Response

from sync_server import models
from sync_server.auth.deps import CurrentCaller
from sync_server.deps import DB, Router
from sync_server.envelope import wrap
from sync_server.files import file_response
from sync_server.limits import UPLOAD
from sync_server.schemas import ERRORS, Done, Envelope, PathId, PersonPublic
from sync_server.social import connections, groups, messages, shares
from sync_server.social import schemas as s

MAX_ID = 2**31 - 1  # ids are INTEGER columns: PostgreSQL refuses larger values (a 500), so they are a 422
router = Router(prefix="/api/social", tags=["social"], responses=ERRORS)


def _me(db, caller) -> models.User:
    return caller.in_session(db)


def _person(user: models.User) -> PersonPublic:
    return PersonPublic.model_validate(user)


def _connection(row: models.Connection, people: dict[str, models.User], me: str) -> dict:
    other = row.addressee_id if row.requester_id == me else row.requester_id
    return s.ConnectionPublic(id=row.id, status=row.status, requester=_person(people[row.requester_id]),
                              addressee=_person(people[row.addressee_id]), other=_person(people[other]),
                              created_at=row.created_at, responded_at=row.responded_at).model_dump(mode="json")


def _one_connection(db, row: models.Connection, me: str) -> dict:
    return _connection(row, connections.people(db, {row.requester_id, row.addressee_id}), me)


def _group(group: models.StudyGroup, role: str, count: int) -> s.GroupPublic:
    return s.GroupPublic(id=group.id, name=group.name, description=group.description, owner_id=group.owner_id,
                         invite_code=group.invite_code, my_role=role, member_count=count, created_at=group.created_at)


def _members(rows) -> list[s.MemberPublic]:
    return [s.MemberPublic(id=u.id, display_name=u.display_name, role=m.role, joined_at=m.joined_at) for m, u in rows]


def _detail(db, group: models.StudyGroup, user_id: str) -> dict:
    rows = groups.members(db, user_id, group.id)
    role = next(m.role for m, u in rows if u.id == user_id)
    return s.GroupDetailPublic(**_group(group, role, len(rows)).model_dump(), members=_members(rows)) \
        .model_dump(mode="json")


def _message(row: models.Message, names: dict[str, models.User]) -> dict:
    author = names.get(row.author_id)
    return s.MessagePublic(id=row.id, group_id=row.group_id, author_id=row.author_id,
                           author_name=author.display_name if author else "", body=row.body,
                           created_at=row.created_at).model_dump(mode="json")


def _share(row: models.Share, names: dict[str, models.User], files: dict) -> dict:
    name, size, ctype = files.get(row.id, (None, None, None))
    author = names.get(row.author_id)
    return s.SharePublic(id=row.id, group_id=row.group_id, author_id=row.author_id,
                         author_name=author.display_name if author else "", kind=row.kind, title=row.title,
                         text=row.text, file_name=name, file_size=size, content_type=ctype,
                         created_at=row.created_at).model_dump(mode="json")


# --- connections ---

@router.post("/connections", status_code=201, response_model=Envelope[s.ConnectionPublic])
def request_connection(body: s.ConnectionCreate, request: Request, db: DB, caller: CurrentCaller):
    """Ask someone (by email) to connect; if they already asked you, you are connected at once."""
    row = connections.request_connection(db, _me(db, caller), body.email)
    return wrap(request, _one_connection(db, row, caller.id))


@router.get("/connections", response_model=Envelope[s.ConnectionsPublic])
def list_connections(request: Request, db: DB, caller: CurrentCaller):
    """People I am connected to, requests to me and my pending requests."""
    by_kind = connections.connections(db, caller.id)
    ids = {u for rows in by_kind.values() for r in rows for u in (r.requester_id, r.addressee_id)}
    people = connections.people(db, ids)
    return wrap(request, {key: [_connection(r, people, caller.id) for r in rows] for key, rows in by_kind.items()})


@router.post("/connections/{connection_id}/accept", response_model=Envelope[s.ConnectionPublic])
def accept_connection(connection_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """Accept a request addressed to me."""
    row = connections.accept_connection(db, _me(db, caller), connection_id)
    return wrap(request, _one_connection(db, row, caller.id))


@router.post("/connections/{connection_id}/decline", response_model=Envelope[s.ConnectionPublic])
def decline_connection(connection_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """Decline a request addressed to me."""
    row = connections.decline_connection(db, _me(db, caller), connection_id)
    return wrap(request, _one_connection(db, row, caller.id))


@router.delete("/connections/{connection_id}", response_model=Envelope[Done])
def remove_connection(connection_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """Remove a connection or withdraw my pending request."""
    connections.remove_connection(db, _me(db, caller), connection_id)
    return wrap(request, {"done": True})


# --- groups ---

@router.post("/groups", status_code=201, response_model=Envelope[s.GroupDetailPublic])
def create_group(body: s.GroupCreate, request: Request, db: DB, caller: CurrentCaller):
    """Create a study group; you own it and get its invite code."""
    group = groups.create_group(db, _me(db, caller), body.name, body.description)
    return wrap(request, _detail(db, group, caller.id))


@router.get("/groups", response_model=Envelope[list[s.GroupPublic]])
def list_groups(request: Request, db: DB, caller: CurrentCaller):
    """Groups I am in."""
    rows = groups.my_groups(db, caller.id)
    counts = groups.member_counts(db, [g.id for g, _ in rows])
    return wrap(request, [_group(g, m.role, counts.get(g.id, 0)).model_dump(mode="json") for g, m in rows])


@router.post("/groups/join", response_model=Envelope[s.GroupDetailPublic])
def join_group(body: s.GroupJoin, request: Request, db: DB, caller: CurrentCaller):
    """Join a group with its invite code (joining again changes nothing)."""
    group = groups.join_group(db, _me(db, caller), body.invite_code)
    return wrap(request, _detail(db, group, caller.id))


@router.get("/groups/{group_id}", response_model=Envelope[s.GroupDetailPublic])
def get_group(group_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """A group I am in, with its members."""
    group, _ = groups.membership(db, caller.id, group_id)
    return wrap(request, _detail(db, group, caller.id))


@router.patch("/groups/{group_id}", response_model=Envelope[s.GroupDetailPublic])
def update_group(group_id: PathId, body: s.GroupUpdate, request: Request, db: DB, caller: CurrentCaller):
    """Rename or describe a group (owner)."""
    group = groups.update_group(db, caller.id, group_id, body.name, body.description)
    return wrap(request, _detail(db, group, caller.id))


@router.delete("/groups/{group_id}", response_model=Envelope[Done])
def delete_group(group_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """Delete a group with its messages and shares (owner)."""
    groups.delete_group(db, caller.id, group_id)
    return wrap(request, {"done": True})


@router.get("/groups/{group_id}/members", response_model=Envelope[list[s.MemberPublic]])
def list_members(group_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """The members of a group I am in."""
    return wrap(request, [m.model_dump(mode="json") for m in _members(groups.members(db, caller.id, group_id))])


@router.delete("/groups/{group_id}/members/{user_id}", response_model=Envelope[Done])
def remove_member(group_id: PathId, user_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """The owner removes a member, or you leave (your own id); an owner with others must hand over first."""
    groups.remove_member(db, caller.id, group_id, user_id)
    return wrap(request, {"done": True})


@router.post("/groups/{group_id}/owner", response_model=Envelope[s.GroupDetailPublic])
def transfer_owner(group_id: PathId, body: s.OwnerTransfer, request: Request, db: DB, caller: CurrentCaller):
    """Hand the group to another member (owner)."""
    group = groups.transfer_owner(db, caller.id, group_id, body.user_id)
    return wrap(request, _detail(db, group, caller.id))


@router.post("/groups/{group_id}/invite-code/reset", response_model=Envelope[s.GroupDetailPublic])
def reset_invite_code(group_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """A new invite code; the old one stops working (owner)."""
    group = groups.reset_code(db, caller.id, group_id)
    return wrap(request, _detail(db, group, caller.id))


# --- messages ---

@router.post("/groups/{group_id}/messages", status_code=201, response_model=Envelope[s.MessagePublic])
def post_message(group_id: PathId, body: s.MessageCreate, request: Request, db: DB, caller: CurrentCaller):
    """Post a message to a group I am in."""
    me = _me(db, caller)
    row = messages.post_message(db, me, group_id, body.body)
    return wrap(request, _message(row, {me.id: me}))


@router.get("/groups/{group_id}/messages", response_model=Envelope[s.MessagePage])
def list_messages(group_id: PathId, request: Request, db: DB, caller: CurrentCaller,
                  before: int | None = Query(None, ge=0, le=MAX_ID),
                  after: int | None = Query(None, ge=0, le=MAX_ID), limit: int = Query(50, ge=1, le=200)):
    """Messages newest first (older pages with `before`), or oldest first after `after` to catch up."""
    rows, next_before, next_after = messages.messages(db, caller.id, group_id, before, after, limit)
    names = connections.people(db, {r.author_id for r in rows})
    return wrap(request, {"items": [_message(r, names) for r in rows], "next_before": next_before,
                          "next_after": next_after})


# --- shares ---

@router.post("/groups/{group_id}/shares", status_code=201, response_model=Envelope[s.SharePublic],
             openapi_extra=UPLOAD)
def create_share(group_id: PathId, body: s.ShareCreate, request: Request, db: DB, caller: CurrentCaller):
    """Share a note (markdown) or a deck file (e.g. .apkg, up to 20 MB) with a group."""
    me = _me(db, caller)
    share, attachment = shares.create_share(db, me, group_id, body.kind, body.title, body.text, body.file_name,
                                            body.content_type, body.content_base64)
    files = {share.id: (attachment.file_name, attachment.size, attachment.content_type)} if attachment else {}
    return wrap(request, _share(share, {me.id: me}, files))


@router.get("/groups/{group_id}/shares", response_model=Envelope[list[s.SharePublic]])
def list_shares(group_id: PathId, request: Request, db: DB, caller: CurrentCaller):
    """Notes and decks shared in a group I am in, newest first."""
    rows = shares.shares(db, caller.id, group_id)
    names = connections.people(db, {r.author_id for r in rows})
    files = shares.file_info(db, [r.id for r in rows])
    return wrap(request, [_share(r, names, files) for r in rows])


@router.get("/groups/{group_id}/shares/{share_id}/file", response_class=Response,
            responses={200: {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "the file's bytes, with its stored content type"}})
def share_file(group_id: PathId, share_id: PathId, db: DB, caller: CurrentCaller):
    """The bytes of a shared file."""
    attachment = shares.share_file(db, caller.id, group_id, share_id)
    return file_response(attachment.data, attachment.file_name, attachment.content_type)
