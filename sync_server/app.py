"""create_app(settings): the FastAPI application factory."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware

from sync_server import __version__, envelope, idempotency, migrate
from sync_server.db import Database
from sync_server.routers import auth, classes, game, notify, social, sync
from sync_server.schemas import Envelope
from sync_server.services.auth import ResetSender, log_reset_sender
from sync_server.settings import ServerSettings


def create_app(settings: ServerSettings, reset_sender: ResetSender = log_reset_sender,
               run_migrations: bool = True) -> FastAPI:
    """Build the server; every piece of state lives in the database, none in the process."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
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
        return envelope.wrap(request, {"status": "ok", "version": __version__, "database": migrate.current(app.state.db)})

    return app


def factory() -> FastAPI:
    """Entry for `uvicorn --factory` workers: settings from the environment."""
    return create_app(ServerSettings.from_env())
