"""Errors of the core layer that callers catch (kept import-light for a fast CLI and start-up)."""


class UserError(RuntimeError):
    """Something the student can act on; the message says what happened and what to do."""


class StartupError(UserError):
    """The profile could not be opened (message says what to do)."""
