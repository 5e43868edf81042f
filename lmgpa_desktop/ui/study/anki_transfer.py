"""Anki import and export as jobs: pick the file, queue the job, say what it did."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from lmgpa_desktop.core.study.anki import importing as anki_import
from lmgpa_desktop.ui.kit.plain_errors import plain_message


class AnkiTransfer(QObject):
    """Queues deck.import and deck.export jobs on the runner and reports when they finish."""

    message = Signal(str)
    imported = Signal()  # new decks and cards are in

    def __init__(self, runner, parent: QWidget):
        super().__init__(parent)
        self.runner = runner
        self.window = parent  # where the file dialogs open
        runner.finished.connect(self._job_finished)

    def choose_import(self) -> None:
        """Pick an Anki file to import."""
        name, _ = QFileDialog.getOpenFileName(self.window, "Import Anki deck", str(Path.home()),
                                              "Anki decks (*.apkg *.colpkg *.anki2);;All files (*)")
        if name:
            self.import_files([Path(name)])

    def import_files(self, files: list[Path]) -> list[int]:
        """Queue an import job per file."""
        jobs, refused = [], []
        for f in files:
            try:
                anki_import.check_importable(f)
            except ValueError as exc:
                refused.append(str(exc))
                continue
            jobs.append(self.runner.submit("deck.import", {"path": str(Path(f).resolve())}, f"Import {f.name}"))
        self.message.emit("; ".join(refused) if refused else f"Importing {len(jobs)} file(s)…")
        return jobs

    def choose_export(self, deck_id: int, deck_name: str) -> None:
        """Pick where to write a deck."""
        safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in deck_name).strip() or "deck"
        path, _ = QFileDialog.getSaveFileName(self.window, "Export deck", str(Path.home() / f"{safe}.apkg"),
                                              "Anki package (*.apkg)")
        if path:
            self.export_deck(deck_id, Path(path), deck_name)

    def export_deck(self, deck_id: int, path: Path, deck_name: str) -> int:
        """Queue an export job."""
        job = self.runner.submit("deck.export", {"deck_id": deck_id, "path": str(path)}, f"Export {deck_name}")
        self.message.emit(f"Exporting to {path}…")
        return job

    def _job_finished(self, job) -> None:
        if job.kind not in ("deck.import", "deck.export"):
            return
        if job.state != "done":
            self.message.emit(f"{job.title} failed: {plain_message(job.error or job.state)}")
        elif job.kind == "deck.import":
            r = job.result
            self.message.emit(f"Imported {r['notes']} notes ({r['cards_added']} new cards, "
                              f"{r['cards_updated']} updated, {r['media']} media files) into "
                              f"{', '.join(r['decks'])}.")
            self.imported.emit()
        else:
            self.message.emit(f"Exported {job.result['notes']} notes to {job.result['path']}.")
