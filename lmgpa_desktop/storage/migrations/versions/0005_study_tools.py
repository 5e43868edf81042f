"""study tools: generated items wait for review, Anki notes keep their fields, passages quoted as evidence

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild): the FTS and append-only triggers stay in place.
    op.add_column('cards', sa.Column('status', sa.String(length=10), nullable=False, server_default='active'))
    op.add_column('cards', sa.Column('source_quote', sa.Text(), nullable=True))
    op.add_column('cards', sa.Column('anki_model', sa.String(length=200), nullable=True))
    op.add_column('cards', sa.Column('anki_fields', sa.JSON(), nullable=True))
    op.add_column('cards', sa.Column('anki_ord', sa.Integer(), nullable=True))
    op.add_column('decks', sa.Column('media_dir', sa.Text(), nullable=True))
    op.add_column('notes', sa.Column('status', sa.String(length=10), nullable=False, server_default='active'))
    op.add_column('practice_tests', sa.Column('status', sa.String(length=10), nullable=False,
                                              server_default='ready'))
    op.add_column('questions', sa.Column('status', sa.String(length=10), nullable=False, server_default='active'))
    op.add_column('questions', sa.Column('source_quote', sa.Text(), nullable=True))
    op.add_column('questions', sa.Column('source_end_s', sa.Float(), nullable=True))
    op.create_index('ix_cards_status_due', 'cards', ['status', 'due'])
    op.create_index('ix_cards_updated_at', 'cards', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_cards_updated_at', table_name='cards')
    op.drop_index('ix_cards_status_due', table_name='cards')
    for table, column in [('questions', 'source_end_s'), ('questions', 'source_quote'), ('questions', 'status'),
                          ('practice_tests', 'status'), ('notes', 'status'), ('decks', 'media_dir'),
                          ('cards', 'anki_ord'), ('cards', 'anki_fields'), ('cards', 'anki_model'),
                          ('cards', 'source_quote'), ('cards', 'status')]:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
