"""Sync of a student's own study data across their devices: encrypted messages and media the server cannot read."""
