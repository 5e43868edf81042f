"""Uploaded files: their content type checked on the way in, and one safe way to serve any of them."""

from __future__ import annotations

import mimetypes
import re
from urllib.parse import quote

from fastapi.responses import Response

from sync_server.errors import ApiError

FALLBACK_TYPE = "application/octet-stream"
# RFC 9110 media type: type "/" subtype *( ";" parameter ), ASCII only; CR, LF and other controls never get into a
# header, where they would break the download or split the answer.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"[\x20\x21\x23-\x5b\x5d-\x7e]*\"))*")


def valid_type(value: str) -> bool:
    """True for a well-formed media type such as `application/pdf` or `text/plain; charset=utf-8`."""
    return _MEDIA_TYPE.fullmatch(value) is not None


def upload_type(given: str | None, file_name: str) -> str:
    """The content type to store: the given one (422 when malformed), else guessed from the name."""
    given = (given or "").strip()
    if given:
        if not valid_type(given):
            raise ApiError(422, f"{given[:60]!r} is not a valid content type (e.g. application/pdf)",
                           "VALIDATION_ERROR", details={"file_name": file_name})
        return given
    return mimetypes.guess_type(file_name)[0] or FALLBACK_TYPE


def _disposition(name: str) -> str:
    """attachment with an ASCII fallback name and the exact UTF-8 name (RFC 6266)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name) or "file"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(data: bytes, file_name: str, content_type: str) -> Response:
    """A download: always an attachment, and nosniff, since the type was chosen by whoever uploaded it and a browser
    must not guess a more dangerous one; a stored type that is not valid (older rows) is served as bytes."""
    kind = content_type if valid_type(content_type) else FALLBACK_TYPE
    return Response(data, media_type=kind, headers={"Content-Disposition": _disposition(file_name),
                                                    "X-Content-Type-Options": "nosniff"})
