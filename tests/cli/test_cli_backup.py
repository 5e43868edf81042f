"""`lmgpa backup [list|verify [ID]|restore ID] [--json]`, run in-process."""

from __future__ import annotations

import json
import shutil

from lmgpa_desktop import paths
from lmgpa_desktop.cli import main


def _json(capsys, *argv) -> tuple[int, object]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_back_up_list_verify_and_restore(home, migrated_database, capsys):
    home.mkdir(parents=True)
    shutil.copyfile(migrated_database, paths.database_path(home))
    lecture = paths.media_dir(home) / "recordings" / "r1" / "lecture.flac"
    lecture.parent.mkdir(parents=True)
    lecture.write_bytes(b"fLaC lecture")

    assert main(["backup"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Backed up: ") and "1 media files recorded" in out

    code, listed = _json(capsys, "backup", "list")
    assert code == 0 and len(listed) == 1
    made = listed[0]
    assert made["reason"] == "manual" and made["verified"] is True and made["media_files"] == 1
    assert main(["backup", "list"]) == 0
    table = capsys.readouterr().out
    assert made["id"] in table and "ok" in table

    code, checked = _json(capsys, "backup", "verify")
    assert code == 0 and [c["id"] for c in checked] == [made["id"]] and checked[0]["verified"] is True

    lecture.unlink()
    code, restored = _json(capsys, "backup", "restore", made["id"])
    assert code == 0 and restored["database"] == str(paths.database_path(home))
    assert "backed up first" in restored["summary"] and lecture.read_bytes() == b"fLaC lecture"
    code, listed = _json(capsys, "backup", "list")
    assert sorted(b["reason"] for b in listed) == ["before-restore", "manual"]


def test_a_damaged_backup_fails_verify_and_an_unknown_id_is_one_line(home, migrated_database, capsys):
    home.mkdir(parents=True)
    shutil.copyfile(migrated_database, paths.database_path(home))
    assert main(["backup"]) == 0
    capsys.readouterr()
    [zst] = paths.backups_dir(home).glob("*.sqlite3.zst")
    zst.write_bytes(zst.read_bytes()[:200])  # cut short

    assert main(["backup", "verify"]) == 1
    assert capsys.readouterr().out.startswith("DAMAGED ")
    assert main(["backup", "restore", "20990101-000000-manual"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "lmgpa: error: There is no backup '20990101-000000-manual'; `lmgpa backup list` shows them."
