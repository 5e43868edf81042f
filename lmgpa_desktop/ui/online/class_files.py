"""Files of assignments and hand-ins on the Classes page: saved from the server off the UI thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog

from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.online.online_status import field

ALL_FILES = "All files, into a folder…"


def saved_files(obj) -> list[dict]:
    """The attachments of an assignment or submission that are on the server (a pending one has no id yet)."""
    return [f for f in field(obj, "attachments") or [] if field(f, "id")]


class ClassFiles:
    """Mixin for the Classes page: save an assignment's or a hand-in's files (network lane)."""

    def _download(self, files: list[dict], target: str, folder: bool = False) -> None:
        """Fetch files from the server off the UI thread into target (a file path, or a folder to keep names in)."""
        ids = [str(field(f, "id")) for f in files]
        names = [field(f, "file_name", "") or "file" for f in files]
        self.message.setText(f"Downloading {', '.join(names)}…")

        def fn():
            if folder:
                try:
                    Path(target).mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise OSError(f"cannot make the folder {target}: {exc.strerror or exc}") from exc
            return [self.service.download_attachment(i, target) for i in ids]

        def done(result):
            if isinstance(result, Exception):
                self.message.setText(plain_message(result))  # no command lines
                return
            where = target if folder else str(result[0])
            self.message.setText(f"Saved {', '.join(names)} to {where}.")

        self._in_background(fn, done, lane="network")

    def _save(self, files: list[dict], index: int | None, path: str, what: str) -> None:
        if not files:
            self.message.setText(f"{what} has no files to save.")
        elif index is None:
            self._download(files, path, folder=True)  # the files keep their own names in the folder
        elif 0 <= index < len(files):
            self._download([files[index]], path)
        else:
            self.message.setText(f"{what} has no file number {index + 1}.")

    def save_assignment_file(self, index: int | None, path: str) -> None:
        """Save the selected assignment's file number index to path, or (index None) all its files into folder path."""
        self._save(saved_files(self.current_assignment()), index, path, "This assignment")

    def save_submission_file(self, path: str, index: int | None = 0) -> None:
        """Save the selected hand-in's file number index to path, or (index None) all its files into folder path."""
        self._save(saved_files(self.current_submission()), index, path, "This hand-in")

    def _ask_target(self, files: list[dict], what: str) -> tuple[int | None, str] | None:
        """Ask which file (or all, into a folder) and where; None when the user cancels."""
        index: int | None = 0
        if len(files) > 1:
            names = [field(f, "file_name", "") or f"file {n + 1}" for n, f in enumerate(files)]
            choice, ok = QInputDialog.getItem(self, "Save file", f"Which file of {what}?", names + [ALL_FILES], 0,
                                              False)
            if not ok:
                return None
            index = None if choice == ALL_FILES else names.index(choice)
        if index is None:
            path = QFileDialog.getExistingDirectory(self, f"Save all the files of {what} into")
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Save file", field(files[index], "file_name", "") or "")
        return (index, path) if path else None

    def _choose_save_assignment_file(self) -> None:
        a = self.current_assignment()
        files = saved_files(a)
        chosen = self._ask_target(files, f"“{field(a, 'title', '')}”") if files else None
        if chosen is not None:
            self.save_assignment_file(*chosen)

    def _choose_save_submission_file(self) -> None:
        files = saved_files(self.current_submission())
        chosen = self._ask_target(files, "this hand-in") if files else None
        if chosen is not None:
            self.save_submission_file(chosen[1], chosen[0])
