"""What every platform's PyInstaller spec shares: entry, hidden imports, data files, excludes, hooks.

Imported by installer/lmgpa.spec (Linux) and the Windows/macOS spec variants. Each function takes the
platform name ("linux", "windows" or "macos") so a variant can differ where it must.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
ENTRY = str(INSTALLER / "entry.py")
NAME = "lmgpa"

# Qt modules the app never imports (ui uses Core, Gui, Widgets, Charts, Multimedia, Svg). Excluding them keeps
# their libraries and plugins (QML, Quick, WebEngine: hundreds of MB) out of the bundle.
UNUSED_QT = [
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender", "QtAxContainer",
    "QtBluetooth", "QtConcurrent", "QtDataVisualization", "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp",
    "QtHttpServer", "QtLocation", "QtNetworkAuth", "QtNfc", "QtOpenGL", "QtOpenGLWidgets", "QtPdf",
    "QtPdfWidgets", "QtPositioning", "QtPrintSupport", "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2",
    "QtQuickTest", "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus", "QtSerialPort",
    "QtSpatialAudio", "QtSql", "QtStateMachine", "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel",
    "QtWebEngineCore", "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
    "QtCanvasPainter",
]

# Python packages installed in the build venv that the desktop app does not use (server, tests, dev tools).
UNUSED_PY = [
    "sync_server", "tests", "benchmarks", "fastapi", "uvicorn", "starlette", "httptools", "uvloop", "psycopg",
    "psycopg_binary", "asyncpg", "pytest", "_pytest", "pytest_qt", "pytestqt", "hypothesis", "anki", "aqt",
    "torch", "torchvision", "sentence_transformers", "transformers", "tensorflow", "IPython", "jupyter",
    "matplotlib", "pandas", "scipy", "tkinter", "_tkinter", "pydantic_settings", "jwt",
    "email_validator", "importlinter", "grimp", "mypy", "ruff", "piper.train", "llama_cpp.server",
    "onnx.reference", "PySide6.scripts", "hf_xet",
    # Build tools pulled in by analysis only (cffi's and numpy's build helpers): left in, PyInstaller's setuptools
    # runtime hook imports setuptools at every start, a tenth of a second before the window.
    "setuptools", "pkg_resources", "_distutils_hack", "numpy.distutils", "cffi.setuptools_ext",
] + [f"PySide6.{m}" for m in UNUSED_QT]


def hidden_imports(platform: str) -> list[str]:
    """Modules imported only by name at run time (alembic migrations, SQLAlchemy dialect, plugins)."""
    from PyInstaller.utils.hooks import collect_submodules

    mods = [
        "sqlite_vec",  # storage finds vec0.so through find_spec("sqlite_vec") without importing it
        "sqlalchemy.dialects.sqlite",
        "alembic", "alembic.op", "alembic.context", "alembic.runtime.migration", "alembic.ddl.sqlite",
        "logging.config",
        "PySide6.QtSvg",
    ]
    # The whole app: lazily imported command modules and engines (imports inside functions are still found, but
    # importlib-by-name ones are not; collecting every submodule is cheap and removes the guesswork).
    mods += [m for m in collect_submodules("lmgpa_desktop") if ".tests" not in m]
    return mods


def datas(platform: str) -> list[tuple[str, str]]:
    """The app's own data files; library data (VAD model, espeak data, ...) comes from installer/hooks/."""
    return [
        # resources/ is installed as the package lmgpa_desktop.resources (pyproject package-dir); shipped as plain
        # files with its __init__.py, it imports from disk, and paths.resource() finds it with importlib.resources.
        (str(ROOT / "resources"), "lmgpa_desktop/resources"),
        # Alembic reads the migrations as .py files from disk, beside storage/migrate.py.
        (str(ROOT / "lmgpa_desktop" / "storage" / "migrations"), "lmgpa_desktop/storage/migrations"),
    ]


def binaries(platform: str) -> list[tuple[str, str]]:
    """Extra shared libraries; the ctypes/load_extension ones (llama.cpp, sqlite-vec) come from installer/hooks/."""
    out = []
    if platform == "linux":
        # Qt 6.11's FFmpeg multimedia plugin (the media player's only backend) links Qt Quick and Qml although the
        # app has no QML: ship the two libraries (PyInstaller adds what they link), not the QML modules.
        from PyInstaller.utils.hooks import get_package_paths

        _, qt = get_package_paths("PySide6")
        for name in ("libQt6Quick.so.6", "libQt6Qml.so.6"):
            out.append((os.path.join(qt, "Qt", "lib", name), "PySide6/Qt/lib"))
    return out


