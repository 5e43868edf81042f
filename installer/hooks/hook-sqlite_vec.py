"""sqlite_vec ships vec0.so beside its __init__, loaded with sqlite's load_extension (never imported)."""

import os

from PyInstaller.utils.hooks import get_package_paths

_, _pkg = get_package_paths("sqlite_vec")
binaries = [(os.path.join(_pkg, n), "sqlite_vec") for n in os.listdir(_pkg) if n.startswith("vec0.")]
