"""The command line: version without a display, one-line errors, jobs and backup."""

from __future__ import annotations

import os
import subprocess

from support import lmgpa_cmd


def _run(*args, env=None, timeout=120):
    return subprocess.run(lmgpa_cmd(*args), capture_output=True, text=True, timeout=timeout, env=env)


def test_version_works_without_a_display(home):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = _run("--version", env=env)
    assert out.returncode == 0 and out.stdout.strip() == "lmgpa 0.1.0"


def test_backup_runs_as_a_job_and_is_listed(home):
    out = _run("backup")
    assert out.returncode == 0, out.stderr
    path = out.stdout.strip().splitlines()[-1]
    assert os.path.isfile(path)
    listing = _run("jobs")
    assert "done" in listing.stdout and "backup" in listing.stdout


def test_user_errors_print_one_line_and_exit_non_zero(home):
    out = _run("jobs", "cancel")
    assert out.returncode == 1
    assert out.stderr.strip() == "lmgpa: error: jobs cancel needs a job id"


def test_damaged_database_is_one_clear_line(home):
    home.mkdir(parents=True)
    (home / "lmgpa.sqlite3").write_bytes(b"garbage" * 1000)
    out = _run("jobs")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "damaged" in lines[0] and "Traceback" not in out.stderr


def test_unknown_subcommand_is_rejected_by_the_parser(home):
    out = _run("frobnicate")
    assert out.returncode == 2 and "invalid choice" in out.stderr
