"""Entry point of the frozen `lmgpa` executable (PyInstaller starts here, not at the console script)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # A child started by multiprocessing in the bundle re-runs this executable: let it become the child.
    multiprocessing.freeze_support()
    from lmgpa_desktop.cli import main

    sys.exit(main())
