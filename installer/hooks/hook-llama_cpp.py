"""llama_cpp loads lib/libllama.so and libggml*.so with ctypes, which PyInstaller cannot see (llama-cpp-python #1475)."""

from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("llama_cpp")
# The OpenAI-compatible server needs fastapi/uvicorn; the app only uses the Llama class.
excludedimports = ["llama_cpp.server"]
