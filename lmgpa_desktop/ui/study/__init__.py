"""Study pages: notes, generation, items to review, practice tests, flashcard review, chat, read-aloud."""
