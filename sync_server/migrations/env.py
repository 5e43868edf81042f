"""Alembic environment of the sync server (SQLite or PostgreSQL, URL from the config)."""

from alembic import context

from sync_server.db import make_engine
from sync_server.models import Base

config = context.config


def run_migrations_online() -> None:
    """Migrate over the connection handed in by sync_server.migrate, or a new engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
