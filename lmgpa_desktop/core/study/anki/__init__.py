"""Anki interop: import .apkg/.colpkg/.anki2 (notes, cards, media, scheduling where it maps) and export .apkg.

  importing   the import job: notes, cards, media and scheduling
  exporting   the export job: a deck as .apkg
  note_types  note types, templates and cloze rendering
  package     opening a package (zip, zstd, protobuf parts)
"""
