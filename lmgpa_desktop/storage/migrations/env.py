"""Alembic environment: runs on the connection the app hands over (sqlite-vec already loaded)."""

from alembic import context

from lmgpa_desktop.storage import models  # noqa: F401  (registers every table)
from lmgpa_desktop.storage.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
