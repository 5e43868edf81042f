"""`lmgpa account|classes|groups|outbox|sync` against the real sync server (uvicorn on a loopback port)."""

from __future__ import annotations

import json
import os
import subprocess

from support import lmgpa_cmd
from online_support import email
from server_fixtures import PASSWORD

from lmgpa_desktop.cli import main
from sync_server import models


def lmgpa(capsys, home, *args, password: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """Run the CLI in this process (so it sees the test keyring); (exit code, stdout, stderr)."""
    if password is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    code = main(["--home", str(home), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_teacher_and_student_work_through_the_cli(live_server, dict_keyring, tmp_path, capsys,
                                                  monkeypatch):
    teacher, student = tmp_path / "teacher", tmp_path / "student"
    t_mail, s_mail = email("teacher"), email("student")
    code, out, _ = lmgpa(capsys, teacher, "account", "signup", "--server", live_server.url, "--email", t_mail,
                         "--name", "Ms Frizzle", "--role", "teacher", "--password-stdin", "--json",
                         password=PASSWORD, monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["token_storage"] == "keyring"
    code, out, _ = lmgpa(capsys, teacher, "account", "status")
    assert code == 0 and "Ms Frizzle" in out and "saved in the system keyring" in out

    live_server.stop()  # the class is created offline
    code, out, _ = lmgpa(capsys, teacher, "classes", "create", "Astronomy", "--subject", "Science")
    assert code == 0 and "Queued #1" in out
    code, out, _ = lmgpa(capsys, teacher, "classes", "list")
    assert "Astronomy" in out and "(waiting to send)" in out
    code, out, _ = lmgpa(capsys, teacher, "sync")
    assert code == 1 and "offline" in out and "waiting 1" in out
    code, out, _ = lmgpa(capsys, teacher, "outbox", "--json")
    assert [(i["action"], i["state"]) for i in json.loads(out)] == [("create_class", "pending")]

    live_server.start()
    code, out, _ = lmgpa(capsys, teacher, "sync")
    assert code == 0 and "sent 1" in out
    assert live_server.count(models.SchoolClass) == 1
    code, out, _ = lmgpa(capsys, teacher, "classes", "--json")
    astronomy = json.loads(out)[0]
    assert astronomy["name"] == "Astronomy" and astronomy["pending"] is False and astronomy["join_code"]
    code, out, _ = lmgpa(capsys, teacher, "classes", "assignments", astronomy["id"], "--add", "Star chart",
                         "--due", "2031-03-01T10:00", "--points", "25")
    assert code == 0 and "Queued" in out
    assert lmgpa(capsys, teacher, "sync")[0] == 0

    code, out, _ = lmgpa(capsys, student, "account", "signup", "--server", live_server.url, "--email", s_mail,
                         "--name", "Arnold", "--password-stdin", password=PASSWORD, monkeypatch=monkeypatch)
    assert code == 0
    lmgpa(capsys, student, "classes", "join", astronomy["join_code"])
    lmgpa(capsys, student, "groups", "create", "Stargazers")
    assert lmgpa(capsys, student, "sync")[0] == 0
    code, out, _ = lmgpa(capsys, student, "classes", "assignments", astronomy["id"], "--json")
    chart = json.loads(out)[0]
    assert chart["title"] == "Star chart" and chart["points_possible"] == 25 and chart["my_status"] == "none"
    code, out, _ = lmgpa(capsys, student, "classes", "submit", chart["id"], "--text", "Orion is at ...")
    assert code == 0
    code, out, _ = lmgpa(capsys, student, "groups", "--json")
    group = json.loads(out)[0]
    lmgpa(capsys, student, "groups", "send", group["id"], "anyone up for Thursday?")
    code, out, _ = lmgpa(capsys, student, "groups", "messages", group["id"])
    assert "anyone up for Thursday?  (waiting to send)" in out
    assert lmgpa(capsys, student, "sync")[0] == 0
    code, out, _ = lmgpa(capsys, student, "groups", "messages", group["id"])
    assert "Arnold: anyone up for Thursday?" in out and "waiting" not in out
    assert live_server.count(models.Submission) == 1 and live_server.count(models.Message) == 1

    code, out, _ = lmgpa(capsys, student, "deadlines", "--json")
    assert [(d["title"], d["class"]) for d in json.loads(out)] == [("Star chart", "Astronomy")]
    code, out, _ = lmgpa(capsys, student, "account", "devices", "--json")
    assert len(json.loads(out)) == 1 and json.loads(out)[0]["current"] is True

    code, out, err = lmgpa(capsys, student, "classes", "join", "")
    assert code == 1 and "class code" in err
    code, out, _ = lmgpa(capsys, student, "account", "signout")
    assert code == 0 and "Not signed in" in out
    code, out, err = lmgpa(capsys, student, "groups", "create", "Nope")
    assert code == 1 and "sign in" in err


def test_wrong_password_and_unreachable_server_are_one_line_errors(live_server, dict_keyring, tmp_path,
                                                                   capsys, monkeypatch):
    home = tmp_path / "p"
    address = email("student")
    lmgpa(capsys, home, "account", "signup", "--server", live_server.url, "--email", address, "--name", "A",
          "--password-stdin", password=PASSWORD, monkeypatch=monkeypatch)
    code, _, err = lmgpa(capsys, home, "account", "signin", "--server", live_server.url, "--email", address,
                         "--password-stdin", password="wrong password entirely", monkeypatch=monkeypatch)
    assert code == 1 and err.startswith("lmgpa: error:") and len(err.strip().splitlines()) == 1
    live_server.stop()
    code, _, err = lmgpa(capsys, home, "account", "devices")
    assert code == 1 and "cannot be reached; your work is saved" in err
    live_server.start()


def test_a_computer_without_a_keyring_says_so(live_server, tmp_path):
    """A real `lmgpa` process on this headless machine (no keyring backend): the token stays in memory only."""
    home = tmp_path / "p"
    HEADLESS = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    run = subprocess.run(lmgpa_cmd("--home", str(home), "account", "signup", "--server", live_server.url, "--email",
                                   email("student"), "--name", "Headless", "--password-stdin", "--json"),
                         input=PASSWORD + "\n", capture_output=True, text=True,
                         env=HEADLESS, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["token_storage"] == "memory"
    later = subprocess.run(lmgpa_cmd("--home", str(home), "account", "status"), capture_output=True, text=True,
                           env=HEADLESS, check=False)
    assert later.returncode == 0 and "expired" in later.stdout and "sign in again" in later.stdout
