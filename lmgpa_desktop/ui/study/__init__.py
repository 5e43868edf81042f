"""Study pages: notes, generation, items to review, practice tests, flashcard review, chat.

study_page       the Study page and its tabs: generate_tab, pending_tab (To review), notes_tab, practice_tab;
                 common holds what the tabs share (labels, source links, empty-library advice)
review_page      the Review page, made of deck_list (decks, counts, options), reviewer (the study screen, with
                 card_audio for a card's sounds), card_browser (card_table paged in, card_preview
                 and card_editor below, browser_actions on many cards) and
                 anki_transfer (Anki import and export jobs)
chat_page        Chat: ask the library, answers stream in with citations
"""
