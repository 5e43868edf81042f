"""Our OCR path versus the `tesseract` command on the same images, in one run: seconds per page, the ratio
(goal: at most 1.1x), and both character error rates against the ground truth.

"ours" is core.extract on the image file (what importing a photo or scan runs: clean-up, orientation, word
boxes); "tesseract" is `tesseract IMAGE stdout` with default settings, as a student would run it. The runs
alternate and each image's time is the median of --runs runs. The command is also timed with
OMP_THREAD_LIMIT=1 (our path runs tesseract that way), to show what the threading setting alone is worth.
Usage: python benchmarks/ocr.py [--runs N] [--image NAME ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LMGPA_SHARED_DATA", ROOT.parent / "shared" / "data"))
if not SHARED.is_dir():
    SHARED = Path("/work/shared/data")
OCR = SHARED / "ocr"
IMAGES = {
    "phototest.tif": "phototest.txt",
    "phototest_2.tif": "phototest.txt",
    "phototest-rotated-180.png": "phototest.txt",
    "phototest-rotated-L.png": "phototest.txt",
    "eurotext.tif": "eurotext.txt",
    "8087_054.3B.tif": "8087_054.3B.txt",
    "thinkpython2_pdfpage21_200dpi.png": "thinkpython2_pdfpage21_200dpi.textlayer.txt",
}


def tesseract_cli(image: Path, single_thread: bool) -> tuple[float, str]:
    """Seconds and text of the bare tesseract command."""
    env = dict(os.environ)
    env.pop("OMP_THREAD_LIMIT", None)
    if single_thread:
        env["OMP_THREAD_LIMIT"] = "1"
    start = time.perf_counter()
    done = subprocess.run(["tesseract", str(image), "stdout"], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def ours(image: Path) -> tuple[float, str]:
    """Seconds and text of our extraction path."""
    from lmgpa_desktop.core.capture import document_text

    start = time.perf_counter()
    pages = list(document_text.extract(image))
    return time.perf_counter() - start, "\n".join(p.text for p in pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--image", action="append", help="only these images (file names in shared/data/ocr)")
    args = parser.parse_args()
    from lmgpa_desktop.core.text_metrics import char_error_rate
    from lmgpa_desktop.engines import ocr as ocr_engine

    names = args.image or list(IMAGES)
    ours(OCR / names[0])  # warm-up: imports, page cache
    rows = []
    print(f"{'image':36} {'tesseract s':>11} {'1-thread s':>10} {'ours s':>8} {'ratio':>6} "
          f"{'CER cli':>8} {'CER ours':>8}  steps")
    for name in names:
        image = OCR / name
        reference = (OCR / IMAGES[name]).read_text(encoding="utf-8")
        cli_times, single_times, our_times = [], [], []
        cli_text = our_text = ""
        for _ in range(args.runs):
            seconds, cli_text = tesseract_cli(image, single_thread=False)
            cli_times.append(seconds)
            seconds, _text = tesseract_cli(image, single_thread=True)
            single_times.append(seconds)
            seconds, our_text = ours(image)
            our_times.append(seconds)
        steps = ocr_engine.recognize(image).steps  # untimed: what the clean-up did on this image
        row = (name, statistics.median(cli_times), statistics.median(single_times), statistics.median(our_times),
               char_error_rate(reference, cli_text), char_error_rate(reference, our_text))
        rows.append(row)
        print(f"{name:36} {row[1]:11.2f} {row[2]:10.2f} {row[3]:8.2f} {row[3] / row[1]:5.2f}x "
              f"{row[4]:8.3f} {row[5]:8.3f}  {', '.join(steps)}")
    cli_total = sum(r[1] for r in rows)
    single_total = sum(r[2] for r in rows)
    our_total = sum(r[3] for r in rows)
    pages = len(rows)
    print(f"\nseconds per page: tesseract {cli_total / pages:.2f}, tesseract 1-thread {single_total / pages:.2f}, "
          f"ours {our_total / pages:.2f}")
    print(f"ratio ours / tesseract: {our_total / cli_total:.2f}x (goal <= 1.1x); "
          f"ours / tesseract 1-thread: {our_total / single_total:.2f}x")
    cli_cer, our_cer = statistics.mean(r[4] for r in rows), statistics.mean(r[5] for r in rows)
    print(f"mean CER: tesseract {cli_cer:.3f}, ours {our_cer:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
