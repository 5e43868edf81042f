"""Errors raised by the engines layer."""


class ModelError(RuntimeError):
    """A model file is missing, corrupt or cannot be loaded."""
