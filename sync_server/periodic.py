"""Periodic work of a server process: every(seconds, work) runs `work` on the thread pool now and then again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("sync_server")


async def _repeat(seconds: float, work: Callable[[], object], name: str) -> None:
    while True:
        try:
            # On the thread pool: the work queries the database, which must not block the event loop.
            await run_in_threadpool(work)
        except Exception:  # the database may be briefly away, or workers raced on a unique key: try again later
            log.exception("%s failed; retrying in %s s", name, seconds)
        await asyncio.sleep(seconds)


def every(seconds: float, work: Callable[[], object], name: str) -> asyncio.Task:
    """A task that runs `work` at once and then every `seconds` until it is cancelled (call from the event loop)."""
    return asyncio.create_task(_repeat(seconds, work, name), name=name)


async def stop(tasks: list[asyncio.Task]) -> None:
    """Cancel the tasks and wait until each has ended."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
