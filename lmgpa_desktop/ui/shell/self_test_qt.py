"""The self-test's Qt checks: platform plugin, media player, charts and SVG icons, each used for real."""

# These run on the UI thread (Qt objects belong to the thread that made them) and need a QApplication; the CLI
# makes an offscreen one through ensure_app(). Each is quick; the media player waits at most MEDIA_WAIT_MS.

from __future__ import annotations

import os

from PySide6.QtCore import QEventLoop, QLibraryInfo, QTimer, QUrl
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPainter
from PySide6.QtWidgets import QApplication

from lmgpa_desktop import paths
from lmgpa_desktop.core.self_test import Check, CheckWarning

NAMES = ("qt-platform", "media-player", "qt-charts", "svg-icon")
MEDIA_WAIT_MS = 10_000


def ensure_app() -> QApplication:
    """The running QApplication, or a new one (offscreen when there is no display)."""
    app = QApplication.instance()
    if app is None:
        if not os.environ.get("QT_QPA_PLATFORM") and not (os.environ.get("DISPLAY")
                                                          or os.environ.get("WAYLAND_DISPLAY")):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QApplication(["lmgpa", "--self-test"])
    return app


def checks(skip=()) -> list[Check]:
    """The Qt checks, in the order they run."""
    made = {"qt-platform": check_platform, "media-player": check_media_player, "qt-charts": check_qt_charts,
            "svg-icon": check_svg_icon}
    return [Check(name, made[name]) for name in NAMES if name not in set(skip)]


def _plugins(kind: str) -> list[str]:
    """File names of the Qt plugins of one kind (platforms, multimedia, imageformats...)."""
    folder = os.path.join(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath), kind)
    try:
        return sorted(name for name in os.listdir(folder) if name.endswith((".so", ".dll", ".dylib")))
    except OSError:
        return []


def check_platform() -> str:
    """The platform plugin Qt started with, and the others it could use."""
    name = QGuiApplication.platformName()
    if not name:
        raise RuntimeError("Qt started without a platform plugin")
    others = ", ".join(p.removeprefix("libq").rsplit(".", 1)[0] for p in _plugins("platforms"))
    return f"Qt {QLibraryInfo.version().toString()} on '{name}' (platform plugins: {others or 'none found'})"


def check_media_player() -> str:
    """QtMultimedia: a media player with an audio output loads the sample lecture and knows its length."""
    from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer

    path = paths.resource("samples", "sample_lecture.ogg")
    if not path.is_file():
        raise FileNotFoundError(f"the bundled sample lecture is missing: {path}")
    found = [p.removeprefix("lib").split("mediaplugin")[0] for p in _plugins("multimedia")]
    backend = os.environ.get("QT_MEDIA_BACKEND") or (found[0] if len(found) == 1 else "default")
    plugins = ", ".join(found) or "none found"
    player = QMediaPlayer()
    if not player.isAvailable():  # no backend plugin could be loaded (its libraries are missing)
        raise RuntimeError(f"no QtMultimedia backend could be loaded (plugins: {plugins}): audio cannot play")
    output = QAudioOutput()
    player.setAudioOutput(output)
    errors: list[str] = []
    loop = QEventLoop()
    done = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.InvalidMedia)
    player.mediaStatusChanged.connect(lambda status: loop.quit() if status in done else None)
    player.errorOccurred.connect(lambda _e, text: (errors.append(text), loop.quit()))
    timer = QTimer()  # owned here and stopped below, so it never fires on a loop that is gone
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(MEDIA_WAIT_MS)
    player.setSource(QUrl.fromLocalFile(str(path)))
    if player.mediaStatus() not in done and not errors:
        loop.exec()
    timer.stop()
    status, duration = player.mediaStatus(), player.duration()
    player.stop()
    player.setSource(QUrl())
    if errors or status != QMediaPlayer.MediaStatus.LoadedMedia or duration <= 0:
        reason = errors[0] if errors else f"status {status.name} after {MEDIA_WAIT_MS // 1000} s"
        raise RuntimeError(f"the sample lecture did not load: {reason} (backend {backend}; plugins: {plugins})")
    speaker = QMediaDevices.defaultAudioOutput().description()
    detail = f"sample lecture loaded, {duration / 1000:.0f} s (backend {backend}; plugins: {plugins})"
    if not speaker:
        raise CheckWarning(detail + "; no sound output device found: playback will be silent")
    return detail + f"; output: {speaker}"


def check_qt_charts() -> str:
    """QtCharts (the Progress page): a line chart of a week drawn into an image."""
    # PDFs are read and drawn by pypdfium2 (the "pdf" check); the app has no QtPdf viewer, so the bundle leaves it out.
    from PySide6.QtCharts import QChart, QChartView, QLineSeries

    series = QLineSeries()
    for day, cards in enumerate((3, 8, 5, 13, 9, 21, 17)):
        series.append(day, cards)
    chart = QChart()
    chart.addSeries(series)
    chart.createDefaultAxes()
    chart.legend().hide()
    view = QChartView(chart)
    view.resize(320, 200)
    image = view.grab().toImage()
    if image.isNull() or _blank(image):
        raise RuntimeError("QtCharts drew an empty image")
    return f"a line chart of {series.count()} points drawn at {image.width()}x{image.height()}"


def check_svg_icon() -> str:
    """QtSvg and the SVG icon engine: the app icon drawn as a window icon is."""
    path = paths.resource("icons", "app.svg")
    if not path.is_file():
        raise FileNotFoundError(f"the app icon is missing: {path}")
    icon = QIcon(str(path))
    pixmap = icon.pixmap(64, 64)
    if pixmap.isNull():
        raise RuntimeError("the SVG icon engine drew nothing (is the Qt svg icon-engine plugin missing?)")
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.drawPixmap(0, 0, pixmap)
    painter.end()
    if _blank(image):
        raise RuntimeError("the app icon rendered as an empty image")
    engines = ", ".join(_plugins("iconengines")) or "none found"
    return f"app icon rendered at {pixmap.width()}x{pixmap.height()} (icon engines: {engines})"


def _blank(image: QImage) -> bool:
    """Whether every sampled pixel has the same colour (nothing was drawn)."""
    step_x, step_y = max(1, image.width() // 16), max(1, image.height() // 16)
    seen = {image.pixel(x, y) for x in range(0, image.width(), step_x) for y in range(0, image.height(), step_y)}
    return len(seen) <= 1
