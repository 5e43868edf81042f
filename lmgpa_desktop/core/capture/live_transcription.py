"""Live transcript while recording: text a few seconds behind the speaker, replaced by a final pass."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import numpy as np

from lmgpa_desktop.engines.audio_decode import SAMPLE_RATE
from lmgpa_desktop.engines.errors import ModelError
from lmgpa_desktop.storage import transcripts_repo

if TYPE_CHECKING:
    from lmgpa_desktop.core.context import AppContext

log = logging.getLogger(__name__)

STEP_S = 3.0  # how often the tail is transcribed again
SETTLE_S = 2.5  # segments ending this close to "now" may still change: not committed yet
MAX_TAIL_S = 25.0  # never hold more than this uncommitted (Whisper sees up to 30 s at once)


class LiveTranscriber:
    """Feeds recorder blocks to Whisper on its own thread; commits settled segments as a "live" transcript."""

    def __init__(self, ctx: AppContext, source_id: int, engine=None):
        self.ctx, self.source_id = ctx, source_id
        self.engine = engine or ctx.models.whisper()
        self.transcript_id = transcripts_repo.start(ctx.db, source_id, "live", str(ctx.models.path("whisper")), "en")
        self._lock = threading.Lock()
        self._tail = np.zeros(0, dtype=np.float32)  # audio after the last committed segment
        self._tail_start = 0.0
        self._received_until = 0.0
        self.pending_text = ""  # the not-yet-settled hypothesis, for display
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-transcript", daemon=True)

    def feed(self, block: np.ndarray, start_s: float) -> None:
        """Recorder listener: 16 kHz mono float32 audio starting at start_s (recording time)."""
        with self._lock:
            if not len(self._tail):
                self._tail_start = start_s
            self._tail = np.concatenate([self._tail, block.astype(np.float32, copy=False)])
            self._received_until = start_s + len(block) / SAMPLE_RATE

    def start(self) -> None:
        """Begin transcribing in the background."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current pass; the final pass over the whole audio replaces this text."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        transcripts_repo.update_info(self.ctx.db, self.transcript_id, status="done")

    def _run(self) -> None:
        while not self._stop.wait(STEP_S):
            try:
                self._step()
            except ModelError as exc:
                self.error = f"live transcript unavailable: {exc}"
                return
            except Exception:  # noqa: BLE001 - the recording matters more than the live text
                log.exception("live transcription step failed")

    def _step(self) -> None:
        """Transcribe the uncommitted tail; commit what has settled."""
        with self._lock:
            audio, start = self._tail.copy(), self._tail_start
            now = self._received_until
        if len(audio) < SAMPLE_RATE:
            return
        segments, _ = self.engine.transcribe(audio, language="en", vad=True, word_timestamps=True, beam_size=1)
        segments = list(segments)
        settled_until = now - SETTLE_S
        committed_to, pending = start, []
        for seg in segments:
            too_long = (now - start) > MAX_TAIL_S and seg is not segments[-1]
            if start + seg.end <= settled_until or too_long:
                words = [[w.start + start, w.end + start, w.word, w.probability] for w in seg.words]
                transcripts_repo.add_segment(self.ctx.db, self.transcript_id, start + seg.start, start + seg.end,
                                             seg.text, words, seg.avg_logprob, seg.no_speech_prob)
                committed_to = start + seg.end
            else:
                pending.append(seg.text)
        if not segments and now - start > MAX_TAIL_S:
            committed_to = now - SETTLE_S  # long silence: drop it
        with self._lock:
            drop = int(max(0.0, committed_to - self._tail_start) * SAMPLE_RATE)
            self._tail = self._tail[drop:]
            self._tail_start += drop / SAMPLE_RATE
        self.pending_text = " ".join(pending)
