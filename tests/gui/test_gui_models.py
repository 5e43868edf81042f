"""Settings → Models lists the language-model catalogue; Install asks first, then queues a job with progress."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QMessageBox, QPlainTextEdit

from lmgpa_desktop.core.models import gguf_packages


@pytest.fixture
def page(qtbot, ctx, monkeypatch):
    from lmgpa_desktop.ui.kit.job_runner import JobRunner
    from lmgpa_desktop.ui.shell.settings_page import SettingsPage

    # One entry that is certainly not installed (its part modules do not exist), whatever this machine holds.
    absent = dataclasses.replace(gguf_packages.CATALOGUE["qwen2.5-coder-1.5b"], name="absent-test-model",
                                 title="Absent test model", requirements=("absent-test-model-part1==1.0",),
                                 modules=("absent_test_model_part1",), default=False)
    monkeypatch.setitem(gguf_packages.CATALOGUE, absent.name, absent)
    runner = JobRunner(ctx)  # workers not started: a queued job stays queued, nothing is downloaded
    settings = SettingsPage(ctx, runner)
    qtbot.addWidget(settings)
    return settings


def test_the_catalogue_shows_every_model_with_size_and_status(page):
    texts = [page.catalogue.itemText(i) for i in range(page.catalogue.count())]
    assert len(texts) == len(gguf_packages.CATALOGUE)
    default = next(t for t in texts if "0.5B" in t)
    assert "468.6 MB" in default and "in use" in default and "bundled" in default
    larger = next(t for t in texts if "1.5B" in t)
    assert "1.0 GB" in larger
    assert page.catalogue.currentData() == "qwen2.5-coder-0.5b"  # the model in use is selected
    assert not page.install_button.isEnabled() and not page.use_button.isEnabled()  # installed and in use
    assert "Qwen2.5-Coder 0.5B" in page.model_rows["llm"]["name"].text()
    assert "SHA-256 verified" in page.model_rows["llm"]["where"].text()


def test_install_asks_with_the_size_and_only_then_queues_a_job(page, ctx, monkeypatch):
    asked = []

    def answer(reply):
        def question(parent, title, text, *args, **kwargs):
            asked.append(text)
            return reply
        return question

    page.catalogue.setCurrentIndex(page.catalogue.findData("absent-test-model"))
    assert page.install_button.isEnabled() and not page.use_button.isEnabled()

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    page.install_button.click()
    assert "1.0 GB" in asked[-1] and "Absent test model" in asked[-1]
    assert not [j for j in ctx.jobs.recent() if j.kind == "models.install"]  # "No" installs nothing
    assert page.install_progress.isHidden()

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    page.install_button.click()
    job = next(j for j in ctx.jobs.recent() if j.kind == "models.install")
    assert job.payload == {"name": "absent-test-model"} and job.state == "queued"  # never switches by itself
    assert not page.install_progress.isHidden() and not page.install_cancel.isHidden()
    assert not page.install_button.isEnabled()

    page.install_cancel.click()
    assert ctx.jobs.get(job.id).state == "cancelled"
    assert page.install_progress.isHidden() and "cancelled" in page.catalogue_status.text()
    assert page.install_button.isEnabled()


def test_the_licence_and_attribution_are_shown(page):
    page.licence_button.click()
    text = page._licence_dialog.findChild(QPlainTextEdit).toPlainText()
    assert "Alibaba Cloud" in text and "Apache License" in text
    page._licence_dialog.close()
