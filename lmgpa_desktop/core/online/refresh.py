"""The cache refresh sections of a sync: account, classes, groups and messages, connections, class deadlines,
weekly points and leaderboards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from lmgpa_desktop.core.progress import notifications
from lmgpa_desktop.core.online.base import MESSAGE_PAGE, OnlineBase, _message_key, _now, parse_server_time
from lmgpa_desktop.remote.api_client import ApiClient
from lmgpa_desktop.storage import gamification_repo, library_repo, online_repo
from lmgpa_desktop.storage.online_repo import AccountRow


class RefreshMixin(OnlineBase):
    """Each section reads from the server and replaces its part of the cache."""

    def _refresh_account(self, a: AccountRow, client: ApiClient) -> None:
        user = client.request("GET", "/api/auth/me")
        online_repo.update_account(self.db, user=user)

    def _refresh_classes(self, a: AccountRow, client: ApiClient) -> None:
        classes = client.request("GET", "/api/classes")
        online_repo.replace(self.db, a.key, "class",
                            [(str(c["id"]), c, str(c.get("created_at") or "")) for c in classes])
        ids = [str(c["id"]) for c in classes]
        rosters, grades = [], []
        for c in classes:
            cid = str(c["id"])
            rosters.append((cid, {"items": client.request("GET", f"/api/classes/{cid}/roster")}, ""))
            assignments = client.request("GET", f"/api/classes/{cid}/assignments")
            online_repo.replace(self.db, a.key, "assignment",
                                [(str(x["id"]), x, str(x.get("created_at") or "")) for x in assignments],
                                parent_id=cid)
            for x in assignments:
                subs = client.request("GET", f"/api/classes/assignments/{x['id']}/submissions")
                online_repo.replace(self.db, a.key, "submission",
                                    [(str(s["id"]), s, str(s.get("created_at") or "")) for s in subs],
                                    parent_id=str(x["id"]))
            grades.append((cid, client.request("GET", f"/api/classes/{cid}/grades"), ""))
        online_repo.replace(self.db, a.key, "roster", rosters)
        online_repo.replace(self.db, a.key, "grades", grades)
        # Classes I left (or that were deleted) take their assignments and submissions with them.
        online_repo.forget(self.db, a.key, "assignment", keep_parents=ids)
        kept = [str(x["id"]) for x in online_repo.listing(self.db, a.key, "assignment")]
        online_repo.forget(self.db, a.key, "submission", keep_parents=kept)

    def _refresh_groups(self, a: AccountRow, client: ApiClient) -> None:
        groups = client.request("GET", "/api/social/groups")
        online_repo.replace(self.db, a.key, "group", [(str(g["id"]), g, str(g.get("created_at") or ""))
                                                      for g in groups])
        ids = [str(g["id"]) for g in groups]
        members = []
        for g in groups:
            gid = str(g["id"])
            detail = client.request("GET", f"/api/social/groups/{gid}")
            members.append((gid, {"items": detail.get("members", [])}, ""))
            shares = client.request("GET", f"/api/social/groups/{gid}/shares")
            online_repo.replace(self.db, a.key, "share", [(str(s["id"]), s, str(s.get("created_at") or ""))
                                                          for s in shares], parent_id=gid)
            self._refresh_messages(a, client, gid)
        online_repo.replace(self.db, a.key, "members", members)
        for kind in ("share", "message", "message_cursor"):
            online_repo.forget(self.db, a.key, kind, keep_parents=ids)

    def _refresh_messages(self, a: AccountRow, client: ApiClient, gid: str) -> None:
        # The cursor is the newest message a refresh saw, not the newest cached: a message this computer just
        # sent is cached at once and may be newer than others' messages not fetched yet.
        cursor = (online_repo.get(self.db, a.key, "message_cursor", gid) or {}).get("after")
        if cursor is None:  # first time: the newest page is enough to show the conversation
            page = client.get(f"/api/social/groups/{gid}/messages", limit=MESSAGE_PAGE)
            items = page.get("items", [])
        else:
            items, after = [], int(cursor)
            while True:  # catch up oldest first
                page = client.get(f"/api/social/groups/{gid}/messages", after=after, limit=MESSAGE_PAGE)
                batch = page.get("items", [])
                items += batch
                if len(batch) < MESSAGE_PAGE or not batch:
                    break
                after = max(int(m["id"]) for m in batch)
        online_repo.replace(self.db, a.key, "message", [(str(m["id"]), m, _message_key(m["id"])) for m in items],
                            parent_id=gid, keep_others=True)
        newest = max([int(m["id"]) for m in items] + [int(cursor or 0)])
        online_repo.put(self.db, a.key, "message_cursor", gid, {"after": newest}, gid)

    def _refresh_connections(self, a: AccountRow, client: ApiClient) -> None:
        online_repo.put(self.db, a.key, "connections", "me", client.request("GET", "/api/social/connections"))

    def _refresh_deadlines(self, a: AccountRow, client: ApiClient) -> None:
        """Assignments with a due date in classes I take become local deadlines (course = class name), so the
        existing reminders cover them (a teacher's own assignments are not their deadlines)."""
        names = {str(c["id"]): c.get("name") or "" for c in online_repo.listing(self.db, a.key, "class")
                 if c.get("my_role") != "teacher"}
        keep = []
        for x in online_repo.listing(self.db, a.key, "assignment"):
            due = parse_server_time(x.get("due_at"))
            cid = str(x.get("class_id"))
            if due is None or cid not in names:
                continue
            course = library_repo.course_named(self.db, names[cid]).id if names[cid].strip() else None
            online_repo.upsert_deadline(self.db, str(x["id"]), x.get("title") or "assignment", due, course)
            keep.append(str(x["id"]))
        online_repo.drop_deadlines_except(self.db, keep)

    def _push_points(self, a: AccountRow, client: ApiClient) -> None:
        monday, points = self.week_points()
        # An absolute weekly total (last write wins), so resending it is harmless and needs no Idempotency-Key.
        client.request("POST", "/api/game/points", json={"week_start": monday.isoformat(), "points": points})

    def week_points(self, now: datetime | None = None) -> tuple[date, int]:
        """This week's Monday and the points earned since then (in the student's time zone)."""
        zone = notifications.student_tz(self.ctx)
        local = (now or _now()).astimezone(zone)
        monday = local.date() - timedelta(days=local.weekday())
        start = datetime.combine(monday, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        return monday, max(0, sum(gamification_repo.points_by_rule(self.db, start, None).values()))

    def _refresh_leaderboards(self, a: AccountRow, client: ApiClient) -> None:
        boards = []
        for c in online_repo.listing(self.db, a.key, "class"):
            boards.append((f"class:{c['id']}", client.request("GET", f"/api/game/leaderboards/class/{c['id']}"), ""))
        boards.append(("connections", client.request("GET", "/api/game/leaderboards/connections"), ""))
        online_repo.replace(self.db, a.key, "leaderboard", boards)
