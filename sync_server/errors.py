"""Errors that become the seed's error envelope with a stable code."""

from __future__ import annotations

from fastapi import HTTPException


class ApiError(HTTPException):
    """An HTTP error with a machine-readable code and optional details."""

    def __init__(self, status: int, message: str, code: str | None = None, details: object = None,
                 headers: dict | None = None):
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code
        self.details = details


def not_found(what: str = "not found") -> ApiError:
    """404 used for objects the caller may not see, so existence is not revealed."""
    return ApiError(404, what, "NOT_FOUND")


def forbidden(message: str = "you are not allowed to do this") -> ApiError:
    """403 for a known object the caller may see but not change."""
    return ApiError(403, message, "FORBIDDEN")
