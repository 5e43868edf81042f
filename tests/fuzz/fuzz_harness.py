"""Run importers on hostile bytes in a child process: memory and file-size limits, a time limit per input, and a
check that nothing was written outside the profile. Shared by the fuzz tests and benchmarks/fuzz_importers.py."""

from __future__ import annotations

import os
import pickle
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 2 << 30  # address space an input may add to the worker (a bomb must be refused well before this)
MEMORY_BUDGET = 600 << 20  # resident memory an input may add: more is a bomb that was not refused
FILE_LIMIT = 1 << 30  # largest file the worker may write (a bomb unpacked to disk is killed with SIGXFSZ)
TIMEOUT_S = 20.0  # one input; longer is a hang
# Entries that try to escape name this folder (absolute paths) or climb out of the profile (relative ones).
ESCAPE_DIR = Path(tempfile.gettempdir()) / "lmgpa-fuzz-escape"


@dataclass(frozen=True)
class Outcome:
    """What one input did: "ok" (imported), "error" (one clear error) or a failure kind."""

    status: str  # ok | error | crash | died | hang | memory | escaped | leftover
    detail: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "error")


# ---------------------------------------------------------------------------------------------- child side
def _targets():
    """target name -> (run(path, ctx), suffix, clean error types); imported in the child only."""
    from lmgpa_desktop.core.capture import document_text
    from lmgpa_desktop.core.errors import UserError
    from lmgpa_desktop.core.job_progress import JobError
    from lmgpa_desktop.core.study.anki import importing
    from lmgpa_desktop.engines import audio_decode

    def anki(path, ctx):
        importing.check_importable(path)
        importing.import_file(ctx(), path)

    def document(path, _ctx):
        document_text.page_count(path)
        for _page in document_text.extract(path, ocr_dpi=int(os.environ.get("LMGPA_FUZZ_DPI", "40"))):
            pass

    def image(path, _ctx):
        document_text.page_count(path)
        for _page in document_text.extract(path):
            pass

    def audio(path, _ctx):
        audio_decode.probe(path)
        for n, _block in enumerate(audio_decode.stream(path, block_s=10.0)):
            if n >= 6:  # a minute decoded is enough to meet a broken frame; transcription streams the rest
                break

    def archive(path, _ctx):
        from lmgpa_desktop.core.safety import archive as archive_mod

        target_home = Path(os.environ["LMGPA_FUZZ_SANDBOX"]) / "home" / "imported"
        shutil.rmtree(target_home, ignore_errors=True)
        gen = archive_mod.import_all(path, target_home)
        for _ in gen:
            pass

    anki_errors = (JobError, UserError)
    doc_errors = (document_text.ExtractError, UserError)
    return {
        "anki": (anki, anki_errors), "document": (document, doc_errors), "image": (image, doc_errors),
        "audio": (audio, (audio_decode.DecodeError, UserError)), "archive": (archive, (UserError, JobError)),
    }


def _stub_tesseract() -> None:
    """Everything but the tesseract program itself: the fuzzers look for crashes in our code and the decoders."""
    from lmgpa_desktop.engines import ocr

    def fake_run(call, *args, **kwargs):
        if call.__name__ == "image_to_osd":
            return {"rotate": 0, "orientation_conf": 0.0}
        return {k: [] for k in ("text", "conf", "level", "left", "top", "width", "height", "block_num", "par_num",
                                "line_num")}

    ocr._run = fake_run


def _serve(sandbox: Path) -> None:
    """Child: read (target, suffix, bytes) requests from stdin, answer (status, detail) on stdout."""
    sys.path.insert(0, str(ROOT))
    if os.environ.get("LMGPA_FUZZ_REAL_OCR") != "1":
        _stub_tesseract()
    targets = _targets()
    context = {}

    def ctx():
        if "ctx" not in context:
            from lmgpa_desktop.core.profile import open_app

            context["ctx"] = open_app(sandbox / "home")
        return context["ctx"]

    ctx()  # open the profile before the limits: migrations are not under test
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    in_use = _address_space()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + MEMORY_LIMIT, hard))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints must not corrupt the answers
    while True:
        header = stdin.read(4)
        if len(header) < 4:
            return
        target, suffix, data = pickle.loads(stdin.read(struct.unpack("<I", header)[0]))
        path = sandbox / "in" / f"input{suffix}"
        path.write_bytes(data)
        run, clean = targets[target]
        try:
            run(path, ctx)
            answer = ("ok", "")
        except clean as exc:
            message = str(exc).strip()
            answer = ("error", message) if message else ("crash", f"{type(exc).__name__} with no message")
        except BaseException as exc:  # noqa: BLE001 - anything else is what the fuzzer is looking for
            answer = ("crash", "".join(traceback.format_exception(exc))[-4000:])
        finally:
            path.unlink(missing_ok=True)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
        if grown > MEMORY_BUDGET and answer[0] != "crash":
            answer = ("memory", f"resident memory grew by {grown >> 20} MB ({answer[0]}: {answer[1][:300]})")
        payload = pickle.dumps(answer)
        stdout.write(struct.pack("<I", len(payload)) + payload)
        stdout.flush()


