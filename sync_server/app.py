"""create_app(settings): the FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from sync_server import __version__, envelope, idempotency, migrate
from sync_server.db import Database
from sync_server.routers import auth, classes, game, notify, social, sync
from sync_server.schemas import Envelope
from sync_server.services import housekeeping, notifications
from sync_server.services.auth import ResetSender, log_reset_sender
from sync_server.settings import ServerSettings

log = logging.getLogger("sync_server")
THREADS = 4
MAX_CONCURRENT_REQUESTS = 200  # per worker; beyond it uvicorn answers 503 at once


async def _housekeeping(app: FastAPI, every_s: float = 3600) -> None:
    """Prune expired auth rows hourly (each worker may run it; deleting twice is harmless)."""
    def one_pass() -> None:
        with app.state.db.session() as s:
            housekeeping.prune(s)

    while True:
        try:
            await run_in_threadpool(one_pass)
        except Exception:  # the database may be briefly away; try again next hour
            log.exception("housekeeping failed")
        await asyncio.sleep(every_s)


def create_app(settings: ServerSettings, reset_sender: ResetSender = log_reset_sender,
               run_migrations: bool = True, background: bool = True) -> FastAPI:
    """Build the server; every piece of state lives in the database, none in the process."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Sync routes and the auth check run on anyio's thread pool. No request holds a connection (or SQLite's
        # write lock) from one hop to the next (routes commit on their own thread, get_db does no I/O), so a lock
        # holder never needs a free thread. Few threads: more only contend for the GIL (50 clients, 2 workers,
        # SQLite: 16 threads p99 1.95 s, 10: 1.5 s, 6: 1.0 s, 3: 0.74 s at about the same requests/s).
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        tasks = [asyncio.create_task(notifications.sweeper(app)), asyncio.create_task(_housekeeping(app))] \
            if background else []
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        app.state.db.dispose()

    app = FastAPI(title="Little Monster GPA sync server", version=__version__, docs_url="/docs", lifespan=lifespan)
    app.state.settings = settings
    app.state.db = Database(settings.database_url)
    app.state.reset_sender = reset_sender
    if run_migrations:
        migrate.upgrade(app.state.db)
    idempotency.install(app)
    envelope.install(app)  # installed last so its request-id middleware runs first
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
                           allow_methods=["*"], allow_headers=["*"])
    for module in (auth, classes, social, notify, game, sync):
        app.include_router(module.router)

    @app.get("/health", response_model=Envelope[dict])
    def health(request: Request):
        """Liveness and database reachability; reports the version."""
        with app.state.db.session(write=False) as s:
            s.execute(text("SELECT 1"))  # the database answers
        return envelope.wrap(request, {"status": "ok", "version": __version__})

    return app


def factory() -> FastAPI:
    """Entry for `uvicorn --factory` workers: settings from the environment."""
    return create_app(ServerSettings.from_env())
