"""Request body caps: 413 on every route above MAX_BODY_BYTES, MAX_UPLOAD_BYTES (or the route's own cap) on the
routes that take files."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.requests import Request
from starlette.routing import compile_path

from sync_server.envelope import error

# openapi_extra of a route whose body carries files (base64 in JSON): it gets the larger upload cap (deps.Router
# lists such routes).
UPLOAD = {"x-upload": True}


def upload_cap(limit: int) -> dict:
    """openapi_extra of a route with its own body cap in bytes (raw chunks, message batches)."""
    return {"x-upload": limit}


def _too_large(request: Request, limit: int):
    return error(request, 413, f"the request body is larger than {limit} bytes", code="TOO_LARGE",
                 details={"limit": limit})


class BodyLimitMiddleware:
    """Plain ASGI: a declared Content-Length over the cap is refused before anything runs; a body that grows past
    it while streaming (chunked) is cut off by Starlette's own limiter, which the route sees as a 413."""

    def __init__(self, app, uploads: list[tuple[str, str, int | None]]):
        self.app = app
        self._limited: dict[int, RequestBodyLimitMiddleware] = {}
        self._uploads = [(method, compile_path(path)[0], cap) for method, path, cap in uploads]

    def _limit(self, scope, settings) -> int:
        """The route's own cap, MAX_UPLOAD_BYTES on other upload routes, else MAX_BODY_BYTES."""
        for method, pattern, cap in self._uploads:
            if method == scope["method"] and pattern.fullmatch(scope["path"]):
                return settings.max_upload_bytes if cap is None else cap
        return settings.max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope, scope["app"].state.settings)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(Request(scope), limit)(scope, receive, send)
            return
        limited = self._limited.get(limit)
        if limited is None:
            limited = self._limited[limit] = RequestBodyLimitMiddleware(self.app, max_body_size=limit)
        await limited(scope, receive, send)


def install(app: FastAPI, uploads: list[tuple[str, str, int | None]]) -> None:
    """Add the middleware (outside the idempotency store, so a refused body is never claimed or stored); `uploads`:
    (method, path template, own cap or None) of the routes that take files, as listed by sync_server.deps.Router."""
    app.add_middleware(BodyLimitMiddleware, uploads=uploads)
