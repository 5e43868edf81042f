"""create_app(settings): the FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware

from sync_server import __version__, envelope
from sync_server.settings import ServerSettings


def create_app(settings: ServerSettings) -> FastAPI:
    """Build the server; every piece of state lives in the database, none in the process."""
    app = FastAPI(title="Little Monster GPA sync server", version=__version__, docs_url="/docs")
    app.state.settings = settings
    envelope.install(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=True,
                           allow_methods=["*"], allow_headers=["*"])

    @app.get("/health")
    async def health(request: Request):
        """Liveness: the server answers and reports its version."""
        return envelope.ok(request, {"status": "ok", "version": __version__})

    return app


def factory() -> FastAPI:
    """Entry for `uvicorn --factory` workers: settings from the environment."""
    return create_app(ServerSettings.from_env())
