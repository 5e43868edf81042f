"""The seed's response envelope: success, data, error{code, message, details}, meta{timestamp, request_id}."""

from __future__ import annotations

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


def install(app: FastAPI) -> None:
    """Request ids and envelope-shaped errors on every route."""

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        request.state.request_id = request.headers.get("x-request-id") or str(uuid.uuid4())
        response = await call_next(request)
        response.headers["x-request-id"] = request.state.request_id
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return error(request, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        return error(request, 422, "request validation failed", details=exc.errors())
