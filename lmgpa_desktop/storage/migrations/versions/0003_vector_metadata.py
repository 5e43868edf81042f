"""search filters inside the vector index: source, class and trash state travel with each vector

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

EMBED_DIM = 384


def upgrade() -> None:
    # vec0 metadata columns let a KNN query filter by scope without losing results to a post-filter.
    op.execute("DROP TABLE IF EXISTS chunks_vec")
    op.execute(f"""CREATE VIRTUAL TABLE chunks_vec USING vec0(
        chunk_id INTEGER PRIMARY KEY, embedding float[{EMBED_DIM}] distance_metric=cosine,
        source_id INTEGER, course_id INTEGER, live INTEGER)""")
    # A plain ADD COLUMN: batch mode would rebuild the table and drop its FTS triggers.
    op.add_column('chunks', sa.Column('embedded', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('chunks', schema=None) as batch_op:
        batch_op.drop_column('embedded')
    op.execute("DROP TABLE IF EXISTS chunks_vec")
    op.execute(f"""CREATE VIRTUAL TABLE chunks_vec USING vec0(
        chunk_id INTEGER PRIMARY KEY, embedding float[{EMBED_DIM}] distance_metric=cosine)""")
