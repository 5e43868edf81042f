"""Storage: the only layer that talks SQL (SQLAlchemy 2.0 on SQLite via sqlean + sqlite-vec)."""
