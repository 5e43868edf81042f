"""Data safety: backups, integrity checks, restore, export and import of a whole profile."""
