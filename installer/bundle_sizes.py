"""Print the size of each part of the one-folder bundle: Qt, each ML runtime, each model, Tesseract, the rest.

Usage: python installer/bundle_sizes.py [BUNDLE_DIR] [--json]   (default dist/lmgpa)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Part name -> top-level entries of _internal/ (folders or files) that belong to it, by name prefix.
PARTS = {
    "Qt (PySide6, Qt libs, plugins, Qt's FFmpeg)": ("PySide6", "shiboken6"),
    "onnxruntime": ("onnxruntime",),
    "ctranslate2 + faster-whisper": ("ctranslate2", "faster_whisper"),
    "llama.cpp": ("llama_cpp",),
    "piper + espeak-ng data": ("piper",),
    "PyAV + FFmpeg": ("av",),
    "Tesseract (binary, libs, eng+osd)": ("tesseract",),
}


def tree_size(path: Path) -> int:
    """Bytes of a file or a folder (symlinks counted as links, not followed)."""
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_symlink() or p.is_file())


def part_of(name: str) -> str | None:
    """The part an entry of _internal/ belongs to (av.libs belongs to av, ctranslate2.libs to ctranslate2)."""
    for part, prefixes in PARTS.items():
        for prefix in prefixes:
            if name == prefix or name.startswith(prefix + ".") or name.startswith(prefix + "-"):
                return part
    return None


def measure(bundle: Path) -> dict[str, int]:
    """Size of each part; models one line each (from models/manifest.json), the rest as 'Python + rest'."""
    internal = bundle / "_internal"
    if not internal.is_dir():
        raise SystemExit(f"{bundle} is not a PyInstaller one-folder bundle (no _internal/)")
    sizes: dict[str, int] = {part: 0 for part in PARTS}
    rest = sum(tree_size(p) for p in bundle.iterdir() if p.name != "_internal")  # the executable
    for entry in internal.iterdir():
        if entry.name == "models":
            continue
        part = part_of(entry.name)
        if part:
            sizes[part] += tree_size(entry)
        else:
            rest += tree_size(entry)
    models = internal / "models"
    if models.is_dir():
        for entry in sorted(models.iterdir()):
            label = "licences" if entry.name in ("licenses", "licences") else entry.name
            if entry.name == "manifest.json":
                rest += tree_size(entry)
                continue
            sizes[f"model: {label}"] = tree_size(entry)
    else:
        sizes["models (none bundled)"] = 0
    sizes["Python + rest"] = rest
    sizes["total"] = tree_size(bundle)
    return sizes


def main(argv: list[str]) -> int:
    """Print the table (or JSON with --json)."""
    as_json = "--json" in argv
    args = [a for a in argv if a != "--json"]
    bundle = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "dist" / "lmgpa"
    sizes = measure(bundle)
    if as_json:
        json.dump(sizes, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max(map(len, sizes))
    print(f"Bundle size by part ({bundle}):")
    for name, size in sizes.items():
        if name == "total":
            print("-" * (width + 12))
        print(f"  {name:<{width}} {size / 1e6:9.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
