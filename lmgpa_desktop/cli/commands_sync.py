"""`lmgpa sync status|conflicts|resolve|setup|passphrase|recover|forget-device|delete-server-data`: personal sync."""

# `lmgpa sync` itself (commands_online) runs the online sync, which includes personal sync once it is set up;
# these actions hang under the same command.

from __future__ import annotations

import argparse
import sys

from lmgpa_desktop.cli.common import open_ctx


def register(sub: argparse._SubParsersAction) -> None:
    """Add the personal-sync actions under `lmgpa sync` (made by commands_online, or here when it is absent)."""
    p = sub.choices.get("sync") or sub.add_parser("sync", help="sync your study data across your devices")
    s_sub = p.add_subparsers(dest="sync_command", metavar="ACTION")
    _json(s_sub.add_parser("status", help="whether personal sync is set up, what waits, conflicts, last sync")) \
        .set_defaults(handler=cmd_status)
    q = _json(s_sub.add_parser("conflicts", help="texts two devices changed at once (resolve them)"))
    q.add_argument("--all", action="store_true", help="include resolved ones")
    q.set_defaults(handler=cmd_conflicts)
    q = s_sub.add_parser("resolve", help="keep the current text, the other device's, or both")
    q.add_argument("conflict_id", type=int, metavar="ID")
    q.add_argument("keep", choices=("current", "other", "both"))
    q.set_defaults(handler=cmd_resolve)
    q = _json(s_sub.add_parser("setup", help="set up sync on this device with your sync passphrase (asked, or read "
                                              "from standard input when it is not a terminal), then sync"))
    q.add_argument("--no-sync", action="store_true", help="set up only; sync later")
    q.set_defaults(handler=cmd_setup)
    s_sub.add_parser("passphrase", help="change the sync passphrase (your devices stay set up)") \
        .set_defaults(handler=cmd_passphrase)
    q = s_sub.add_parser("recover", help="forgot the passphrase: use the recovery key and choose a new passphrase")
    q.set_defaults(handler=cmd_recover)
    s_sub.add_parser("forget-device", help="stop syncing on this device (its data stays here)") \
        .set_defaults(handler=cmd_forget)
    q = _json(s_sub.add_parser("delete-server-data", help="delete your synced data and key from the server"))
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    q.set_defaults(handler=cmd_delete)


def _json(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--json", action="store_true")
    return p


def _secret(prompt: str) -> str:
    """A passphrase: one line of standard input when it is not a terminal, else typed without echo."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    return getpass.getpass(prompt)


def _new_secret(prompt: str) -> str:
    """A new passphrase, typed twice on a terminal."""
    first = _secret(prompt)
    if sys.stdin.isatty() and _secret("Type it again: ") != first:
        raise ValueError("the two passphrases differ; nothing was changed")
    return first


def _status_lines(s: dict) -> list[str]:
    if not s["enabled"]:
        return [f"Personal sync is off on this device ({s['device']}). Set it up with `lmgpa sync setup`."]
    account = s.get("account") or {}
    lines = [f"Personal sync is on for {account.get('email', '?')} at {account.get('server_url', '?')} "
             f"(this device: {s['device']}).",
             f"  last sync: {s['last_sync'] or 'never'}",
             f"  waiting to send: {s['waiting']} change(s); files waiting: {s['media_waiting']}",
             f"  conflicts to look at: {s['conflicts']}"]
    if s.get("message"):
        lines.append(f"  {s['message']}")
    return lines


def cmd_status(args) -> int:
    """Print the personal-sync status."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.sync import service

    s = service.status(open_ctx(args))
    if args.json:
        print_json(s)
    else:
        print("\n".join(_status_lines(s)))
    return 0


def cmd_conflicts(args) -> int:
    """List conflicts, newest first."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.sync import service

    rows = service.conflicts(open_ctx(args), include_resolved=args.all)
    if getattr(args, "json", False):
        print_json(rows)
        return 0
    for c in rows:
        done = f"  (resolved {c['resolved_at']})" if c.get("resolved_at") else ""
        print(f"#{c['id']}  {c['table']} {c['field']} of {c.get('title') or c['row_uuid']}{done}")
        print(f"    kept:  {_short(c.get('kept_value'))}")
        print(f"    other: {_short(c.get('lost_value'))}  (from device {c.get('lost_device')})")
    if not rows:
        print("No conflicts.")
    return 0


def _short(text) -> str:
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= 70 else flat[:69] + "…"


def cmd_resolve(args) -> int:
    """Resolve one conflict."""
    from lmgpa_desktop.core.sync import service

    service.resolve(open_ctx(args), args.conflict_id, args.keep)
    print(f"Conflict #{args.conflict_id} resolved: kept {args.keep}.")
    return 0


def cmd_setup(args) -> int:
    """Set up personal sync here, then run the first sync with a progress bar."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.sync import service

    ctx = open_ctx(args)
    result = service.setup(ctx, _secret("Sync passphrase: "), first_sync=False)
    if not args.no_sync:
        result["sync"] = _run_sync(ctx)
    if args.json:
        print_json(result)
        return 0
    if result["created"]:
        print("Sync is set up: this is your first device.")
        print(f"Your recovery key (write it down now; it is shown only this once): {result['recovery_key']}")
    else:
        print("Sync is set up: this device joined your other devices.")
    print(f"{result['merged']} item(s) of this device's data are merged with theirs.")
    if result.get("sync"):
        print(result["sync"]["message"])
    return 0


def _run_sync(ctx) -> dict:
    from lmgpa_desktop.cli.progress_bar import drive
    from lmgpa_desktop.core.sync import service

    return drive(service.sync_now(ctx), "sync", stream=sys.stderr)


def cmd_passphrase(args) -> int:
    """Change the sync passphrase."""
    from lmgpa_desktop.core.sync import service

    service.change_passphrase(open_ctx(args), _new_secret("New sync passphrase: "))
    print("Sync passphrase changed. Your recovery key still works.")
    return 0


def cmd_recover(args) -> int:
    """Open the sync key with the recovery key and choose a new passphrase (two lines on standard input)."""
    from lmgpa_desktop.core.sync import service

    recovery = _secret("Recovery key: ")
    result = service.recover(open_ctx(args), recovery, _new_secret("New sync passphrase: "))
    print(f"Sync key recovered and wrapped with the new passphrase; {result['merged']} item(s) merged.")
    return 0


def cmd_forget(args) -> int:
    """Stop syncing here."""
    from lmgpa_desktop.core.sync import service

    service.forget_this_device(open_ctx(args))
    print("This device no longer syncs; its data stays here.")
    return 0


def cmd_delete(args) -> int:
    """Delete the synced data from the server (asks first on a terminal)."""
    from lmgpa_desktop.cli import print_json
    from lmgpa_desktop.core.sync import service

    if not args.yes:
        if not sys.stdin.isatty():
            raise ValueError("add --yes to delete your synced data from the server")
        answer = input("Delete every synced change and file from the server? Your devices keep their data. "
                       "Type yes: ")
        if answer.strip().lower() != "yes":
            print("Nothing deleted.")
            return 1
    deleted = service.delete_server_data(open_ctx(args))
    if args.json:
        print_json(deleted)
    else:
        print(f"Deleted {deleted.get('messages', 0)} synced change(s) and {deleted.get('blobs', 0)} file(s) from "
              "the server. Sync is off on this device.")
    return 0
