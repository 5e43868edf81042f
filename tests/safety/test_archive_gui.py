"""Export everything / Import everything in the window: the export is a job that says where the file went, the import
runs off the UI thread, offers to open the new profile from the next start, and says plainly when it refuses."""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from lmgpa_desktop import paths
from lmgpa_desktop.core.safety import archive
from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.safety import archive_actions


def drain(steps):
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def test_export_everything_runs_as_a_job_and_says_where_the_archive_is(qtbot, ctx, tmp_path, monkeypatch):
    widget = QWidget()
    qtbot.addWidget(widget)
    target = tmp_path / "everything.zip"
    monkeypatch.setattr(archive_actions, "choose_export_file", lambda parent: target)
    runner = JobRunner(ctx)
    runner.start()
    try:
        job_id = archive_actions.export_everything(widget, ctx, runner)
        qtbot.waitUntil(lambda: widget.findChild(QMessageBox, "exportEverythingResult") is not None, timeout=60_000)
    finally:
        runner.stop()
    box = widget.findChild(QMessageBox, "exportEverythingResult")
    assert str(target) in box.text() and ctx.jobs.get(job_id).state == "done"
    assert "manifest.json" in zipfile.ZipFile(target).namelist()
    monkeypatch.setattr(archive_actions, "choose_export_file", lambda parent: None)  # the student closed the dialog
    assert archive_actions.export_everything(widget, ctx, runner) is None


def test_import_everything_runs_off_the_ui_thread_and_offers_the_new_profile(qtbot, ctx, tmp_path, monkeypatch):
    source = drain(archive.export_all(ctx, tmp_path / "everything.zip"))
    config = tmp_path / "config.json"
    monkeypatch.setattr(paths, "config_file", lambda: config)
    monkeypatch.delenv("LMGPA_HOME")
    threads = []
    real = archive.import_all

    def watched(*args):
        threads.append(threading.current_thread())
        return (yield from real(*args))

    monkeypatch.setattr(archive, "import_all", watched)
    monkeypatch.setattr(archive_actions, "choose_archive", lambda parent: source)
    monkeypatch.setattr(archive_actions, "choose_new_folder", lambda parent: tmp_path / "new laptop")
    widget = QWidget()
    qtbot.addWidget(widget)
    run = archive_actions.import_everything(widget)
    qtbot.waitUntil(lambda: run.box is not None, timeout=60_000)
    assert run.result == tmp_path / "new laptop" and archive.holds_profile(run.result)
    assert threads and threads[0] is not threading.main_thread()
    assert run.box.objectName() == "importEverythingDone" and str(run.result) in run.box.text()
    run.use_button.click()
    assert json.loads(config.read_text())["data_dir"] == str(tmp_path / "new laptop")


def test_a_refused_import_is_told_and_writes_nothing(qtbot, tmp_path, monkeypatch):
    bad = tmp_path / "holiday-photos.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../../evil.txt", b"x")
    monkeypatch.setattr(archive_actions, "choose_archive", lambda parent: bad)
    monkeypatch.setattr(archive_actions, "choose_new_folder", lambda parent: tmp_path / "profile")
    widget = QWidget()
    qtbot.addWidget(widget)
    run = archive_actions.import_everything(widget)
    qtbot.waitUntil(lambda: run.box is not None, timeout=60_000)
    assert run.box.objectName() == "importEverythingFailed"
    assert "not a Little Monster GPA archive" in run.box.text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["holiday-photos.zip"]
    assert not Path(tmp_path.parent / "evil.txt").exists()


def test_cancel_in_the_progress_dialog_stops_the_import_and_keeps_nothing(qtbot, ctx, tmp_path):
    source = drain(archive.export_all(ctx, tmp_path / "everything.zip"))
    widget = QWidget()
    qtbot.addWidget(widget)
    run = archive_actions.ImportRun(widget, source, tmp_path / "profile")
    run.dialog.canceled.emit()  # the dialog's Cancel button
    run.start()
    qtbot.waitUntil(lambda: run.box is not None, timeout=60_000)
    assert run.box.windowTitle() == "Import cancelled" and not (tmp_path / "profile").exists()
    assert not [p for p in tmp_path.iterdir() if "importing" in p.name]
