"""index generation: a counter bumped by every change to passages or vectors (lets search cache vectors safely)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE index_state (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL)")
    op.execute("INSERT INTO index_state (id, generation) VALUES (1, 0)")
    # Deletes also come from cascades (a source emptied from the trash), so a trigger counts them.
    op.execute("""CREATE TRIGGER chunks_gen_ad AFTER DELETE ON chunks BEGIN
        UPDATE index_state SET generation = generation + 1 WHERE id = 1; END""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS chunks_gen_ad")
    op.execute("DROP TABLE IF EXISTS index_state")
