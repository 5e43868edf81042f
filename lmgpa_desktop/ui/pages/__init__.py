"""One module per area of the app."""
