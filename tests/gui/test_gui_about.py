"""Settings → About: the self-test runs as a job with progress and Cancel, and shows its table with failures marked."""

from __future__ import annotations

import pytest

from lmgpa_desktop.ui.shell.about_box import AboutBox

# The models take seconds each; this test looks at the box, so it leaves them out (tests/test_self_test.py runs all).
HEAVY = ["tts", "embedder", "llm"]


@pytest.fixture
def about(qtbot, ctx, started_runner):
    box = AboutBox(ctx, started_runner)
    qtbot.addWidget(box)
    box.resize(900, 700)
    box.show()
    return box


def test_about_shows_version_data_folder_and_where_the_app_is(about, ctx):
    import lmgpa_desktop

    texts = " ".join(label.text() for label in about.findChildren(type(about.status)))
    assert lmgpa_desktop.__version__ in texts
    assert str(ctx.home) in texts
    assert "From source in" in texts  # run from the checkout, not the bundle
    assert "Licences" in texts


def test_run_self_test_shows_the_table_with_the_failure_marked(about, ctx, qtbot, tmp_path):
    ctx.settings.set("models.whisper", str(tmp_path / "gone"))  # a model folder deleted since it was chosen

    about.run_self_test(skip=HEAVY)
    assert about.progress.isVisible() and about.cancel_button.isVisible() and not about.run_button.isEnabled()
    qtbot.waitUntil(lambda: about.table.isVisible(), timeout=120_000)

    table = about.table
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert list(rows) == ["disk", "sqlite", "sqlite-vec", "pdf", "audio-decode", "ocr", "keyring", "audio-devices",
                          "whisper", "qt-platform", "media-player", "qt-charts", "svg-icon"]
    assert [table.horizontalHeaderItem(c).text() for c in range(4)] == ["Check", "Result", "Seconds", "Detail"]
    for name in ("sqlite", "sqlite-vec", "pdf", "audio-decode", "ocr", "qt-charts", "svg-icon"):
        assert table.item(rows[name], 1).text() == "ok", table.item(rows[name], 3).text()
    failed = rows["whisper"]
    assert table.item(failed, 1).text() == "FAILED"
    assert table.item(failed, 1).font().bold()
    assert table.item(failed, 1).foreground().color().name() == "#d32f2f"
    assert "gone" in table.item(failed, 3).text()
    assert "1 failed (whisper)" in about.status.text()
    assert not about.progress.isVisible() and about.run_button.isEnabled()


def test_cancel_stops_the_self_test(about, qtbot):
    job_id = about.run_self_test(skip=HEAVY + ["whisper"])
    about.cancel_button.click()

    qtbot.waitUntil(lambda: about.run_button.isEnabled(), timeout=60_000)
    assert about.status.text() == "Self-test cancelled."
    assert about.runner.ctx.jobs.get(job_id).state == "cancelled"
    assert not about.table.isVisible() and not about.cancel_button.isVisible()
