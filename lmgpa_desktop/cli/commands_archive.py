"""Move or archive everything: `lmgpa export-all FILE` and `lmgpa import-all FILE [--home DIR]`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lmgpa_desktop.cli.common import open_ctx
from lmgpa_desktop.cli.progress_bar import drive
from lmgpa_desktop.core.formatting import human_size


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands."""
    p = sub.add_parser("export-all", help="write one archive with everything (database, media, settings) to keep "
                                          "or to move to another computer")
    p.add_argument("file", help="the archive to write (a .zip)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.set_defaults(handler=cmd_export_all)

    p = sub.add_parser("import-all", help="restore an export-all archive into a new profile (e.g. on a new laptop)")
    p.add_argument("file", help="the archive export-all wrote")
    # Its own name: the global --home also makes a logs folder in the folder before the command runs.
    p.add_argument("--home", dest="into", metavar="DIR",
                   help="a new or empty folder for the profile (default: LMGPA_HOME or this computer's data folder)")
    p.add_argument("--use", action="store_true", help="open this profile from now on (as Settings' data folder)")
    p.set_defaults(handler=cmd_import_all)


def cmd_export_all(args) -> int:
    """Write the archive."""
    from lmgpa_desktop.core.safety.archive import export_all

    ctx = open_ctx(args)
    try:
        started = time.monotonic()
        path = drive(export_all(ctx, Path(args.file), overwrite=args.force), "Exporting everything")
    finally:
        ctx.close()
    print(f"Saved everything to {path} ({human_size(path.stat().st_size)}) in {time.monotonic() - started:.1f} s.")
    print("On the other computer: lmgpa import-all " + str(path.name))
    return 0


def cmd_import_all(args) -> int:
    """Unpack the archive into a new profile."""
    from lmgpa_desktop import paths
    from lmgpa_desktop.core.errors import UserError
    from lmgpa_desktop.core.safety.archive import holds_profile, import_all

    target = args.into or args.home
    if not target and holds_profile(paths.data_dir()):
        raise UserError(f"this computer already has a profile in {paths.data_dir()}; import into a new folder with "
                        "--home DIR (an import never replaces a profile)")
    started = time.monotonic()
    home = drive(import_all(Path(args.file), Path(target) if target else None), "Importing everything")
    print(f"Imported into {home} in {time.monotonic() - started:.1f} s.")
    if args.use:
        paths.write_config({"data_dir": str(home)})
        print("The app opens this profile from now on" + (" (LMGPA_HOME, which is set, still comes first)."
                                                           if _env_home() else "."))
    elif home != paths.data_dir():
        print(f"Open it with: lmgpa --home {home}   (or run import-all with --use, or choose it in Settings)")
    return 0


def _env_home() -> bool:
    import os

    return bool(os.environ.get("LMGPA_HOME"))
