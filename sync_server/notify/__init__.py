"""Notifications: stored per user with read state, pulled or streamed live; other features push them."""
