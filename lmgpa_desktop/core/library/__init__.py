"""The library: importing sources, splitting them into passages, indexing and searching them.

  library       import any file (documents through capture's document_text, audio through transcription),
                organise into classes and tags, the trash
  chunking      pages and transcripts split into passages that keep their location
  indexing      the index job: passages, then their embeddings
  search        hybrid search: FTS5 words and vectors, fused by reciprocal rank
  vector_cache  passage vectors held in memory for fast nearest-neighbour search
"""
