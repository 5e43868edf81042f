"""Sync: reserved for cross-device sync of personal study data (a later issue)."""
