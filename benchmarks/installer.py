"""Installed app: bundle/.deb/archive sizes by part, cold start bundled vs source, `dpkg -i` to a working app.

Sizes come from installer/bundle_sizes.py (the same report installer/build prints). Start-up: each sample is a fresh
process, `lmgpa gui --exit-when-ready`, timed from spawn until it prints "ready" (window shown, event loop ran once)
and "loaded" (profile open, first page built); the bundled executable and the source install (.venv/bin/lmgpa)
alternate on the same profile so machine load affects both alike. The first start of each, which also fills the
file cache, is reported apart. `--deb-install` (root; changes the system) times `dpkg -i` and the installed app's
first start, then `dpkg -r`.
Usage: python benchmarks/installer.py [--bundle DIR] [--dist DIR] [--runs N] [--deb-install]
  (needs QT_QPA_PLATFORM=offscreen or a display; bundle default: dist/lmgpa, from installer/build)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "installer"))

from startup import sample  # noqa: E402  (same timing as benchmarks/startup.py)

MB = 1e6


def default_bundle() -> Path | None:
    cand = ROOT / "dist" / "lmgpa"
    return cand if (cand / "lmgpa").is_file() else None


def report_sizes(bundle: Path, dist: Path) -> None:
    """Bundle size by part (the report installer/build prints), then the packed archive and .deb."""
    import bundle_sizes

    print(f"== sizes of {bundle}")
    bundle_sizes.main([str(bundle)])
    for pattern in ("lmgpa-*-linux-x86_64.tar.zst", "lmgpa_*_amd64.deb"):
        for made in sorted(dist.glob(pattern)):
            extra = ""
            if made.suffix == ".deb" and shutil.which("dpkg-deb"):
                kib = subprocess.run(["dpkg-deb", "--field", str(made), "Installed-Size"], capture_output=True,
                                     text=True).stdout.strip()
                extra = f"  (Installed-Size {int(kib) * 1024 / MB:.0f} MB)" if kib.isdigit() else ""
            print(f"{made.name:40} {made.stat().st_size / MB:8.1f} MB{extra}")


def start_up(bundle: Path, runs: int) -> None:
    """Bundled vs source install: medians of alternated fresh starts on one profile."""
    source = ROOT / ".venv" / "bin" / "lmgpa"
    cmds = {"bundle": [str(bundle / "lmgpa"), "gui", "--exit-when-ready"],
            "source": [str(source), "gui", "--exit-when-ready"]}
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    with tempfile.TemporaryDirectory() as home:
        env["LMGPA_HOME"] = home
        sample(cmds["source"], env, "loaded")  # the first start creates and migrates the profile: not measured
        first = {name: sample(cmd, env, "loaded") for name, cmd in cmds.items()}
        marks: dict[str, dict[str, list[float]]] = {n: {"ready": [], "loaded": []} for n in cmds}
        for _ in range(runs):
            for name, cmd in cmds.items():
                got = sample(cmd, env, "loaded")
                for key in ("ready", "loaded"):
                    marks[name][key].append(got[key])
    print(f"== start-up, {runs} alternated runs each (median, min), profile already created")
    med = {n: {k: statistics.median(v) for k, v in m.items()} for n, m in marks.items()}
    for name in cmds:
        for key, what in (("ready", "window interactive"), ("loaded", "profile open, page built")):
            print(f"{name:6} {what:26}: median {med[name][key] * 1000:6.0f} ms  "
                  f"(min {min(marks[name][key]) * 1000:.0f}; first start {first[name][key] * 1000:.0f})")
    for key in ("ready", "loaded"):
        print(f"ratio bundle/source {key:7}: {med['bundle'][key] / med['source'][key]:.2f}x  (goal <= 1.0x)")


def deb_install(deb: Path) -> int:
    """dpkg -i, the installed lmgpa's first start to "ready", dpkg -r; seconds of each."""
    if os.geteuid() != 0:
        print("--deb-install needs root (dpkg -i)", file=sys.stderr)
        return 2
    probe = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "lmgpa"], capture_output=True, text=True)
    if probe.stdout.strip().endswith(" installed"):
        print("lmgpa is already installed on this host: not touching it", file=sys.stderr)
        return 2
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    try:
        with tempfile.TemporaryDirectory() as home:
            env["LMGPA_HOME"] = home
            start = time.perf_counter()
            subprocess.run(["dpkg", "-i", str(deb)], check=True, stdout=subprocess.DEVNULL)
            installed = time.perf_counter() - start
            marks = sample(["/usr/bin/lmgpa", "gui", "--exit-when-ready"], env, "loaded")
            total = time.perf_counter() - start
    finally:
        start = time.perf_counter()
        subprocess.run(["dpkg", "-r", "lmgpa"], stdout=subprocess.DEVNULL)
        removed = time.perf_counter() - start
        subprocess.run(["dpkg", "--purge", "lmgpa"], stdout=subprocess.DEVNULL)  # postrm keeps a config-files state
    print(f"== {deb.name} ({deb.stat().st_size / MB:.0f} MB)")
    print(f"dpkg -i                        : {installed:6.1f} s")
    print(f"then first start, window ready : {marks['ready']:6.1f} s  (profile loaded {marks['loaded']:.1f} s)")
    print(f"dpkg -i to a working app       : {total:6.1f} s")
    print(f"dpkg -r                        : {removed:6.1f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=None, help="one-folder bundle (default: dist/lmgpa)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="folder with the .tar.zst and .deb")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--deb-install", action="store_true", help="also time dpkg -i (root; changes the system)")
    args = parser.parse_args()
    bundle = args.bundle or default_bundle()
    if bundle is None or not (bundle / "lmgpa").is_file():
        print("no bundle to measure: build one with installer/build (dist/lmgpa)")
        return 0
    report_sizes(bundle, args.dist)
    start_up(bundle, args.runs)
    if args.deb_install:
        debs = sorted(args.dist.glob("lmgpa_*_amd64.deb"), key=lambda p: p.stat().st_mtime)
        if not debs:
            print(f"no .deb in {args.dist}: run installer/package", file=sys.stderr)
            return 2
        return deb_install(debs[-1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
