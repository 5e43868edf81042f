"""Studying: notes, flashcards and spaced review, practice tests and grading, grounded chat, read-aloud.

  items/          study items generated from the student's sources (notes, flashcards, practice questions)
  chat/           grounded chat: retrieval, prompt, sentence-by-sentence checking, conversations
  anki/           Anki files: import .apkg/.colpkg/.anki2, export .apkg
  review          spaced repetition with FSRS: next card, answer, undo, counts
  decks           decks and cards as the pages see them (browse, edit, sizes)
  card_actions    the browser's actions on many cards (move, tag, suspend, delete) and their undo
  card_view       one card previewed as studied (sanitized HTML) with the line naming its source
  practice        taking practice tests: attempts, scores, overruling a grade
  grading         grading a typed answer: exact, fuzzy, same meaning, then the model
  notes           the student's Markdown notes and the source locations they cite
  read_aloud      Markdown made speakable, spoken by the Piper voice, exported as audio
  slides          a note as a PPTX deck
  first_start     a new profile (no sources, no decks), the welcome once per profile, the bundled samples
"""
