"""Change capture switch: paused() stops capture for this thread (see storage/capture_functions.py)."""

from lmgpa_desktop.storage.capture_functions import capturing, paused, register_functions

__all__ = ["capturing", "paused", "register_functions"]
