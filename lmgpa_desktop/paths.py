"""Where the app keeps its data, cache, logs and bundled resources."""

from __future__ import annotations

import json
import os
from importlib.resources import files
from pathlib import Path

import platformdirs

APP = "lmgpa"


def config_file() -> Path:
    """Bootstrap config (outside the database, because it says where the database is)."""
    return Path(platformdirs.user_config_dir(APP)) / "config.json"


def data_dir() -> Path:
    """The profile folder: LMGPA_HOME, else the folder chosen in Settings, else the platform default."""
    env = os.environ.get("LMGPA_HOME")
    if env:
        return Path(env).expanduser().resolve()
    chosen = read_config().get("data_dir")
    if chosen:
        return Path(chosen).expanduser()
    return Path(platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    """Derived artefacts (assembled GGUF, exported ONNX); safe to delete, rebuilt locally."""
    env = os.environ.get("LMGPA_CACHE")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir(APP))


def bundled_models_dir() -> Path | None:
    """The prepared default models shipped with a packaged app: LMGPA_MODELS_DIR, else <bundle>/models, else None."""
    env = os.environ.get("LMGPA_MODELS_DIR")
    if env:
        return Path(env).expanduser().resolve()
    base = _bundle_dir()
    if base is not None and (base / "models" / "manifest.json").is_file():
        return base / "models"
    return None


def _bundle_dir() -> Path | None:
    """The frozen app's data folder (PyInstaller's _MEIPASS), None when running from source."""
    from lmgpa_desktop import frozen

    return frozen.bundle_dir()


def database_path(home: Path | None = None) -> Path:
    """The SQLite file of the profile."""
    return (home or data_dir()) / "lmgpa.sqlite3"


def logs_dir(home: Path | None = None) -> Path:
    """Rotating log files."""
    return (home or data_dir()) / "logs"


def backups_dir(home: Path | None = None) -> Path:
    """Pre-migration and manual backups."""
    return (home or data_dir()) / "backups"


def media_dir(home: Path | None = None) -> Path:
    """Imported files, recordings and photos."""
    return (home or data_dir()) / "media"


def read_config() -> dict:
    """The bootstrap config, or {} when absent or unreadable."""
    try:
        return json.loads(config_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_config(values: dict) -> None:
    """Merge values into the bootstrap config (atomic replace)."""
    merged = {**read_config(), **values}
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(merged, indent=2), encoding="utf-8")
    tmp.replace(path)


def resource(*parts: str) -> Path:
    """A file shipped in resources/ (icons, styles, the sample lecture)."""
    try:
        base = Path(str(files("lmgpa_desktop.resources")))
    except ModuleNotFoundError:
        # Editable installs of a flat layout do not apply the package-dir mapping: use the source tree.
        base = Path(__file__).resolve().parent.parent / "resources"
    return base.joinpath(*parts)
