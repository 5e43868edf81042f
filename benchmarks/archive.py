"""Move everything: `lmgpa export-all` and `lmgpa import-all` on a large profile, time and size, then a check that the
new profile has the same rows and every media path points into it.

The profile is benchmarks/review.py's 100k-card collection, with reviews answered, the shared audio files imported as
library sources (rows with absolute media paths), the shared documents and --media-mb of synthetic recordings (random
bytes, as incompressible as real audio) in the media folder. Both commands run as the student runs them, in a fresh
process, so the times include start-up.
Usage: python benchmarks/archive.py [--cards 100000] [--media-mb 200] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backup import add_media, folder_bytes  # noqa: E402 - the same synthetic media as the backup benchmark
from review import SHARED, build  # noqa: E402 - the same 100k-card collection as the review benchmark

ROOT = Path(__file__).resolve().parent.parent


def make_profile(home: Path, cards: int, media_mb: int) -> None:
    """The large profile described in the module docstring."""
    from lmgpa_desktop.core.capture import media_import
    from lmgpa_desktop.core.profile import open_app
    from lmgpa_desktop.core.study import review

    ctx = open_app(home)
    try:
        deck_ids = build(ctx, cards)
        for _ in range(50):
            card = review.next_card(ctx, deck_ids[0])
            if card is None:
                break
            review.answer(ctx, card.id, 3)
        for audio in sorted((SHARED / "audio").glob("*.flac")):
            media_import.import_media(ctx, audio)
    finally:
        ctx.close()
    add_media(home, media_mb)


def run(*args: str, env: dict) -> float:
    """Run `lmgpa ARGS` in a fresh process; its wall time."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "lmgpa_desktop", *args], env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"lmgpa {' '.join(args)} failed:\n{done.stderr}")
    return seconds


def check(old: Path, new: Path) -> str:
    """Same row counts in both profiles, and every media path of the new one inside it and present."""
    from sqlalchemy import func, select

    from lmgpa_desktop import paths
    from lmgpa_desktop.storage import archive_db
    from lmgpa_desktop.storage.base import Base
    from lmgpa_desktop.storage.database import Database

    counts, values = [], []
    for home in (old, new):
        db = Database(paths.database_path(home))
        with db.read() as s:
            counts.append({t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
                           for t in Base.metadata.sorted_tables})
            if home == new:
                for _, model, column in archive_db.PATH_COLUMNS:
                    values += [v for (v,) in s.execute(select(column).where(column.is_not(None)))]
        db.dispose()
    differ = {k for k in counts[0] if counts[0][k] != counts[1].get(k)}
    outside = [v for v in values if not (Path(v).is_relative_to(new) and Path(v).exists())]
    return (f"rows equal: {not differ} {sorted(differ) or ''}; {len(values)} media paths, "
            f"{len(outside)} not inside the new profile")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--media-mb", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the profiles and the archive (prints where)")
    args = parser.parse_args()
    from lmgpa_desktop import paths
    from lmgpa_desktop.core.formatting import human_size

    work = Path(tempfile.mkdtemp(prefix="lmgpa-archive-bench-"))
    try:
        home, archive, moved = work / "home", work / "everything.zip", work / "new-laptop"
        started = time.perf_counter()
        make_profile(home, args.cards, args.media_mb)
        db_bytes = paths.database_path(home).stat().st_size
        media_bytes = folder_bytes(paths.media_dir(home))
        print(f"profile: {args.cards} cards, database {human_size(db_bytes)}, media {human_size(media_bytes)} "
              f"(built in {time.perf_counter() - started:.1f} s)")
        env = {**os.environ, "LMGPA_HOME": str(home)}
        export_s = run("export-all", str(archive), env=env)
        print(f"lmgpa export-all {archive.name}: {export_s:.1f} s, archive {human_size(archive.stat().st_size)} "
              f"({archive.stat().st_size / (db_bytes + media_bytes):.0%} of database + media)")
        env["LMGPA_HOME"] = str(work / "unused")
        import_s = run("import-all", str(archive), "--home", str(moved), env=env)
        print(f"lmgpa import-all {archive.name} --home DIR: {import_s:.1f} s")
        print(check(home, moved))
    finally:
        if args.keep:
            print(f"kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
