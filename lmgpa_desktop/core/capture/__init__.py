"""Capture: recording lectures, transcribing audio, and reading the text out of documents the student adds.

  recorder            the microphone's audio written crash-safe into segments, watched for a lost device
  mic_check           the first-run welcome's microphone test: the input's level, nothing recorded
  segment_files       a recording's raw segment files, flushed and fsynced as they arrive
  recording_finalize  the finalize job (segments joined into one FLAC in the library) and exported copies
  recording_recovery  recordings a crashed process left open, closed and queued to be saved
  live_transcription  the transcript a few seconds behind the speaker while recording
  transcription       the resumable Whisper job over a whole file
  transcripts         the current transcript, edits, bookmarks and photos; asks the library to re-index
  transcript_export   TXT, Markdown, SRT, WebVTT and JSON
  media_import        audio and video files checked, de-duplicated and copied into the profile
  document_text       per-page text of a document or image: text layers where they exist, OCR elsewhere
"""
