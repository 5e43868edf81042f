"""PyInstaller runtime hook: the bundled Tesseract first on PATH, and ctypes finding the bundled PortAudio."""

import os
import sys

_tess = os.path.join(sys._MEIPASS, "tesseract")
if os.path.isdir(_tess):
    # pytesseract runs the `tesseract` it finds on PATH; the student's own install (if any) comes after ours.
    os.environ["PATH"] = _tess + os.pathsep + os.environ.get("PATH", "")
    os.environ["TESSDATA_PREFIX"] = os.path.join(_tess, "tessdata")

if sys.platform.startswith("linux"):
    import ctypes.util

    # sounddevice looks PortAudio up with ctypes.util.find_library, which asks ldconfig's cache (or gcc): on a
    # machine without the system package it finds nothing, although the bundle has the library. Answer with ours.
    _BUNDLED_LIBS = {"portaudio": "libportaudio.so.2"}
    _system_find_library = ctypes.util.find_library

    def _find_library(name):
        bundled = _BUNDLED_LIBS.get(name)
        if bundled and os.path.exists(os.path.join(sys._MEIPASS, bundled)):
            return os.path.join(sys._MEIPASS, bundled)
        return _system_find_library(name)

    ctypes.util.find_library = _find_library
