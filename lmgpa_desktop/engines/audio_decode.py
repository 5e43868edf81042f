"""Audio/video decoding with PyAV (FFmpeg bundled): probe, and stream 16 kHz mono in bounded memory."""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000


class DecodeError(ValueError):
    """The file is not readable audio or video (message is for the student)."""


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds."""

    duration_s: float | None
    has_video: bool
    codec: str
    sample_rate: int
    channels: int


def probe(path: Path) -> MediaInfo:
    """Open the file and check it has a decodable audio stream; raises DecodeError."""
    import av

    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise DecodeError(f"{path.name} has no audio track")
            stream = container.streams.audio[0]
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / av.time_base
            # Decode one frame: a header can look fine on a truncated or fake file.
            next(iter(container.decode(audio=0)))
            return MediaInfo(duration, bool(container.streams.video), stream.codec_context.name,
                             stream.codec_context.sample_rate or 0, stream.codec_context.channels or 0)
    except DecodeError:
        raise
    except StopIteration:
        raise DecodeError(f"{path.name} contains no audio samples") from None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise DecodeError(f"{path.name} is not a readable audio or video file ({exc})") from exc


def stream(path: Path, block_s: float = 30.0) -> Iterator[np.ndarray]:
    """16 kHz mono float32 blocks of about block_s seconds, decoded the way faster-whisper does (s16 -> f32)."""
    import av

    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    block = int(block_s * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    have = 0
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            for frame in itertools.chain(_valid_frames(container.decode(audio=0)), [None]):
                if frame is not None:
                    frame.pts = None  # resampling ignores timestamps, as faster-whisper does
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    pending.append(samples)
                    have += len(samples)
                    if have >= block:
                        joined = np.concatenate(pending)
                        yield joined[:block].astype(np.float32) / 32768.0
                        pending, have = [joined[block:]], len(joined) - block
            if have:
                yield np.concatenate(pending).astype(np.float32) / 32768.0
    except av.error.FFmpegError as exc:
        raise DecodeError(f"{path.name} could not be decoded ({exc})") from exc
    finally:
        del resampler
        gc.collect()  # PyAV resampler objects are only freed by the collector (faster-whisper issue 390)


def _valid_frames(frames):
    """Skip frames FFmpeg reports as invalid instead of failing the whole file."""
    import av

    iterator = iter(frames)
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue


def decode_all(path: Path) -> np.ndarray:
    """The whole file as one 16 kHz mono float32 array (short files only)."""
    blocks = list(stream(path))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
