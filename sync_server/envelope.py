"""The seed's response envelope: success, data, error{code, message, details}, meta{timestamp, request_id}."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

CODES = {400: "INVALID_INPUT", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
         409: "CONFLICT", 422: "VALIDATION_ERROR", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR", 503: "UNAVAILABLE"}


def meta(request: Request) -> dict:
    """Timestamp and request id for every response."""
    return {"timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "request_id": getattr(request.state, "request_id", None)}


def ok(request: Request, data: object, status: int = 200) -> JSONResponse:
    """A success envelope."""
    return JSONResponse({"success": True, "data": data, "meta": meta(request)}, status_code=status)


def error(request: Request, status: int, message: str, code: str | None = None, details: object = None,
          headers: dict | None = None) -> JSONResponse:
    """An error envelope."""
    body = {"success": False, "error": {"code": code or CODES.get(status, "ERROR"), "message": message,
                                        "details": details}, "meta": meta(request)}
    return JSONResponse(body, status_code=status, headers=headers)


class RequestIdMiddleware:
    """Plain ASGI (BaseHTTPMiddleware costs milliseconds a request): a request id in state and in the response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode("latin-1")[:100]
        rid = given if given.isprintable() and given else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = rid
        target = (scope.get("raw_path") or scope["path"].encode("utf-8", "replace")) + b"?" + scope.get("query_string", b"")
        if b"%00" in target.lower() or b"\x00" in target or "\x00" in scope["path"]:
            # PostgreSQL cannot compare text with NUL; one answer for every route and database.
            response = error(Request(scope), 422, "the address may not contain NUL characters")
            response.headers["x-request-id"] = rid
            await response(scope, receive, send)
            return

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_id)


def install(app: FastAPI) -> None:
    """Request ids and envelope-shaped errors on every route."""

    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error(request, exc.status_code, str(exc.detail), code=getattr(exc, "code", None),
                     details=getattr(exc, "details", None), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                   for e in exc.errors()]  # the raw errors may hold bytes or exceptions that JSON cannot carry
        return error(request, 422, "request validation failed", details=details)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        logging.getLogger("sync_server").exception("unhandled error on %s %s", request.method, request.url.path)
        return error(request, 500, "internal error; the request id identifies it in the server log")


def wrap(request: Request, data: object) -> dict:
    """A success envelope as a dict, for routes whose response_model is schemas.Envelope[...]."""
    return {"success": True, "data": data, "meta": meta(request)}
