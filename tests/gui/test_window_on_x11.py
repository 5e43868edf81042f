"""`lmgpa` opens its real window on an X server (Xvfb) with the system's Qt libraries, and screenshots it."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
from PySide6.QtGui import QImage

from support import lmgpa_cmd


@pytest.fixture
def xvfb_display():
    """A private Xvfb server (installed by ./test) on a free display number."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is not installed; ./test installs the xvfb package"
    for number in range(91, 120):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    proc = subprocess.Popen([xvfb, f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        assert proc.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.05)
    yield f":{number}"
    proc.terminate()
    proc.wait(10)


def test_window_opens_on_x11_and_is_screenshot(home, tmp_path, xvfb_display):
    shot = tmp_path / "window.png"
    env = {**os.environ, "DISPLAY": xvfb_display, "QT_QPA_PLATFORM": "xcb"}
    out = subprocess.run(lmgpa_cmd("gui", "--exit-when-ready", "--screenshot", str(shot)),
                         capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ready ")
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800
    colors = {image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 23)}
    assert len(colors) > 5
