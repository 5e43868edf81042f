"""Wheels from PyPI without pip (the packaged app has none): where a pinned wheel is, and a verified download of it."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

INDEX = "https://pypi.org"
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
CHUNK = 1 << 20


class DownloadError(Exception):
    """A wheel could not be fetched."""


class IndexUnreachable(DownloadError):
    """No answer from PyPI (offline, proxy, DNS, timeout)."""


class NotOnIndex(DownloadError):
    """PyPI has no such release or no wheel for it."""


class BadDigest(DownloadError):
    """The downloaded bytes do not have the SHA-256 PyPI published: nothing was kept."""


@dataclass(frozen=True)
class Wheel:
    """One wheel file on PyPI with the SHA-256 its index publishes."""

    filename: str
    url: str
    sha256: str
    size: int


def index_url() -> str:
    """PyPI, or the index named in LMGPA_PYPI_URL (a mirror, or a local server in the tests)."""
    return os.environ.get("LMGPA_PYPI_URL", INDEX).rstrip("/")


def _client() -> httpx.Client:
    # trust_env: a school's HTTPS_PROXY and its certificate bundle (SSL_CERT_FILE) are honoured.
    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, trust_env=True)


def find_wheel(project: str, version: str) -> Wheel:
    """The pure-Python wheel of project==version from the index's JSON API."""
    url = f"{index_url()}/pypi/{quote(project)}/{quote(version)}/json"
    try:
        with _client() as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        raise IndexUnreachable(f"could not reach {index_url()} ({type(exc).__name__}: {exc})") from exc
    if response.status_code == 404:
        raise NotOnIndex(f"{project} {version} is not on {index_url()}")
    if response.status_code != 200:
        raise IndexUnreachable(f"{index_url()} answered {response.status_code} for {project} {version}")
    try:
        files = response.json()["urls"]
        wheels = [f for f in files if f.get("packagetype") == "bdist_wheel" and f["filename"].endswith(".whl")]
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexUnreachable(f"{index_url()} sent an unexpected answer for {project} {version}") from exc
    if not wheels:
        raise NotOnIndex(f"{project} {version} has no wheel on {index_url()}")
    chosen = wheels[0]
    wheel = Wheel(chosen["filename"], chosen["url"], chosen.get("digests", {}).get("sha256", ""),
                  int(chosen.get("size") or 0))
    if not re.fullmatch(r"[0-9a-f]{64}", wheel.sha256):
        raise NotOnIndex(f"{index_url()} publishes no SHA-256 for {wheel.filename}: not downloaded")
    # Only HTTPS, unless the index itself was set to a plain-HTTP address (a local mirror or a test server).
    index = urlsplit(index_url())
    target = urlsplit(wheel.url)
    if target.scheme != "https" and (target.scheme, target.netloc) != (index.scheme, index.netloc):
        raise NotOnIndex(f"{index_url()} points {wheel.filename} to a non-HTTPS address: not downloaded")
    return wheel


def download(wheel: Wheel, dest: Path) -> Iterator[int]:
    """Stream the wheel to dest, yielding the bytes received so far; BadDigest (and nothing left) on a wrong SHA-256.

    Stopping the iteration early (Cancel) closes the connection and removes the partial file."""
    tmp = dest.with_name(dest.name + ".download")
    h = hashlib.sha256()
    done = 0
    complete = False
    try:
        with _client() as client, client.stream("GET", wheel.url) as response:
            if response.status_code != 200:
                raise IndexUnreachable(f"downloading {wheel.filename} failed: the server answered "
                                       f"{response.status_code}")
            with tmp.open("wb") as out:
                for block in response.iter_bytes(CHUNK):
                    h.update(block)
                    out.write(block)
                    done += len(block)
                    yield done
                out.flush()
                os.fsync(out.fileno())
        if h.hexdigest() != wheel.sha256:
            raise BadDigest(f"{wheel.filename} is not the file PyPI published (SHA-256 {h.hexdigest()[:16]}… instead "
                            f"of {wheel.sha256[:16]}…); it was deleted")
        os.replace(tmp, dest)
        complete = True
    except httpx.HTTPError as exc:
        raise IndexUnreachable(f"downloading {wheel.filename} failed ({type(exc).__name__}: {exc})") from exc
    finally:
        if not complete:
            tmp.unlink(missing_ok=True)
