"""piper's espeakbridge reads the espeak-ng-data folder next to it (phonemes for every voice)."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("piper", includes=["espeak-ng-data/**/*", "tashkeel/**/*"])
hiddenimports = ["piper.espeakbridge"]
# Training needs torch/lightning; the HTTP server needs flask: neither is part of the desktop app.
excludedimports = ["piper.train", "piper.http_server", "torch", "flask"]
