"""create_app(settings): the FastAPI application factory."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import text

from sync_server import __version__, envelope, housekeeping, idempotency, limits, migrate, periodic
from sync_server.auth import router as auth
from sync_server.auth.mail import SmtpResetSender
from sync_server.auth.service import ResetSender, log_reset_sender
from sync_server.classes import reminders
from sync_server.classes import router as classes
from sync_server.db import Database
from sync_server.game import router as game
from sync_server.notify import router as notify
from sync_server.schemas import Envelope
from sync_server.settings import ServerSettings
from sync_server.social import router as social
from sync_server.sync import router as sync

FEATURES = (auth, classes, social, notify, game, sync)
THREADS = 4
MAX_CONCURRENT_REQUESTS = 200  # per worker; beyond it uvicorn answers 503 at once
DUE_SOON_EVERY_S = 300  # due-soon reminders: each worker may sweep, the dedupe keys make a second pass push nothing
HOUSEKEEPING_EVERY_S = 3600  # pruning expired auth rows: each worker may run it, deleting twice is harmless


def _prune(db: Database) -> None:
    """One housekeeping pass in its own transaction."""
    with db.session() as s:
        housekeeping.prune(s)


def _reset_sender(settings: ServerSettings) -> ResetSender:
    """Mail through SMTP_HOST when set; otherwise the server log (development, or an operator passing codes on)."""
    if settings.smtp_host:
        return SmtpResetSender(settings)
    logging.getLogger("sync_server").warning("SMTP_HOST is not set: password-reset codes are written to this log")
    return log_reset_sender


def create_app(settings: ServerSettings, reset_sender: ResetSender | None = None,
               run_migrations: bool = True, background: bool = True) -> FastAPI:
    """Build the server; every piece of state lives in the database, none in the process. The reset sender is
    chosen from the settings unless one is given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Sync routes and the auth check run on anyio's thread pool. No request holds a connection (or SQLite's
        # write lock) from one hop to the next (routes commit on their own thread, get_db does no I/O), so a lock
        # holder never needs a free thread. Few threads: more only contend for the GIL (50 clients, 2 workers,
        # SQLite: 16 threads p99 1.95 s, 10: 1.5 s, 6: 1.0 s, 3: 0.74 s at about the same requests/s).
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        tasks = [periodic.every(DUE_SOON_EVERY_S, lambda: reminders.due_soon_sweep(app.state.db.session),
                                "due-soon sweep"),
                 periodic.every(HOUSEKEEPING_EVERY_S, lambda: _prune(app.state.db), "housekeeping")] \
            if background else []
        yield
        await periodic.stop(tasks)
        if isinstance(app.state.reset_sender, SmtpResetSender):
            await anyio.to_thread.run_sync(app.state.reset_sender.close)  # mails already asked for still leave
        app.state.db.dispose()

    app = FastAPI(title="Little Monster GPA sync server", version=__version__, docs_url="/docs", lifespan=lifespan)
    app.state.settings = settings
    app.state.db = Database(settings.database_url)
    app.state.reset_sender = reset_sender or _reset_sender(settings)
    if run_migrations:
        migrate.upgrade(app.state.db)
    idempotency.install(app)
    limits.install(app, [u for module in FEATURES for u in module.router.uploads])
    envelope.install(app)  # installed last so its request-id middleware runs first
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
                           allow_methods=["*"], allow_headers=["*"])
    for module in FEATURES:
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
