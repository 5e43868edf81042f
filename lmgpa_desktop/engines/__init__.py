"""One module per external ML library, each behind a small class that loads lazily."""
