"""online: the sync-server account, outbox, offline cache and local ids

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa

import lmgpa_desktop.storage.base


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('online_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server_url', sa.String(length=400), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('user', sa.JSON(), nullable=True),
    sa.Column('session_id', sa.String(length=64), nullable=False),
    sa.Column('signed_in', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('last_sync', lmgpa_desktop.storage.base.UTCDateTime(), nullable=True),
    sa.Column('notify_cursor', sa.Integer(), nullable=False),
    sa.Column('notifications_pulled', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_account'))
    )
    op.create_table('online_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=500), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('body', sa.JSON(), nullable=True),
    sa.Column('local_id', sa.String(length=64), nullable=True),
    sa.Column('optimistic', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.Column('sent_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_outbox')),
    sa.UniqueConstraint('request_id', name=op.f('uq_online_outbox_request_id'))
    )
    with op.batch_alter_table('online_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_online_outbox_account_state', ['account', 'state'], unique=False)

    op.create_table('online_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('object_id', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.String(length=120), nullable=True),
    sa.Column('sort_key', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_cache')),
    sa.UniqueConstraint('account', 'kind', 'object_id', name='uq_online_cache_object')
    )
    with op.batch_alter_table('online_cache', schema=None) as batch_op:
        batch_op.create_index('ix_online_cache_parent', ['account', 'kind', 'parent_id'], unique=False)

    op.create_table('online_ids',
    sa.Column('account', sa.String(length=500), nullable=False),
    sa.Column('local_id', sa.String(length=64), nullable=False),
    sa.Column('server_id', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('account', 'local_id', name=op.f('pk_online_ids'))
    )


def downgrade() -> None:
    op.drop_table('online_ids')
    op.drop_table('online_cache')
    op.drop_table('online_outbox')
    op.drop_table('online_account')
