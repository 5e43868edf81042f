"""Errors of the core layer that callers catch (kept import-light for a fast CLI and start-up)."""


class StartupError(RuntimeError):
    """The profile could not be opened (message says what to do)."""
