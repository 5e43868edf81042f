"""Reading the offline cache (no network), with the unsent outbox items merged in."""

from __future__ import annotations

from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.online.base import OnlineBase
from lmgpa_desktop.storage import online_repo
from lmgpa_desktop.storage.online_repo import OutboxRow


class CacheMixin(OnlineBase):
    """Cache reads: plain dicts, pending objects drawn from the outbox at read time."""

    def _ops(self, key: str) -> list[tuple[OutboxRow, dict]]:
        """(item, operation) of every unsent item, in queue order."""
        out = []
        for row in online_repo.items(self.db, key, states=online_repo.UNSENT):
            for op in (row.optimistic or {}).get("ops", []):
                out.append((row, op))
        return out

    def _merged(self, key: str, kind: str, parent_id: str | None, base: list[dict], id_field: str = "id"
                ) -> list[dict]:
        """Cached objects with the unsent items applied: patches and hides on them, pending additions last."""
        objects = [{**o, "pending": False} for o in base]
        by_id = {str(o.get(id_field)): o for o in objects}
        added = []
        for _row, op in self._ops(key):
            if op.get("kind") != kind:
                continue
            oid = str(op.get("object_id"))
            if op["op"] == "add" and (parent_id is None or op.get("parent_id") == parent_id):
                added.append({**op["data"], "pending": True})
            elif op["op"] == "patch" and oid in by_id:
                by_id[oid].update(op["data"])
                by_id[oid]["pending"] = True
            elif op["op"] == "hide":
                objects = [o for o in objects if str(o.get(id_field)) != oid]
                added = [o for o in added if str(o.get(id_field)) != oid]
        return objects + added

    def classes(self) -> list[dict]:
        """My classes: {id, name, description, subject, my_role, member_count, student_count, join_code (the
        teacher's only), teacher {id, display_name, role}, pending}; a pending join knows only its code, so its
        teacher and counts are None until it is sent."""
        key = self._key()
        if key is None:
            return []
        return self._merged(key, "class", None, online_repo.listing(self.db, key, "class"))

    def class_detail(self, class_id: str) -> dict:
        """{"class": {...}, "roster": [{id, display_name, role, email?}], "assignments": [{id, class_id, title,
        description, due_at, points_possible, my_status?, my_points?, submitted_count?, graded_count?, pending}]}."""
        key = self._key()
        if key is None:
            raise UserError("sign in to see your classes")
        cid = self._resolve(key, class_id)
        found = next((c for c in self.classes() if str(c["id"]) in (cid, str(class_id))), None)
        if found is None:
            raise UserError(f"there is no class {class_id} in your classes")
        roster = (online_repo.get(self.db, key, "roster", cid) or {}).get("items", [])
        base = online_repo.listing(self.db, key, "assignment", parent_id=cid)
        assignments = self._merged(key, "assignment", cid, base)
        if cid != str(class_id):  # created offline and sent since: pending items may still name the local id
            assignments += self._merged(key, "assignment", str(class_id), [])
        return {"class": found, "roster": roster, "assignments": assignments}

    def submissions(self, assignment_id: str) -> list[dict]:
        """Submissions I may see: {id, assignment_id, student, version, kind, text, late, created_at, points,
        feedback, graded_at, pending}."""
        key = self._key()
        if key is None:
            return []
        aid = self._resolve(key, assignment_id)
        base = online_repo.listing(self.db, key, "submission", parent_id=aid)
        return self._merged(key, "submission", aid, base)

    def grades(self, class_id: str) -> dict:
        """The class grades as the server sent them ({assignments, rows}: a teacher's grid or a student's own row);
        {} when never synced."""
        key = self._key()
        if key is None:
            return {}
        return online_repo.get(self.db, key, "grades", self._resolve(key, class_id)) or {}

    def groups(self) -> list[dict]:
        """My study groups: {id, name, description, invite_code, my_role, member_count, pending}."""
        key = self._key()
        if key is None:
            return []
        return self._merged(key, "group", None, online_repo.listing(self.db, key, "group"))

    def group_detail(self, group_id: str) -> dict:
        """{"group": {...}, "members": [{id, display_name, role, joined_at}], "shares": [{id, kind, title, text,
        file_name, author_name, created_at, pending}]}."""
        key = self._key()
        if key is None:
            raise UserError("sign in to see your groups")
        gid = self._resolve(key, group_id)
        found = next((g for g in self.groups() if str(g["id"]) in (gid, str(group_id))), None)
        if found is None:
            raise UserError(f"there is no group {group_id} in your groups")
        members = (online_repo.get(self.db, key, "members", gid) or {}).get("items", [])
        shares = self._merged(key, "share", gid, online_repo.listing(self.db, key, "share", parent_id=gid))
        return {"group": found, "members": members, "shares": shares}

    def messages(self, group_id: str, limit: int = 200) -> list[dict]:
        """The newest messages, oldest first, pending ones last: {id, group_id, author_id, author_name, body,
        created_at, pending}."""
        key = self._key()
        if key is None:
            return []
        gid = self._resolve(key, group_id)
        base = list(reversed(online_repo.listing(self.db, key, "message", parent_id=gid, limit=limit,
                                                 newest_first=True)))
        merged = self._merged(key, "message", gid, base)
        if gid != str(group_id):
            merged += self._merged(key, "message", str(group_id), [])
        return merged

    def connections(self) -> dict:
        """{"connections": [...], "incoming": [...], "outgoing": [...]} as last synced (each {id, status, other:
        {id, display_name, role}, ...}), with unsent requests, answers and removals applied."""
        key = self._key()
        if key is None:
            return {"connections": [], "incoming": [], "outgoing": []}
        data = online_repo.get(self.db, key, "connections", "me") or {}
        lists = {name: [{**c, "pending": False} for c in data.get(name, [])]
                 for name in ("connections", "incoming", "outgoing")}
        for row, op in self._ops(key):
            if op.get("kind") != "connection":
                continue
            oid = str(op.get("object_id"))
            if op["op"] == "add":
                lists["outgoing"].append({**op["data"], "pending": True})
            elif op["op"] in ("accept", "hide"):
                moved = [c for items in lists.values() for c in items if str(c["id"]) == oid]
                lists = {name: [c for c in items if str(c["id"]) != oid] for name, items in lists.items()}
                if op["op"] == "accept":
                    lists["connections"] += [{**c, "status": "accepted", "pending": True} for c in moved]
        return lists

    def leaderboard(self, scope: str, class_id: str | None = None) -> dict:
        """A weekly ranking from the cache (scope "class" or "connections"): {scope, class_id, week_start,
        opted_in, rows: [{rank, user_id, display_name, points, me}]}; {} when never synced."""
        key = self._key()
        if key is None:
            return {}
        if scope == "class":
            if not class_id:
                raise UserError("choose a class for the class leaderboard")
            return online_repo.get(self.db, key, "leaderboard", f"class:{self._resolve(key, class_id)}") or {}
        if scope == "connections":
            return online_repo.get(self.db, key, "leaderboard", "connections") or {}
        raise UserError("the leaderboard scope is class or connections")

    def notifications_pulled(self) -> int:
        """How many server notifications were merged into the notification centre."""
        a = online_repo.account(self.db)
        return a.notifications_pulled if a is not None else 0
