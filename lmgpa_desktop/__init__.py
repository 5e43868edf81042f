"""Little Monster GPA desktop app."""

__version__ = "0.1.0"