def excludes(platform: str) -> list[str]:
    """Modules kept out of the bundle."""
    return list(UNUSED_PY)


def hooks_dirs(platform: str) -> list[str]:
    """Our local hook-*.py files (what PyInstaller and pyinstaller-hooks-contrib miss)."""
    return [str(INSTALLER / "hooks")]


def runtime_hooks(platform: str) -> list[str]:
    """Run before the app's first import: bundled Tesseract on PATH, TESSDATA_PREFIX."""
    return [str(INSTALLER / "rthooks" / "rthook_lmgpa.py")]


# Qt libraries and plugins of features the app does not use, which PySide6's hooks still collect. Wayland: the
# app runs through XWayland (the native plugins need libwayland-cursor/-egl, which not every system has).
UNUSED_QT_LIBS = ("Qt6Pdf", "Qt6VirtualKeyboard", "Qt63D", "Qt6Designer", "Qt6Location", "Qt6Positioning",
                  "Qt6Sensors", "Qt6Bluetooth", "Qt6Nfc", "Qt6Test", "Qt6Sql", "Qt6Scxml", "Qt6RemoteObjects",
                  "Qt6WebEngine", "Qt6WebSockets", "Qt6WebChannel", "Qt6Graphs", "Qt6ShaderTools", "Qt6SpatialAudio",
                  "Qt6TextToSpeech", "Qt6SerialPort", "Qt6HttpServer", "Qt6Wayland", "Qt6WlShell", "Qt6EglFs",
                  "Qt6EglFSDeviceIntegration", "Qt6QuickControls2", "Qt6QuickTemplates2", "Qt6QuickDialogs2",
                  "Qt6QuickLayouts", "Qt6QuickShapes", "Qt6QuickParticles", "Qt6QuickWidgets", "Qt6QuickTest",
                  "Qt6ChartsQml", "Qt6MultimediaQuick", "Qt6QmlCompiler", "Qt6LabsQmlModels")
UNUSED_QT_PLUGIN_DIRS = ("qmltooling", "sqldrivers", "virtualkeyboard", "position", "sensors", "webview", "designer",
                         "texttospeech", "scenegraph", "qmllint", "sceneparsers", "renderers", "geometryloaders",
                         "wayland-decoration-client", "wayland-graphics-integration-client",
                         "wayland-shell-integration", "egldeviceintegrations")
UNUSED_QT_PLUGINS = ("libqgtk3.so",  # the GTK platform theme needs the whole of GTK 3 on the machine
                     "libqpdf.so",  # PDFs as images (QtPdf); the app renders PDFs with pypdfium2
                     "libqtvirtualkeyboardplugin.so", "libqwayland.so", "libqwayland-egl.so",
                     "libqwayland-generic.so", "libqeglfs.so", "libqlinuxfb.so", "libqvnc.so", "libqvkkhrdisplay.so",
                     "libqminimalegl.so")

# The C++ runtime is taken from the system, never bundled: every system has it, newer than the build host's
# (build on the oldest supported), and the system's OpenGL drivers need the system's newer libstdc++ (a bundled
# older one makes Mesa fail with "GLIBCXX_3.4.3x not found" on newer distributions).
SYSTEM_CXX_RUNTIME = ("libstdc++.so.6", "libgcc_s.so.1")


def drop_unused_files(toc, platform: str):
    """Remove Qt libraries, plugins and QML files of features we do not use that hooks still pulled in."""
    keep = []
    for entry in toc:
        dest = entry[0].replace("\\", "/")
        base = dest.rsplit("/", 1)[-1]
        if base.startswith(tuple("lib" + u for u in UNUSED_QT_LIBS)) or base in UNUSED_QT_PLUGINS:
            continue
        if platform == "linux" and base in SYSTEM_CXX_RUNTIME:
            continue
        if "/qml/" in dest or "/translations/qtwebengine" in dest:
            continue
        if "/plugins/" in dest and any(f"/plugins/{d}/" in dest for d in UNUSED_QT_PLUGIN_DIRS):
            continue
        keep.append(entry)
    return keep


# ---- after PyInstaller: things done on the finished folder --------------------------------------------------

