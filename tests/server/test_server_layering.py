"""The sync server's layering contracts in .importlinter-server hold (import-linter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import ROOT


def test_server_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), ".importlinter-server"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: 5 kept, 0 broken" in out.stdout
