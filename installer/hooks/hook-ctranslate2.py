"""ctranslate2: its converters import torch/transformers lazily; the app only runs converted models."""

from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("ctranslate2")
excludedimports = ["torch", "transformers", "tensorflow", "ctranslate2.converters"]
