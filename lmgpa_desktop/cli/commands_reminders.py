"""`lmgpa reminders` (what is coming and what arrived) and `lmgpa deadlines` (assignment and exam dates)."""

from __future__ import annotations

import argparse

from lmgpa_desktop.cli.common import open_ctx


def register(sub: argparse._SubParsersAction) -> None:
    """Add the reminders and deadlines commands."""
    p = sub.add_parser("reminders", help="upcoming reminders with their times and the latest notifications")
    p.add_argument("--days", type=int, default=2, help="how far ahead to look (default 2)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reminders)

    p = sub.add_parser("deadlines", help="assignment and exam dates: list (default), add, done")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_deadline_list)
    d_sub = p.add_subparsers(dest="deadline_command", metavar="ACTION")
    q = d_sub.add_parser("list", help="every deadline, soonest first")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_deadline_list)
    q = d_sub.add_parser("add", help="add an assignment or exam date")
    q.add_argument("title")
    q.add_argument("--due", required=True, help="ISO date or date-time, e.g. 2026-12-03 or 2026-12-03T14:00")
    q.add_argument("--kind", choices=["assignment", "exam"], default="assignment")
    q.add_argument("--class", dest="course", help="the class it belongs to (created when new)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_deadline_add)
    q = d_sub.add_parser("done", help="mark a deadline done (its reminders stop)")
    q.add_argument("id", type=int)
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=cmd_deadline_done)


def _deadline_dict(d) -> dict:
    return {"id": d.id, "title": d.title, "kind": d.kind, "due_at": d.due_at.isoformat(),
            "class": d.course_name, "done": d.done}


def _local(at) -> str:
    return at.astimezone().strftime("%a %d %b %H:%M")


def cmd_reminders(args) -> int:
    """Upcoming reminder slots (with when quiet hours let them show) and the centre's recent items."""
    from datetime import timedelta

    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.progress import notifications
    from lmgpa_desktop.core.progress import reminders

    ctx = open_ctx(args)
    ahead = reminders.upcoming(ctx, horizon=timedelta(days=max(0, args.days)))
    recent = notifications.items(ctx, limit=10)
    rules = notifications.policy(ctx)
    if args.json:
        print_json({
            "upcoming": [{"key": u.key, "kind": u.kind, "label": u.label, "at": u.at.isoformat(),
                          "shows_at": u.shows_at.isoformat(), "enabled": u.enabled,
                          "waiting": u.waiting} for u in ahead],
            "notifications": [{"id": n.id, "kind": n.kind, "title": n.title, "body": n.body,
                               "created_at": n.created_at.isoformat(), "unread": n.unread} for n in recent],
            "unread": notifications.unread_count(ctx),
            "quiet_hours": [t.strftime("%H:%M") for t in (rules.quiet_start, rules.quiet_end)]
            if rules.quiet_start else None,
            "daily_cap": rules.daily_cap,
        })
        return 0
    quiet = (f"{rules.quiet_start:%H:%M}-{rules.quiet_end:%H:%M}" if rules.quiet_start else "off")
    print(f"Upcoming reminders (quiet hours {quiet}, at most {rules.daily_cap} a day; each is sent only when "
          "there is something to say):")
    for u in ahead:
        quiet = notifications.quiet_ends_at(rules, u.at) is not None
        held = (f"  (shown {_local(u.shows_at)}, after quiet hours)" if quiet else "") + (
            "  (due: sent at the app's next reminder check)" if u.waiting and not quiet else "")
        off = "  [switched off]" if not u.enabled else ""
        print(f"  {_local(u.at)}  {u.kind:<15} {u.label}{held}{off}")
    if not ahead:
        print("  none")
    print(f"Notifications ({notifications.unread_count(ctx)} unread):")
    for n in recent:
        print(f"  {'*' if n.unread else ' '} {_local(n.created_at)}  {n.title}")
    if not recent:
        print("  none yet")
    return 0


def cmd_deadline_list(args) -> int:
    """Every deadline, soonest first."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.progress import deadlines

    rows = deadlines.listing(open_ctx(args))
    if args.json:
        print_json([_deadline_dict(d) for d in rows])
        return 0
    for d in rows:
        course = f"  [{d.course_name}]" if d.course_name else ""
        print(f"{d.id:>4}  {_local(d.due_at)}  {d.kind:<10} {d.title}{course}{'  (done)' if d.done else ''}")
    if not rows:
        print("no deadlines yet; add one with: lmgpa deadlines add TITLE --due 2026-12-03T14:00")
    return 0


def cmd_deadline_add(args) -> int:
    """Add a deadline and print it."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.progress import deadlines
    from lmgpa_desktop.core.progress import notifications

    ctx = open_ctx(args)
    row = deadlines.add(ctx, args.title, deadlines.parse_due(args.due, notifications.student_tz(ctx)), args.kind,
                        args.course)
    if args.json:
        print_json(_deadline_dict(row))
    else:
        print(f"{row.id}  {_local(row.due_at)}  {row.kind}  {row.title}")
    return 0


def cmd_deadline_done(args) -> int:
    """Mark a deadline done."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.progress import deadlines

    row = deadlines.set_done(open_ctx(args), args.id)
    if args.json:
        print_json(_deadline_dict(row))
    else:
        print(f"{row.id}  done: {row.title}")
    return 0