# Libraries every Linux system has (glibc and the compiler runtime): never copied next to Tesseract.
SYSTEM_LIBS = ("linux-vdso", "ld-linux", "libc.so", "libm.so", "libdl.so", "libpthread.so", "librt.so",
               "libresolv.so", "libstdc++.so", "libgcc_s.so")


def ldd_libraries(path: Path) -> dict[str, str]:
    """soname -> resolved path for the libraries `ldd` lists for one binary (raises on 'not found')."""
    out = subprocess.run(["ldd", str(path)], check=True, capture_output=True, text=True).stdout
    libs = {}
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts:
            name, target = parts[0], parts[parts.index("=>") + 1]
            if target == "not":
                raise RuntimeError(f"{path}: {name} not found on the build host")
            libs[name] = target
    return libs


def bundle_tesseract(internal: Path, platform: str) -> None:
    """Copy Tesseract, its non-system libraries and English + OSD data into <internal>/tesseract (NormCap's way)."""
    if platform != "linux":
        raise NotImplementedError("the Windows/macOS scripts copy their own Tesseract build")
    exe = shutil.which("tesseract")
    if not exe:
        raise SystemExit("tesseract is not installed on the build host (apt-get install tesseract-ocr)")
    dest = internal / "tesseract"
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "tessdata").mkdir(parents=True)
    shutil.copy2(exe, dest / "tesseract")
    for name, src in ldd_libraries(Path(exe)).items():
        if not name.startswith(SYSTEM_LIBS):
            shutil.copy2(os.path.realpath(src), dest / name)
    # The executable's DT_RPATH wins over the LD_LIBRARY_PATH PyInstaller's bootloader sets for child processes,
    # so Tesseract always loads the libraries it was built with, not a same-named one from _internal/.
    subprocess.run(["patchelf", "--force-rpath", "--set-rpath", "$ORIGIN", str(dest / "tesseract")], check=True)
    for lib in dest.glob("lib*.so*"):
        subprocess.run(["patchelf", "--force-rpath", "--set-rpath", "$ORIGIN", str(lib)], check=True)
    tessdata = Path(_tessdata_dir())
    for name in ("eng.traineddata", "osd.traineddata"):
        shutil.copy2(tessdata / name, dest / "tessdata" / name)
    for sub in ("configs", "tessconfigs"):  # pytesseract's image_to_data asks for the "tsv" config
        if (tessdata / sub).is_dir():
            shutil.copytree(tessdata / sub, dest / "tessdata" / sub)


def _tessdata_dir() -> str:
    """The build host's tessdata folder."""
    for cand in (os.environ.get("TESSDATA_PREFIX", ""), "/usr/share/tesseract-ocr/5/tessdata",
                 "/usr/share/tesseract-ocr/4.00/tessdata", "/usr/share/tessdata"):
        if cand and os.path.isfile(os.path.join(cand, "eng.traineddata")):
            return cand
    raise SystemExit("eng.traineddata not found (apt-get install tesseract-ocr-eng tesseract-ocr-osd)")


def clear_execstack(internal: Path) -> list[str]:
    """Clear the executable-stack flag glibc 2.41+ refuses (CTranslate2 #1849) on every library that has it.

    Same edit as `patchelf --clear-execstack` (patchelf >= 0.18; Debian 12 ships 0.14): drop PF_X from the
    PT_GNU_STACK program header. `readelf -lW` shows the result.
    """
    fixed = []
    for lib in sorted(internal.rglob("*.so*")):
        if lib.is_file() and not lib.is_symlink() and _clear_execstack_one(lib):
            fixed.append(str(lib.relative_to(internal)))
    return fixed


def _clear_execstack_one(path: Path) -> bool:
    """Clear PF_X of PT_GNU_STACK in one 64-bit little-endian ELF file; True if it was set."""
    import struct

    with open(path, "r+b") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2 or head[5] != 1:
            return False
        phoff, = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, p_flags = struct.unpack("<II", f.read(8))
            if p_type == 0x6474E551 and p_flags & 1:  # PT_GNU_STACK with PF_X
                f.seek(phoff + i * phentsize + 4)
                f.write(struct.pack("<I", p_flags & ~1))
                return True
    return False


def add_models(internal: Path, python: str) -> None:
    """Write the prepared default models into <internal>/models with `lmgpa models export`."""
    dest = internal / "models"
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run([python, "-m", "lmgpa_desktop", "models", "export", str(dest)], check=True)
