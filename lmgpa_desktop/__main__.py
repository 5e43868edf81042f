"""Allow `python -m lmgpa_desktop`."""

from lmgpa_desktop.cli import main

raise SystemExit(main())
