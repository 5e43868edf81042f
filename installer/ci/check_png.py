"""Check that a screenshot shows a real window: big enough and not one flat colour (run with the project venv)."""

from __future__ import annotations

import sys

from PIL import Image, ImageStat

MIN_W, MIN_H = 640, 400  # the main window's minimum size is larger than this
MIN_COLOURS = 16         # a blank or all-black grab has one or two
MIN_STDDEV = 8.0         # grey-level spread: text, borders and icons make contrast


def check(path: str) -> list[str]:
    """Return the problems found (empty when the PNG looks like a drawn window)."""
    try:
        img = Image.open(path)
        img.load()
    except (OSError, ValueError) as exc:
        return [f"cannot read {path}: {exc}"]
    problems = []
    w, h = img.size
    if w < MIN_W or h < MIN_H:
        problems.append(f"{w}x{h} is smaller than {MIN_W}x{MIN_H}")
    rgb = img.convert("RGB")
    colours = rgb.getcolors(maxcolors=1 << 16)
    n_colours = len(colours) if colours is not None else 1 << 16
    stddev = ImageStat.Stat(rgb.convert("L")).stddev[0]
    if n_colours < MIN_COLOURS:
        problems.append(f"only {n_colours} colours: blank window")
    if stddev < MIN_STDDEV:
        problems.append(f"grey-level spread {stddev:.1f} < {MIN_STDDEV}: nothing drawn")
    print(f"{path}: {w}x{h}, {n_colours if n_colours < 1 << 16 else '65536+'} colours, spread {stddev:.1f}")
    return problems


def main(argv: list[str]) -> int:
    """check_png.py FILE.png ...: exit 1 when any file is not a real window."""
    bad = 0
    for path in argv:
        for problem in check(path):
            print(f"{path}: FAIL: {problem}", file=sys.stderr)
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
