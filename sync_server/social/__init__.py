"""Social: connections between people, study groups with invite codes, group messages and shared notes/decks."""
