"""The student's account on a sync server: sign-in, an offline cache of shared data, an outbox, and sync."""

# Offline is normal: every action is written to the outbox first (with a uuid request id the server uses
# as its Idempotency-Key) and shown in the cache at once, marked pending; sync() sends the outbox in order
# and then refreshes the cache. Cache reads never touch the network.
#
# Cache objects are plain dicts: the server's public fields (ids are strings, message ids ints) plus
# "pending" (True for something created here and not yet sent; its "id" is then a local id "local-<uuid>").
# Pending objects are not stored in the cache: they are drawn from the unsent outbox items' "optimistic"
# operations at read time, so a failed or discarded item disappears from the cache by itself.
#
# This module is the entry point; the parts of the service live in online_*.py as mixins of Online.

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import TYPE_CHECKING

from lmgpa_desktop.core.jobs import JobRun, job_kind
from lmgpa_desktop.core.online.account import AccountMixin
from lmgpa_desktop.core.online.actions import ActionsMixin
from lmgpa_desktop.core.online.base import (
    DEFAULT_SERVER,
    EXPIRED_MESSAGE,
    LOCAL_ID,
    LOCAL_PREFIX,
    MESSAGE_PAGE,
    SHARE_KINDS,
    SUBMISSION_KINDS,
    AccountState,
    OutboxItem,
    parse_server_time,
    unreachable_message,
)
from lmgpa_desktop.core.online.cache import CacheMixin
from lmgpa_desktop.core.online.server_notifications import NotificationsMixin
from lmgpa_desktop.core.online.refresh import RefreshMixin
from lmgpa_desktop.core.online.sync import SyncMixin
from lmgpa_desktop.core.job_progress import Progress

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

__all__ = ["DEFAULT_SERVER", "EXPIRED_MESSAGE", "LOCAL_ID", "LOCAL_PREFIX", "MESSAGE_PAGE", "SHARE_KINDS",
           "SUBMISSION_KINDS", "AccountState", "Online", "OutboxItem", "parse_server_time", "service", "sync_job",
           "unreachable_message"]


class Online(AccountMixin, CacheMixin, ActionsMixin, SyncMixin, RefreshMixin, NotificationsMixin):
    """One profile's online features; get it with service(ctx)."""


# The default queue: a queue of its own would need this module in core/jobs.JOB_MODULES before the workers start.
@job_kind("sync", queue="default", max_attempts=1)
def sync_job(run: JobRun, params: dict) -> Generator[Progress, None, dict]:
    """The background job that runs a sync (the UI's "Sync now" and the periodic sync)."""
    return (yield from service(run.services).sync(run.cancel_event))


_services_lock = threading.Lock()  # two threads asking at once still get the same service


def service(ctx: AppContext) -> Online:
    """The Online service of this profile (one per AppContext, kept in ctx.online)."""
    with _services_lock:
        if ctx.online is None:
            ctx.online = Online(ctx)
        return ctx.online
