"""A small filesystem for disk-full tests: a tmpfs (or a loop-mounted image) mounted and always unmounted again."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

FILLER = ".filler"  # the file fill() writes; release() deletes it


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def _mount_tmpfs(mountpoint: Path, size: int) -> str | None:
    """Mount a tmpfs of `size` bytes; the reason it failed, or None."""
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0777", "tmpfs", str(mountpoint))
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exited {done.returncode}")


def _mount_loop_image(mountpoint: Path, size: int, image: Path) -> str | None:
    """Mount an ext4 image file of `size` bytes through a loop device; the reason it failed, or None."""
    if not (shutil.which("mkfs.ext4") and shutil.which("mount")):
        return "mkfs.ext4 is not installed"
    with open(image, "wb") as f:
        f.truncate(max(size, 2 * 1024 * 1024))  # ext4 needs a little room for its own bookkeeping
    made = _run("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
    if made.returncode != 0:
        return made.stderr.strip() or "mkfs.ext4 failed"
    done = _run("mount", "-o", "loop", str(image), str(mountpoint))
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount -o loop exited {done.returncode}")


def _unmount(mountpoint: Path) -> None:
    """Unmount, lazily if something still holds a file open there (a leaked handle must not wedge the run)."""
    if _run("umount", str(mountpoint)).returncode != 0:
        _run("umount", "-l", str(mountpoint))


@contextlib.contextmanager
def small_filesystem(size: int = 8 * 1024 * 1024) -> Iterator[Path]:
    """A freshly mounted filesystem of about `size` bytes; unmounted afterwards even when the body fails.

    Skips the test with the reason when this machine cannot mount anything (not root, no tmpfs, no loop device).
    """
    scratch = Path(tempfile.mkdtemp(prefix="lmgpa-small-disk-"))
    mountpoint = scratch / "mnt"
    mountpoint.mkdir()
    reason = _mount_tmpfs(mountpoint, size)
    if reason is not None:
        loop_reason = _mount_loop_image(mountpoint, size, scratch / "disk.img")
        if loop_reason is not None:
            shutil.rmtree(scratch, ignore_errors=True)
            pytest.skip(f"cannot mount a small filesystem for the disk-full tests (needs root): tmpfs: {reason}; "
                        f"loop image: {loop_reason}")
    try:
        yield mountpoint
    finally:
        _unmount(mountpoint)
        shutil.rmtree(scratch, ignore_errors=True)


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged write can still use on the filesystem holding `path`."""
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill(directory: Path, leave_bytes: int = 0) -> Path:
    """Fill the filesystem holding `directory` so that about `leave_bytes` stay free (to the block); the filler file.

    Calling it again tops the same filler up (or shrinks it) to the new amount; release() deletes it.
    """
    directory = Path(directory)
    filler = directory / FILLER
    block = os.statvfs(directory).f_frsize
    current = filler.stat().st_size if filler.exists() else 0
    target = max(0, current + free_bytes(directory) - leave_bytes)
    target -= target % block
    with open(filler, "ab") as f:
        if target < current:
            f.truncate(target)
        else:
            chunk = b"\0" * (1024 * 1024)
            remaining = target - current
            try:
                while remaining > 0:
                    remaining -= f.write(chunk[:remaining])
                f.flush()
                os.fsync(f.fileno())
            except OSError:  # a filesystem that keeps some blocks back: it is as full as it gets
                pass
    return filler


def release(directory: Path) -> None:
    """Delete the filler fill() wrote, giving its space back."""
    (Path(directory) / FILLER).unlink(missing_ok=True)
