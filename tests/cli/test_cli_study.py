"""`lmgpa notes|flashcards|quiz|pending|accept|reject|test|tests` run as a student would, in a subprocess, on
the shared Think Python chapters with the real models: JSON output, source links, review, taking a test."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from support import SHARED, lmgpa_cmd

pytestmark = pytest.mark.slow
PDF = SHARED / "documents" / "pdf" / "thinkpython2_ch01-02.pdf"


def lmgpa(home, *args: str, stdin: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "LMGPA_HOME": str(home)}
    return subprocess.run(lmgpa_cmd(*args), capture_output=True, text=True, timeout=timeout, env=env, input=stdin,
                          check=False)


def ok_json(home, *args: str, **kw):
    run = lmgpa(home, *args, "--json", **kw)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A profile with the PDF imported and indexed through `lmgpa import`; (home, source id)."""
    home = tmp_path_factory.mktemp("cli_study") / "home"
    run = lmgpa(home, "import", str(PDF))
    assert run.returncode == 0, run.stderr
    return home, int(run.stdout.split()[0])


def _linked(item: dict, source_id: int) -> None:
    src = item["source"]
    assert src["source_id"] == source_id and 1 <= src["page"] <= 16 and src["start_s"] is None
    assert src["quote"] and src["location"].endswith(f"page {src['page']}")


@pytest.fixture(scope="module")
def quiz(book):
    home, sid = book
    return ok_json(home, "quiz", str(sid), "--count", "3")


def test_quiz_prints_questions_with_their_source_pending_review(book, quiz):
    home, sid = book
    assert quiz["what"] == "quiz" and not quiz["accepted"] and quiz["test"]["status"] == "draft"
    assert len(quiz["questions"]) == quiz["test"]["pending"] == 3 and quiz["stats"]["llm_tried"] >= 2
    for q in quiz["questions"]:
        assert q["status"] == "pending" and q["kind"] in ("mcq", "tf", "short") and q["answer"]
        _linked(q, sid)
    pending = ok_json(home, "pending")
    assert [t["id"] for t in pending["tests"]] == [quiz["test"]["id"]]
    assert {q["id"] for q in pending["tests"][0]["questions"]} == {q["id"] for q in quiz["questions"]}


def test_flashcards_accepted_at_once_and_notes_rejected(book):
    home, sid = book
    cards = ok_json(home, "flashcards", str(sid), "--count", "3", "--no-llm", "--accept")
    assert len(cards["cards"]) == 3 and all(c["status"] == "active" for c in cards["cards"])
    for c in cards["cards"]:
        _linked(c, sid)
        assert c["deck_id"] == cards["deck_id"] and c["front"]
    text = lmgpa(home, "flashcards", str(sid), "--count", "2", "--no-llm")
    assert text.returncode == 0, text.stderr
    assert text.stdout.count("[card ") == 2 and f"source {sid}, “" in text.stdout and "pending review" in text.stdout

    notes = ok_json(home, "notes", str(sid), "--no-llm")
    note = notes["note"]
    assert note["status"] == "pending" and note["body_md"].startswith("# Notes: ") and note["references"]
    for ref in note["references"]:
        _linked({"source": ref}, sid)
    assert lmgpa(home, "reject", "note", str(note["id"])).returncode == 0
    pending = ok_json(home, "pending")
    assert pending["notes"] == [] and len(pending["cards"]) == 2
    assert lmgpa(home, "reject", "note", str(note["id"])).returncode == 1  # nothing left to reject


def test_taking_a_test_from_a_file_and_from_the_terminal(book, quiz):
    home, sid = book
    test_id = quiz["test"]["id"]
    early = lmgpa(home, "test", str(test_id))
    assert early.returncode == 1 and "accept" in early.stderr  # still waiting for review
    assert lmgpa(home, "accept", "test", str(test_id)).returncode == 0
    questions = quiz["questions"]
    answers = {str(q["id"]): q["answer"] for q in questions}
    missed = questions[0]
    answers[str(missed["id"])] = "False" if missed["answer"] == "True" else "zebra crossing"
    path = home / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = ok_json(home, "test", str(test_id), "--answers-file", str(path), "--no-llm")
    assert (result["score"], result["max_score"]) == (2.0, 3.0) and result["percent"] == 66.7
    assert result["wrong"] == [missed["id"]]
    wrong = next(i for i in result["items"] if i["question_id"] == missed["id"])
    assert wrong["correct"] is False and wrong["expected"] == missed["answer"] and wrong["reason"]
    _linked(wrong, sid)

    typed = "\n".join(q["answer"] for q in questions[:2]) + "\n"  # the last question is left unanswered
    run = lmgpa(home, "test", str(test_id), "--no-llm", stdin=typed)
    assert run.returncode == 0, run.stderr
    assert "score: 2 / 3 (67%)" in run.stdout and questions[2]["prompt"] in run.stdout
    assert f"source {sid}, “" in run.stdout and "your answer: (none)" in run.stdout

    listed = ok_json(home, "tests")
    row = next(t for t in listed if t["id"] == test_id)
    assert row["status"] == "ready" and row["questions"] == 3 and row["pending"] == 0
    assert sorted((a["score"], a["max_score"]) for a in row["attempts"]) == [(2.0, 3.0), (2.0, 3.0)]
    assert all(a["finished"] for a in row["attempts"])


def test_unknown_sources_and_tests_are_one_line_errors(book):
    home, _ = book
    for args in (("quiz", "999"), ("notes", "999"), ("test", "999"), ("flashcards", "1", "--count", "0")):
        run = lmgpa(home, *args)
        assert run.returncode == 1 and run.stderr.startswith("lmgpa: error: ") and run.stderr.count("\n") == 1, \
            (args, run.stderr)
