"""Time to an interactive main window: `lmgpa` versus a bare PySide6 hello-window, in one run.

Each sample is a fresh process, timed from spawn until it prints that its window is shown and the
event loop has run once ("ready"); for lmgpa also until the profile (database, migrations, job
runner) is open and the first page is built ("loaded"). Samples of the two alternate so machine
load affects both alike.
Usage: python benchmarks/startup.py [--runs N]   (needs QT_QPA_PLATFORM=offscreen or a display)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

BARE = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.setCentralWidget(QLabel("Hello")); w.resize(1200, 780); w.show()
def ready():
    print("ready", flush=True); w.close(); app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def sample(cmd: list[str], env: dict, until: str = "ready") -> dict[str, float]:
    """Seconds from spawn until the process prints each marker line, up to `until`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    marks: dict[str, float] = {}
    for line in proc.stdout:
        word = line.split(" ", 1)[0].strip()
        marks[word] = time.perf_counter() - start
        if word == until:
            break
    proc.wait(60)
    if until not in marks:
        raise RuntimeError(f"{cmd} never printed {until!r}")
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    with tempfile.TemporaryDirectory() as home:
        env["LMGPA_HOME"] = home
        ours_cmd = [sys.executable, "-m", "lmgpa_desktop", "gui", "--exit-when-ready"]
        bare_cmd = [sys.executable, "-c", BARE]
        sample(ours_cmd, env, "loaded")  # first start creates and migrates the profile: not what we measure
        bare, ready, loaded = [], [], []
        for _ in range(args.runs):
            bare.append(sample(bare_cmd, env)["ready"])
            marks = sample(ours_cmd, env, "loaded")
            ready.append(marks["ready"])
            loaded.append(marks["loaded"])
    b, r, l = (statistics.median(x) for x in (bare, ready, loaded))
    print(f"bare PySide6 hello window     : median {b * 1000:6.0f} ms  (min {min(bare) * 1000:.0f})")
    print(f"lmgpa window interactive      : median {r * 1000:6.0f} ms  (min {min(ready) * 1000:.0f})")
    print(f"lmgpa profile open, page built: median {l * 1000:6.0f} ms  (min {min(loaded) * 1000:.0f})")
    print(f"ratio interactive/bare        : {r / b:.2f}x  (goal <= 3x)")
    print(f"ratio fully loaded/bare       : {l / b:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
