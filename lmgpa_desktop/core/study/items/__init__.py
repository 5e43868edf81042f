"""Study items generated from the student's sources: notes, flashcards and practice questions, waiting for review.

  generate         the three generation jobs and the plan they follow
  material         the passages a job reads, what each says, and which words Whisper was unsure of
  flashcards, quizzes, note_drafts   one kind of item each
  text_items       items chosen from the text itself, without a model (terms, definitions, cloze)
  study_text       text cleaned before anything is chosen, and the parts of a sentence worth asking about
  item_writer      the model's part: wording a question for a chosen answer, and answering it back
  model_items      running the writer over a batch; the model's summaries
  distractors      wrong choices of the same kind as the answer, from the same material
  generated_items  checks, de-duplication and choice of what is kept
  drafts           accepting, editing and rejecting what was generated
  source_locations where an item points in its source, in words and as a link the pages open
"""
