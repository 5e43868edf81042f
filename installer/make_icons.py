"""Render resources/icons/app.svg to the PNG sizes, app.ico and app.icns the installers use.

Usage: python installer/make_icons.py   (rerun after changing app.svg; the outputs are committed)
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

SIZES = (16, 32, 48, 64, 128, 256, 512)
ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent size x size square, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QImage text/SVG paths want one
    svg = ICONS / "app.svg"
    images = {}
    for size in SIZES:
        png = render_png(svg, size)
        (ICONS / f"app-{size}.png").write_bytes(png)
        images[size] = Image.open(io.BytesIO(png)).convert("RGBA")
    # Windows: each size drawn by Qt rather than downscaled by Pillow, so the 16 px one stays crisp.
    ico_sizes = [(s, s) for s in (16, 32, 48, 64, 128, 256)]
    images[256].save(ICONS / "app.ico", format="ICO", sizes=ico_sizes,
                     append_images=[images[s] for s in (16, 32, 48, 64, 128)])
    # macOS: Pillow writes one PNG entry per size up to 1024 (512@2x); drawn at 1024 rather than upscaled.
    big = Image.open(io.BytesIO(render_png(svg, 1024))).convert("RGBA")
    big.save(ICONS / "app.icns", format="ICNS", append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)])
    for name in [f"app-{s}.png" for s in SIZES] + ["app.ico", "app.icns"]:
        print(f"{name:12} {(ICONS / name).stat().st_size:8} bytes")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
