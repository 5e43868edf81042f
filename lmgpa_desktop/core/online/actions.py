"""Queued actions (each an outbox item shown in the cache at once), the outbox itself, and file downloads."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from pathlib import Path

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.online.base import (
    SHARE_KINDS,
    SUBMISSION_KINDS,
    OnlineBase,
    OutboxItem,
    _file,
    _iso,
    _item,
    _local_id,
    _now,
)
from lmgpa_desktop.storage import online_repo
from lmgpa_desktop.storage.online_repo import AccountRow, OutboxRow


class ActionsMixin(OnlineBase):
    """Writes to the server: queued here, sent in order by a sync."""

    def _me(self, a: AccountRow) -> dict:
        user = a.user or {}
        return {"id": user.get("id", ""), "display_name": user.get("display_name", ""), "role": user.get("role", "")}

    def _queue(self, action: str, summary: str, method: str, path: str, body: dict | None = None,
               local_id: str | None = None, ops: list[dict] | None = None) -> OutboxItem:
        a = self._require()
        row = online_repo.add_item(self.db, a.key, str(uuid.uuid4()), action, summary, method, path, body,
                                   local_id, {"ops": ops or []})
        self._changed()
        return _item(row)

    def create_class(self, name: str, description: str = "", subject: str = "") -> OutboxItem:
        """Create a class (teachers)."""
        a = self._require()
        name = name.strip()
        if not name:
            raise UserError("a class needs a name")
        if (a.user or {}).get("role") not in ("teacher", "admin"):
            raise UserError("only teachers can create classes; students join one with its code")
        local = _local_id()
        data = {"id": local, "name": name, "description": description, "subject": subject, "archived": False,
                "created_at": _iso(_now()), "teacher": self._me(a), "my_role": "teacher", "member_count": 1,
                "student_count": 0, "join_code": None}
        return self._queue("create_class", f"create class {name}", "POST", "/api/classes",
                           {"name": name, "description": description, "subject": subject}, local,
                           [{"op": "add", "kind": "class", "object_id": local, "parent_id": None, "data": data}])

    def join_class(self, code: str) -> OutboxItem:
        """Join a class by its code."""
        code = code.strip()
        if not code:
            raise UserError("type the class code your teacher gave you")
        local = _local_id()
        data = {"id": local, "name": f"class with code {code}", "description": "", "subject": "", "archived": False,
                "created_at": _iso(_now()), "teacher": None, "my_role": "student", "member_count": None,
                "student_count": None, "join_code": None}
        return self._queue("join_class", f"join class with code {code}", "POST", "/api/classes/join",
                           {"join_code": code}, local,
                           [{"op": "add", "kind": "class", "object_id": local, "parent_id": None, "data": data}])

    def create_assignment(self, class_id: str, title: str, description: str = "", due_at: datetime | None = None,
                          points_possible: int = 100, attachment_paths=()) -> OutboxItem:
        """Post an assignment to a class (teachers; files are read now so they travel with the item)."""
        a = self._require()
        title = title.strip()
        if not title:
            raise UserError("an assignment needs a title")
        cid = self._resolve(a.key, class_id)
        files = [_file(p) for p in attachment_paths]
        local = _local_id()
        body = {"title": title, "description": description, "due_at": _iso(due_at),
                "points_possible": int(points_possible), "attachments": files}
        data = {"id": local, "class_id": cid, "title": title, "description": description, "due_at": _iso(due_at),
                "points_possible": int(points_possible), "created_at": _iso(_now()),
                "attachments": [{"id": None, "file_name": f["file_name"], "content_type": f["content_type"],
                                 "size": len(base64.b64decode(f["content_base64"]))} for f in files]}
        return self._queue("create_assignment", f"new assignment {title}", "POST",
                           f"/api/classes/{cid}/assignments", body, local,
                           [{"op": "add", "kind": "assignment", "object_id": local, "parent_id": cid, "data": data}])

    def submit(self, assignment_id: str, kind: str, text: str = "", path=None) -> OutboxItem:
        """Hand in work: kind text, file, note (an exported .md) or deck (an exported .apkg)."""
        a = self._require()
        if kind not in SUBMISSION_KINDS:
            raise UserError(f"a submission is one of {', '.join(SUBMISSION_KINDS)}")
        if kind == "text" and not text.strip():
            raise UserError("write something to hand in")
        if kind in ("file", "deck") and path is None:
            raise UserError(f"choose the {kind} file to hand in")
        aid = self._resolve(a.key, assignment_id)
        body: dict = {"kind": kind, "text": text}
        if path is not None:
            body.update(_file(path))
        local = _local_id()
        data = {"id": local, "assignment_id": aid, "student": self._me(a), "version": None, "kind": kind,
                "text": text, "attachment_ids": [], "attachments": [], "late": False, "created_at": _iso(_now()),
                "points": None, "feedback": "", "graded_at": None}
        name = body.get("file_name") or kind
        return self._queue("submit", f"hand in {name}", "POST", f"/api/classes/assignments/{aid}/submissions", body,
                           local, [{"op": "add", "kind": "submission", "object_id": local, "parent_id": aid,
                                    "data": data},
                                   {"op": "patch", "kind": "assignment", "object_id": aid,
                                    "data": {"my_status": "submitted"}}])

    def grade(self, submission_id: str, points: float, feedback: str = "") -> OutboxItem:
        """Grade a submission (teachers)."""
        a = self._require()
        sid = self._resolve(a.key, submission_id)
        if points < 0:
            raise UserError("points cannot be negative")
        return self._queue("grade", f"grade {points:g} points", "POST", f"/api/classes/submissions/{sid}/grade",
                           {"points": points, "feedback": feedback}, None,
                           [{"op": "patch", "kind": "submission", "object_id": sid,
                             "data": {"points": points, "feedback": feedback, "graded_at": _iso(_now())}}])

    def create_group(self, name: str, description: str = "") -> OutboxItem:
        """Start a study group."""
        a = self._require()
        name = name.strip()
        if not name:
            raise UserError("a group needs a name")
        local = _local_id()
        data = {"id": local, "name": name, "description": description, "owner_id": self._me(a)["id"],
                "invite_code": "", "my_role": "owner", "member_count": 1, "created_at": _iso(_now())}
        return self._queue("create_group", f"create group {name}", "POST", "/api/social/groups",
                           {"name": name, "description": description}, local,
                           [{"op": "add", "kind": "group", "object_id": local, "parent_id": None, "data": data}])

    def join_group(self, code: str) -> OutboxItem:
        """Join a study group by its invite code."""
        code = code.strip()
        if not code:
            raise UserError("type the group's invite code")
        local = _local_id()
        data = {"id": local, "name": f"group with code {code}", "description": "", "owner_id": "",
                "invite_code": code, "my_role": "member", "member_count": None, "created_at": _iso(_now())}
        return self._queue("join_group", f"join group with code {code}", "POST", "/api/social/groups/join",
                           {"invite_code": code}, local,
                           [{"op": "add", "kind": "group", "object_id": local, "parent_id": None, "data": data}])

    def leave_group(self, group_id: str) -> OutboxItem:
        """Leave a study group."""
        a = self._require()
        gid = self._resolve(a.key, group_id)
        me = self._me(a)["id"]
        return self._queue("leave_group", "leave group", "DELETE", f"/api/social/groups/{gid}/members/{me}", None,
                           None, [{"op": "hide", "kind": "group", "object_id": gid}])

    def send_message(self, group_id: str, body: str) -> OutboxItem:
        """Post a message to a group."""
        a = self._require()
        text = body.strip()
        if not text:
            raise UserError("the message is empty")
        if len(text) > 4000:
            raise UserError("a message can be at most 4000 characters")
        gid = self._resolve(a.key, group_id)
        me = self._me(a)
        local = _local_id()
        data = {"id": local, "group_id": gid, "author_id": me["id"], "author_name": me["display_name"], "body": text,
                "created_at": _iso(_now())}
        return self._queue("send_message", f"message: {text[:60]}", "POST", f"/api/social/groups/{gid}/messages",
                           {"body": text}, local,
                           [{"op": "add", "kind": "message", "object_id": local, "parent_id": gid, "data": data}])

    def share_to_group(self, group_id: str, kind: str, title: str, text: str = "", path=None) -> OutboxItem:
        """Share a note (markdown text or an .md file) or a deck (.apkg file) with a group."""
        a = self._require()
        if kind not in SHARE_KINDS:
            raise UserError("you can share a note or a deck")
        title = title.strip()
        if not title:
            raise UserError("a share needs a title")
        if kind == "deck" and path is None:
            raise UserError("choose the exported deck (.apkg) to share")
        gid = self._resolve(a.key, group_id)
        body: dict = {"kind": kind, "title": title, "text": text}
        if path is not None:
            body.update(_file(path))
        me = self._me(a)
        local = _local_id()
        data = {"id": local, "group_id": gid, "author_id": me["id"], "author_name": me["display_name"], "kind": kind,
                "title": title, "text": text, "file_name": body.get("file_name"), "file_size": None,
                "content_type": body.get("content_type"), "created_at": _iso(_now())}
        return self._queue("share", f"share {kind} {title}", "POST", f"/api/social/groups/{gid}/shares", body, local,
                           [{"op": "add", "kind": "share", "object_id": local, "parent_id": gid, "data": data}])

    def request_connection(self, email: str) -> OutboxItem:
        """Ask someone (by email) to connect."""
        email = email.strip()
        if "@" not in email:
            raise UserError("type the email address of the person you want to connect with")
        local = _local_id()
        data = {"id": local, "status": "pending", "requester": None, "addressee": None,
                "other": {"id": "", "display_name": email, "role": ""}, "created_at": _iso(_now()),
                "responded_at": None}
        return self._queue("request_connection", f"connect with {email}", "POST", "/api/social/connections",
                           {"email": email}, local,
                           [{"op": "add", "kind": "connection", "object_id": local, "data": data}])

    def answer_connection(self, connection_id: str, accept: bool) -> OutboxItem:
        """Accept or decline an incoming request."""
        a = self._require()
        cid = self._resolve(a.key, connection_id)
        verb = "accept" if accept else "decline"
        return self._queue(f"{verb}_connection", f"{verb} connection request", "POST",
                           f"/api/social/connections/{cid}/{verb}", None, None,
                           [{"op": "accept" if accept else "hide", "kind": "connection", "object_id": cid}])

    def remove_connection(self, connection_id: str) -> OutboxItem:
        """Remove a connection or cancel a request."""
        a = self._require()
        cid = self._resolve(a.key, connection_id)
        return self._queue("remove_connection", "remove connection", "DELETE", f"/api/social/connections/{cid}",
                           None, None, [{"op": "hide", "kind": "connection", "object_id": cid}])

    # -- files (network) ---------------------------------------------------------------------------------------
    def download_attachment(self, attachment_id: str, target) -> Path:
        """Save an assignment or submission file to target (a file path, or a folder to keep its name in)."""
        key = self._require().key
        names = {str(f.get("id")): f.get("file_name") for kind in ("assignment", "submission")
                 for obj in online_repo.listing(self.db, key, kind) for f in obj.get("attachments") or []}
        return _write(target, self.attachment_file(attachment_id),
                      names.get(str(attachment_id)) or f"attachment-{attachment_id}")

    def attachment_file(self, attachment_id: str) -> bytes:
        """The bytes of an assignment or submission file (network)."""
        return self._call(lambda c: c.raw(f"/api/classes/attachments/{attachment_id}"))

    def share_file(self, group_id: str, share_id: str) -> bytes:
        """The bytes of a file shared in a group, e.g. an .apkg deck (network)."""
        gid = self._resolve(self._require().key, group_id)
        return self._call(lambda c: c.raw(f"/api/social/groups/{gid}/shares/{share_id}/file"))

    def download_share(self, group_id: str, share_id: str, target) -> Path:
        """Save a file shared in a group to target (a file path, or a folder to keep its name in)."""
        share = online_repo.get(self.db, self._require().key, "share", str(share_id)) or {}
        return _write(target, self.share_file(group_id, share_id), share.get("file_name") or f"share-{share_id}")

    # -- outbox ------------------------------------------------------------------------------------------------
    def outbox(self, include_sent: bool = False) -> list[OutboxItem]:
        """Queued writes, oldest first (sent ones only when asked)."""
        key = self._key()
        if key is None:
            return []
        return [_item(r) for r in online_repo.items(self.db, key, include_sent=include_sent)]

    def _own_item(self, item_id: int) -> OutboxRow:
        key = self._require().key
        row = online_repo.item(self.db, item_id)
        if row is None or row.account != key:
            raise UserError(f"there is no outbox item {item_id}")
        return row

    def retry(self, item_id: int) -> OutboxItem:
        """Put a failed item back in the queue (it keeps its place and its request id)."""
        row = self._own_item(item_id)
        if row.state != "failed":
            raise UserError(f"outbox item {item_id} is {row.state}, not failed")
        online_repo.mark(self.db, item_id, "pending", "")
        self._changed()
        return _item(online_repo.item(self.db, item_id))

    def discard(self, item_id: int) -> None:
        """Drop an unsent item (and its optimistic cache entry)."""
        row = self._own_item(item_id)
        if row.state == "sent":
            raise UserError(f"outbox item {item_id} was already sent")
        online_repo.delete_item(self.db, item_id)
        self._changed()


def _write(target, data: bytes, name: str) -> Path:
    """Write downloaded bytes to a file, or into a folder under the file's own name."""
    path = Path(target)
    if path.is_dir():
        path = path / Path(name).name
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"cannot save {path}: {exc.strerror or exc}") from exc
    return path
