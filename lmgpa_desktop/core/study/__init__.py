"""Studying: notes, flashcards and spaced review, practice tests and grading, grounded chat, read-aloud."""
