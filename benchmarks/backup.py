"""Backup of a 100k-card profile with media: our backup (copy + integrity_check + zstd + media store) against the bare
sqlite3 backup API copy of the same file, time and size; then an incremental second backup and a verify.

The collection is benchmarks/review.py's (10 decks, 100,000 cards from the shared Ultimate Geography deck). Media:
every file of the shared audio and documents folders plus --media-mb of synthetic recordings (random bytes, as
incompressible as real audio). The second backup follows 50 answered reviews and one new recording: only that file is
copied into the media store, the unchanged ones are not read again.
Usage: python benchmarks/backup.py [--cards 100000] [--media-mb 40]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from review import SHARED, build  # noqa: E402 - the same 100k-card collection as the review benchmark


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def add_media(home: Path, megabytes: int) -> tuple[int, int]:
    """Copy the shared audio and documents into the profile's media folder and add synthetic recordings."""
    from lmgpa_desktop import paths

    media = paths.media_dir(home)
    for sub in ("audio", "documents"):
        if (SHARED / sub).is_dir():
            shutil.copytree(SHARED / sub, media / "imports" / sub, dirs_exist_ok=True)
    for i in range(max(0, megabytes) // 5):
        folder = media / "recordings" / f"lecture-{i}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "audio.flac").write_bytes(os.urandom(5 * 1024 * 1024))
    files = [p for p in media.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def drain_timed(gen) -> tuple[object, dict[str, float]]:
    """Run a backup generator; its result and the seconds spent in each step (by Progress message)."""
    steps: dict[str, float] = {}
    last, name = time.perf_counter(), None
    while True:
        try:
            report = next(gen)
        except StopIteration as stop:
            now = time.perf_counter()
            if name:
                steps[name] = steps.get(name, 0.0) + now - last
            return stop.value, steps
        now = time.perf_counter()
        if name:
            steps[name] = steps.get(name, 0.0) + now - last
        name = report.message.split(":")[0] if report.message.startswith("media files") else report.message
        last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--media-mb", type=int, default=40)
    args = parser.parse_args()

    from lmgpa_desktop import paths
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.safety import backup_media, backups
    from lmgpa_desktop.core.study import review

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        ctx = open_app(home)
        t = time.perf_counter()
        build(ctx, args.cards)
        n_media, media_bytes = add_media(home, args.media_mb)
        db_file = paths.database_path(home)
        with sqlite3.connect(db_file) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        print(f"built {args.cards} cards and {n_media} media files ({media_bytes / 1e6:.1f} MB) in "
              f"{time.perf_counter() - t:.1f} s; database {db_file.stat().st_size / 1e6:.1f} MB")

        bare_target = Path(tmp) / "bare.sqlite3"
        t = time.perf_counter()
        src, dst = sqlite3.connect(db_file), sqlite3.connect(bare_target)
        src.backup(dst)
        dst.close()
        src.close()
        bare_s, bare_bytes = time.perf_counter() - t, bare_target.stat().st_size

        t = time.perf_counter()
        first, steps = drain_timed(backups.back_up(ctx.db, home, "manual"))
        first_s = time.perf_counter() - t
        store = backup_media.store_dir(paths.backups_dir(home))
        store_after_first = folder_bytes(store)

        for _ in range(50):  # some study, and one new recording, before the next backup
            card = review.next_card(ctx)
            if card is not None:
                review.answer(ctx, card.id, 3)
        new = paths.media_dir(home) / "recordings" / "lecture-new" / "audio.flac"
        new.parent.mkdir(parents=True)
        new.write_bytes(os.urandom(2 * 1024 * 1024))
        t = time.perf_counter()
        second, steps2 = drain_timed(backups.back_up(ctx.db, home, "auto"))
        second_s = time.perf_counter() - t
        store_growth = folder_bytes(store) - store_after_first

        t = time.perf_counter()
        checked = backups.verify_backup(home, second.id)
        verify_s = time.perf_counter() - t
        ctx.close()

    copy_only = steps.get("copying the database", 0.0)
    print(f"{'measure':46} {'seconds':>8} {'MB':>8}")
    print(f"{'bare sqlite3 backup API copy':46} {bare_s:8.2f} {bare_bytes / 1e6:8.1f}")
    print(f"{'ours, first (copy+check+zstd+media store)':46} {first_s:8.2f} {first.size / 1e6:8.1f}"
          f"   + media store {store_after_first / 1e6:.1f} MB")
    for name, seconds in steps.items():
        print(f"  {name:44} {seconds:8.2f}")
    print(f"{'ours, second (50 reviews + one 2 MB recording)':46} {second_s:8.2f} {second.size / 1e6:8.1f}"
          f"   media store grew {store_growth / 1e6:.1f} MB")
    for name, seconds in steps2.items():
        print(f"  {name:44} {seconds:8.2f}")
    print(f"{'verify the second (unzstd + integrity_check)':46} {verify_s:8.2f}   verified={checked.verified}")
    print(f"database copy: ours {copy_only:.2f} s vs bare {bare_s:.2f} s ({copy_only / bare_s:.1f}x); whole backup "
          f"{first_s / bare_s:.1f}x the bare copy's time; size {first.size / bare_bytes:.2f}x the bare copy "
          f"({bare_bytes / first.size:.1f}x smaller)")
    print(f"incremental: second backup {second_s:.2f} s ({second_s / first_s:.2f}x the first); media copied again: "
          f"{store_growth / 1e6:.1f} MB of {media_bytes / 1e6 + 2.1:.1f} MB (only the new recording)")


if __name__ == "__main__":
    main()
