"""A recording's segment files: raw int16 PCM written as it arrives, flushed at once and fsynced."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lmgpa_desktop.core import disk_space


def fsync_dir(folder: Path) -> None:
    """Make a new or renamed file's directory entry durable."""
    if os.name == "nt":
        return  # Windows cannot open a directory for fsync; NTFS journals the entry itself
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_error(exc: Exception) -> str:
    """A sentence for the student about a failed write (of a segment file, or of its row in the database)."""
    if getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or disk_space.is_disk_full(exc):
        return ("Not enough disk space: the recording stopped and keeps everything recorded until then "
                f"({getattr(exc, 'strerror', None) or 'the disk is full'}). Free some space and it is saved to your "
                "library.")
    return f"the recording could not be written: {exc.strerror or exc}"


class SegmentFile:
    """The open raw int16 PCM file of one segment."""

    def __init__(self, opener: Callable[[Path], object], folder: Path, seq: int, start_frame: int, frame_bytes: int):
        self.path = folder / f"seg-{seq:05d}.pcm"
        self.seq, self.start_frame, self.frame_bytes = seq, start_frame, frame_bytes
        self.file = opener(self.path)
        fsync_dir(folder)
        self.frames = 0
        self.dirty = False
        self.closed = False
        self.registered = False  # its row is committed

    def write(self, block: np.ndarray) -> None:
        """Append a block of frames."""
        # Flushed at once so a killed process loses nothing already handed to the OS.
        self.file.write(block.tobytes())
        self.file.flush()
        self.frames += len(block)
        self.dirty = True

    def sync(self) -> None:
        """Make what was written durable."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.dirty = False

    def close(self) -> None:
        """Flush, fsync and close; closing is attempted even when the flush fails."""
        if self.closed:
            return
        self.closed = True
        try:
            self.sync()
        finally:
            try:
                self.file.close()
            except OSError:
                pass  # the flush above already reported the failure

    def frames_on_disk(self) -> int:
        """Whole frames the file really holds (a failed write may have left part of a block)."""
        try:
            return self.path.stat().st_size // self.frame_bytes
        except OSError:
            return 0
