"""faster_whisper reads its Silero VAD model from assets/ (faster-whisper #753)."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("faster_whisper", includes=["assets/*.onnx"])
hiddenimports = ["ctranslate2"]
