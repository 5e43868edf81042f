"""`lmgpa account|classes|groups|outbox|sync`: the sync-server account, classes, study groups and the outbox."""

from __future__ import annotations

import argparse
import sys

from lmgpa_desktop.cli.common import open_ctx

STORAGE_TEXT = {"keyring": "saved in the system keyring",
                "memory": "no keyring on this system: the sign-in lasts only while this program runs",
                "none": "not saved"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the account, classes, groups, outbox and sync commands."""
    _register_account(sub)
    _register_classes(sub)
    _register_groups(sub)
    p = sub.add_parser("outbox", help="changes waiting to be sent to the server (retry or discard failed ones)")
    p.add_argument("--all", action="store_true", help="include sent items")
    p.add_argument("--retry", type=int, metavar="ID", help="put a failed item back in the queue")
    p.add_argument("--discard", type=int, metavar="ID", help="drop an unsent item")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_outbox)
    p = sub.add_parser("sync", help="send waiting changes, refresh classes, groups, notifications, deadlines, and "
                                    "sync your study data once `lmgpa sync setup` was run")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sync)


def _json_flag(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--json", action="store_true")
    return p


def _register_account(sub) -> None:
    p = sub.add_parser("account", help="sign up, sign in or out of a Little Monster GPA server; devices")
    _json_flag(p).set_defaults(handler=cmd_status)
    a_sub = p.add_subparsers(dest="account_command", metavar="ACTION")
    for name, help_text in (("signup", "create an account on a server and sign in"),
                            ("signin", "sign in to a server")):
        q = a_sub.add_parser(name, help=help_text)
        q.add_argument("--server", default=None, help="server address (default http://127.0.0.1:8400)")
        q.add_argument("--email", required=True)
        q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        if name == "signup":
            q.add_argument("--name", required=True, help="the name others see")
            q.add_argument("--role", choices=["student", "teacher"], default="student")
        _json_flag(q).set_defaults(handler=cmd_signup if name == "signup" else cmd_signin)
    _json_flag(a_sub.add_parser("signout", help="sign this computer out (waiting changes are kept)")) \
        .set_defaults(handler=cmd_signout)
    _json_flag(a_sub.add_parser("status", help="who is signed in, and what is waiting")).set_defaults(
        handler=cmd_status)
    q = a_sub.add_parser("devices", help="signed-in devices (--revoke ID signs one out)")
    q.add_argument("--revoke", metavar="SESSION_ID")
    _json_flag(q).set_defaults(handler=cmd_devices)


def _register_classes(sub) -> None:
    p = sub.add_parser("classes", help="classes: list (default), create, join, assignments, submit")
    _json_flag(p).set_defaults(handler=cmd_classes)
    c_sub = p.add_subparsers(dest="classes_command", metavar="ACTION")
    _json_flag(c_sub.add_parser("list", help="my classes (from this computer's copy)")).set_defaults(
        handler=cmd_classes)
    q = c_sub.add_parser("create", help="create a class (teachers)")
    q.add_argument("name")
    q.add_argument("--subject", default="")
    q.add_argument("--description", default="")
    _json_flag(q).set_defaults(handler=cmd_class_create)
    q = c_sub.add_parser("join", help="join a class with its code")
    q.add_argument("code")
    _json_flag(q).set_defaults(handler=cmd_class_join)
    q = c_sub.add_parser("assignments", help="a class's assignments; --add TITLE sets a new one (teachers)")
    q.add_argument("class_id")
    q.add_argument("--add", metavar="TITLE")
    q.add_argument("--description", default="")
    q.add_argument("--due", help="ISO date or date-time, e.g. 2026-12-03 or 2026-12-03T14:00")
    q.add_argument("--points", type=int, default=100)
    q.add_argument("--attach", action="append", default=[], metavar="FILE")
    _json_flag(q).set_defaults(handler=cmd_assignments)
    q = c_sub.add_parser("submit", help="hand in work for an assignment")
    q.add_argument("assignment_id")
    kind = q.add_mutually_exclusive_group(required=True)
    kind.add_argument("--text")
    kind.add_argument("--file")
    kind.add_argument("--note", help="an exported note (.md)")
    kind.add_argument("--deck", help="an exported deck (.apkg)")
    _json_flag(q).set_defaults(handler=cmd_submit)


def _register_groups(sub) -> None:
    p = sub.add_parser("groups", help="study groups: list (default), create, join, messages, send")
    _json_flag(p).set_defaults(handler=cmd_groups)
    g_sub = p.add_subparsers(dest="groups_command", metavar="ACTION")
    _json_flag(g_sub.add_parser("list", help="my groups")).set_defaults(handler=cmd_groups)
    q = g_sub.add_parser("create", help="start a study group")
    q.add_argument("name")
    q.add_argument("--description", default="")
    _json_flag(q).set_defaults(handler=cmd_group_create)
    q = g_sub.add_parser("join", help="join a group with its invite code")
    q.add_argument("code")
    _json_flag(q).set_defaults(handler=cmd_group_join)
    q = g_sub.add_parser("messages", help="a group's messages (from this computer's copy)")
    q.add_argument("group_id")
    q.add_argument("--limit", type=int, default=50)
    _json_flag(q).set_defaults(handler=cmd_messages)
    q = g_sub.add_parser("send", help="post a message to a group")
    q.add_argument("group_id")
    q.add_argument("body")
    _json_flag(q).set_defaults(handler=cmd_send)


def _service(args):
    from lmgpa_desktop.core.online import service as online

    return online.service(open_ctx(args))


def _state_dict(state) -> dict:
    return {"status": state.status, "server_url": state.server_url, "user": state.user, "message": state.message,
            "token_storage": state.token_storage, "pending": state.pending, "failed": state.failed,
            "last_sync": state.last_sync.isoformat() if state.last_sync else None}


def _print_state(state, as_json: bool) -> None:
    from lmgpa_desktop.cli import print_json

    if as_json:
        print_json(_state_dict(state))
        return
    if state.status == "signed_out":
        print("Not signed in." + (f" (last server: {state.server_url})" if state.server_url else ""))
        return
    user = state.user or {}
    print(f"{user.get('display_name', '?')} <{user.get('email', '?')}> ({user.get('role', '?')}) "
          f"on {state.server_url}")
    print(f"  status: {state.status}" + (f" - {state.message}" if state.message else ""))
    print(f"  sign-in: {STORAGE_TEXT.get(state.token_storage, state.token_storage)}")
    print(f"  waiting to send: {state.pending}, failed: {state.failed}")
    print(f"  last sync: {state.last_sync.astimezone():%a %d %b %H:%M}" if state.last_sync else "  never synced")


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    return getpass.getpass("Password: ")


def cmd_signup(args) -> int:
    """Create an account and sign in."""
    from lmgpa_desktop.core.online.service import DEFAULT_SERVER

    svc = _service(args)
    state = svc.sign_up(args.server or DEFAULT_SERVER, args.email, _password(args), args.name, args.role)
    _print_state(state, args.json)
    return 0


def cmd_signin(args) -> int:
    """Sign in to a server."""
    from lmgpa_desktop.core.online.service import DEFAULT_SERVER

    state = _service(args).sign_in(args.server or DEFAULT_SERVER, args.email, _password(args))
    _print_state(state, args.json)
    return 0


def cmd_signout(args) -> int:
    """Sign out (the cache and outbox stay, hidden until the same account signs in again)."""
    _print_state(_service(args).sign_out(), args.json)
    return 0


def cmd_status(args) -> int:
    """Show the account state."""
    _print_state(_service(args).state(), getattr(args, "json", False))
    return 0


def cmd_devices(args) -> int:
    """List signed-in devices, or sign one out."""
    from lmgpa_desktop.cli import print_json

    svc = _service(args)
    if args.revoke:
        svc.revoke_device(args.revoke)
        print(f"Signed out device {args.revoke}.")
        return 0
    devices = svc.devices()
    if args.json:
        print_json(devices)
        return 0
    for d in devices:
        mark = "  (this computer)" if d.get("current") else ""
        print(f"{d['id']}  {d.get('device_name') or '?':<24} last used {d.get('last_used_at')}{mark}")
    return 0


def _queued(item, as_json: bool) -> int:
    from dataclasses import asdict

    from lmgpa_desktop.cli import print_json

    if as_json:
        print_json(asdict(item))
    else:
        print(f"Queued #{item.id}: {item.summary} (sent with the next `lmgpa sync`)")
    return 0


def cmd_classes(args) -> int:
    """List my classes from the cache."""
    from lmgpa_desktop.cli import print_json

    classes = _service(args).classes()
    if args.json:
        print_json(classes)
        return 0
    for c in classes:
        code = f"  code {c['join_code']}" if c.get("join_code") else ""
        wait = "  (waiting to send)" if c.get("pending") else ""
        print(f"{c['id']}  {c['name']}  [{c.get('my_role') or '?'}]{code}{wait}")
    if not classes:
        print("No classes yet (join one with `lmgpa classes join CODE`).")
    return 0


def cmd_class_create(args) -> int:
    """Queue a new class."""
    return _queued(_service(args).create_class(args.name, args.description, args.subject), args.json)


def cmd_class_join(args) -> int:
    """Queue joining a class."""
    return _queued(_service(args).join_class(args.code), args.json)


def cmd_assignments(args) -> int:
    """List a class's assignments, or queue a new one."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.progress import deadlines

    svc = _service(args)
    if args.add:
        due = deadlines.parse_due(args.due) if args.due else None
        return _queued(svc.create_assignment(args.class_id, args.add, args.description, due, args.points,
                                             args.attach), args.json)
    detail = svc.class_detail(args.class_id)
    if args.json:
        print_json(detail["assignments"])
        return 0
    for a in detail["assignments"]:
        due = f"due {a['due_at']}" if a.get("due_at") else "no due date"
        status = a.get("my_status") or (f"{a.get('submitted_count', 0)} handed in" if a.get("submitted_count")
                                        is not None else "")
        wait = "  (waiting to send)" if a.get("pending") else ""
        print(f"{a['id']}  {a['title']}  ({due}, {a.get('points_possible')} points)  {status}{wait}")
    if not detail["assignments"]:
        print("No assignments.")
    return 0


def cmd_submit(args) -> int:
    """Queue a submission."""
    svc = _service(args)
    if args.text is not None:
        item = svc.submit(args.assignment_id, "text", text=args.text)
    elif args.file:
        item = svc.submit(args.assignment_id, "file", path=args.file)
    elif args.note:
        item = svc.submit(args.assignment_id, "note", path=args.note)
    else:
        item = svc.submit(args.assignment_id, "deck", path=args.deck)
    return _queued(item, args.json)


def cmd_groups(args) -> int:
    """List my study groups from the cache."""
    from lmgpa_desktop.cli import print_json

    groups = _service(args).groups()
    if args.json:
        print_json(groups)
        return 0
    for g in groups:
        code = f"  invite {g['invite_code']}" if g.get("invite_code") and not g.get("pending") else ""
        wait = "  (waiting to send)" if g.get("pending") else ""
        print(f"{g['id']}  {g['name']}{code}{wait}")
    if not groups:
        print("No groups yet (start one with `lmgpa groups create NAME`).")
    return 0


def cmd_group_create(args) -> int:
    """Queue a new group."""
    return _queued(_service(args).create_group(args.name, args.description), args.json)


def cmd_group_join(args) -> int:
    """Queue joining a group."""
    return _queued(_service(args).join_group(args.code), args.json)


def cmd_messages(args) -> int:
    """A group's messages from the cache, oldest first."""
    from lmgpa_desktop.cli import print_json

    msgs = _service(args).messages(args.group_id, limit=max(1, args.limit))
    if args.json:
        print_json(msgs)
        return 0
    for m in msgs:
        wait = "  (waiting to send)" if m.get("pending") else ""
        print(f"[{m.get('created_at')}] {m.get('author_name') or '?'}: {m['body']}{wait}")
    return 0


def cmd_send(args) -> int:
    """Queue a message."""
    return _queued(_service(args).send_message(args.group_id, args.body), args.json)


def cmd_outbox(args) -> int:
    """Show the outbox; retry or discard an item."""
    from dataclasses import asdict

    from lmgpa_desktop.cli import print_json

    svc = _service(args)
    if args.retry is not None:
        svc.retry(args.retry)
    if args.discard is not None:
        svc.discard(args.discard)
    items = svc.outbox(include_sent=args.all)
    if args.json:
        print_json([asdict(i) for i in items])
        return 0
    for i in items:
        err = f"  - {i.error}" if i.error else ""
        print(f"#{i.id}  {i.state:<8} {i.summary}{err}")
    if not items:
        print("Nothing waiting.")
    return 0


def cmd_sync(args) -> int:
    """Run a sync here with a progress bar; 1 when offline or the sign-in ended."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.cli.progress_bar import drive

    svc = _service(args)
    result = drive(svc.sync(), "sync", stream=sys.stderr)
    from lmgpa_desktop.core.sync import service as personal

    mine = personal.last_result(svc.ctx)  # personal sync ran as a section when it is set up
    if args.json:
        print_json({**result, "state": _state_dict(svc.state()), "personal": mine})
    else:
        state = svc.state()
        print(f"{result['status']}: sent {result['sent']}, refused {result['failed']}, "
              f"waiting {result['pending']}, new notifications {result.get('notifications', 0)}")
        if state.message:
            print(state.message)
        for problem in result.get("problems", []):
            print(f"  warning: {problem}")
        if mine is not None:
            print(f"personal study data: {mine['message']}")
    return 0 if result["status"] == "online" and (mine is None or mine["status"] in ("ok", "cancelled")) else 1
