"""A file given on the command line (`lmgpa deck.apkg`, a double-click in the file manager): import the Anki deck."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from lmgpa_desktop.core.study.anki.importing import SUFFIXES


def open_anki_file(window, path: Path) -> list[int]:
    """Show Review and queue the same import job its Import button does; a bad file gets a message, not a crash."""
    window.show_area("review")
    page = window.pages["review"]
    jobs = page.import_files([Path(path)])  # refused files are said on the page's message line too
    if jobs:
        window.statusBar().showMessage(f"Importing {Path(path).name}…", 10_000)
        if window.jobs_panel is not None:
            window.jobs_panel.show()
    else:
        box = QMessageBox(QMessageBox.Icon.Warning, "This file cannot be opened",
                          f"{page.message.text()}\n\nLittle Monster GPA opens Anki decks ({', '.join(SUFFIXES)}). "
                          "Other files go in through Library → Add files.", QMessageBox.StandardButton.Ok, window)
        window.open_file_message = box  # kept for the tests; open() does not block the event loop
        box.open()
    return jobs