def _address_space() -> int:
    """Bytes of address space this process uses now (VmSize)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


# ---------------------------------------------------------------------------------------------- parent side
class Worker:
    """A child process that runs inputs; restarted after it dies or hangs."""

    def __init__(self, timeout_s: float = TIMEOUT_S, env: dict | None = None):
        self.timeout_s = timeout_s
        self.sandbox = Path(tempfile.mkdtemp(prefix="lmgpa-fuzz-"))
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.executions = 0

    def _start(self) -> None:
        for name in ("home", "in", "tmp", "cwd"):
            (self.sandbox / name).mkdir(exist_ok=True)
        env = dict(os.environ, LMGPA_HOME=str(self.sandbox / "home"), TMPDIR=str(self.sandbox / "tmp"),
                   LMGPA_FUZZ_SANDBOX=str(self.sandbox), HF_HUB_OFFLINE="1", QT_QPA_PLATFORM="offscreen",
                   PYTHONPATH=str(ROOT), **self.env)
        self.stderr = open(self.sandbox / "worker.log", "ab")  # noqa: SIM115 - kept for the child's life
        self.proc = subprocess.Popen([sys.executable, __file__, "serve", str(self.sandbox)], cwd=self.sandbox / "cwd",
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env=env)

    def run(self, target: str, data: bytes, suffix: str) -> Outcome:
        """Run one input; the outcome says whether it imported, failed clearly, or broke a rule."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        before = self._outside()
        payload = pickle.dumps((target, suffix, data))
        started = time.monotonic()
        self.executions += 1
        try:
            self.proc.stdin.write(struct.pack("<I", len(payload)) + payload)
            self.proc.stdin.flush()
            answer = self._answer(started)
        except (BrokenPipeError, EOFError):
            answer = None
        seconds = time.monotonic() - started
        if answer is None:
            outcome = self._died(seconds)
        else:
            outcome = Outcome(answer[0], answer[1], seconds)
            if outcome.status == "memory":  # its peak is now the high-water mark: a fresh child measures the next
                self._stop()
        escaped = sorted(set(self._outside()) - set(before)) + (
            [str(p) for p in ESCAPE_DIR.rglob("*")] if ESCAPE_DIR.exists() else [])
        if escaped:
            shutil.rmtree(ESCAPE_DIR, ignore_errors=True)
            return Outcome("escaped", f"files written outside the profile: {escaped[:5]}", seconds)
        leftover = [p.name for p in (self.sandbox / "tmp").iterdir()]
        if leftover and outcome.status != "hang":
            for p in (self.sandbox / "tmp").iterdir():
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            if not outcome.failed:
                return Outcome("leftover", f"temporary files left behind: {leftover[:5]}", seconds)
        return outcome

    def _answer(self, started: float):
        out = self.proc.stdout
        header = self._read(out, 4, started)
        if header is None:
            return None
        body = self._read(out, struct.unpack("<I", header)[0], started)
        return None if body is None else pickle.loads(body)

    def _read(self, out, n: int, started: float) -> bytes | None:
        chunks, have = [], 0
        fd = out.fileno()
        while have < n:
            left = self.timeout_s - (time.monotonic() - started)
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, n - have)
            if not chunk:
                return None
            chunks.append(chunk)
            have += len(chunk)
        return b"".join(chunks)

    def _died(self, seconds: float) -> Outcome:
        code = self.proc.wait(timeout=10)
        tail = (self.sandbox / "worker.log").read_bytes()[-3000:].decode("utf-8", "replace")
        self.proc = None
        if code < 0:
            return Outcome("died", f"killed by {signal.Signals(-code).name}\n{tail}", seconds)
        return Outcome("died", f"exited with {code}\n{tail}", seconds)

    def _outside(self) -> list[str]:
        """Files in the sandbox outside the profile, the input folder and the temporary folder."""
        keep = {"home", "in", "tmp", "worker.log"}
        return [str(p) for top in self.sandbox.iterdir() if top.name not in keep
                for p in ([top] if top.is_file() or top.is_symlink() else top.rglob("*"))]

    def close(self) -> None:
        """Stop the child (ours, by its id) and remove the sandbox."""
        self._stop()
        shutil.rmtree(self.sandbox, ignore_errors=True)

    def _stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def run_with_timeout(worker: Worker, target: str, data: bytes, suffix: str) -> Outcome:
    """worker.run, a hang killing the child (by its own pid) and reported as such."""
    try:
        return worker.run(target, data, suffix)
    except TimeoutError:
        worker.proc.kill()
        worker.proc.wait()
        worker.proc = None
        for p in (worker.sandbox / "tmp").iterdir():  # what the killed child had unpacked
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        return Outcome("hang", f"no answer within {worker.timeout_s:.0f} s", worker.timeout_s)


if __name__ == "__main__" and sys.argv[1:2] == ["serve"]:
    _serve(Path(sys.argv[2]))
