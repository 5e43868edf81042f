"""lmgpa_desktop.frozen: source vs PyInstaller bundle, and the commands the bundle does not carry."""

import argparse
import sys
import types

import pytest

from lmgpa_desktop import frozen
from lmgpa_desktop.cli import commands_app
from lmgpa_desktop.core.errors import UserError


@pytest.fixture
def in_bundle(monkeypatch, tmp_path):
    """Pretend to run from a one-folder bundle whose _internal/ is tmp_path (what PyInstaller's bootloader sets)."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    return tmp_path


def test_from_source_not_frozen():
    assert frozen.is_frozen() is False
    assert frozen.bundle_dir() is None


def test_in_bundle_dir_is_meipass(in_bundle):
    assert frozen.is_frozen() is True
    assert frozen.bundle_dir() == in_bundle


def test_server_says_it_is_not_in_the_bundle(in_bundle, monkeypatch):
    # Were the check missing, the command would return here instead of starting a real server.
    monkeypatch.setitem(sys.modules, "sync_server.main", types.SimpleNamespace(main=lambda args: 0))
    with pytest.raises(UserError, match="sync server is not part of the desktop app.*deploy-server"):
        commands_app.cmd_server(argparse.Namespace(server_args=[]))


def test_bench_says_it_ships_with_the_source(in_bundle):
    with pytest.raises(UserError, match="benchmarks ship with the source only"):
        commands_app.cmd_bench(argparse.Namespace(names=[], all=False))
