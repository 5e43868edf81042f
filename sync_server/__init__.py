"""LMGPA sync server: accounts, classes, groups, notifications, leaderboards (FastAPI)."""

__version__ = "0.1.0"
