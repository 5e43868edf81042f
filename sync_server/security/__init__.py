"""Password hashing, token issuing and checking."""
