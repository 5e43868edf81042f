"""Capture: recording lectures, transcribing audio, and reading the text out of documents the student adds."""
