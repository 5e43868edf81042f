"""sqlean.py: a compiled sqlite3 replacement; its dbapi2 is imported by name from the package __init__."""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("sqlean")
