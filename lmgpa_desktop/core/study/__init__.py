"""Studying: notes, flashcards and spaced review, practice tests and grading, grounded chat, read-aloud.

Generating study items: generate (the jobs) from material (passages and what they say), through flashcards,
quizzes and note_drafts; generated_items (checks, de-duplication, choice), model_items (the model's questions and
summaries, with item_writer), text_items and study_text (what to ask, without a model), distractors (wrong choices),
source_locations (where an item points); drafts (accepting, editing, rejecting what was generated).
Notes: notes, slides, read_aloud. Flashcards: review (FSRS), decks; Anki files: anki_import, anki_export,
anki_format (note types and templates), anki_package (opening the file). Practice tests: practice, grading.
Chat: chat (asking, streaming), chat_retrieval, chat_prompt, chat_check (sentence by sentence), conversations.
"""
