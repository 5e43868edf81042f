"""sync: row uuids, card scheduling bases, sync bookkeeping tables, this device's id and the capture triggers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import secrets

from alembic import op
import sqlalchemy as sa

import lmgpa_desktop.storage.base
from lmgpa_desktop.storage.sync import triggers


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UUID_TABLES = ('document_pages', 'recordings', 'transcripts', 'transcript_segments', 'bookmarks', 'photos',
               'attempt_answers', 'activity_events')
# A random (version 4) uuid in SQL, so existing rows get one in a single statement per table.
UUID4_SQL = ("lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
             "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
             "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))")


def upgrade() -> None:
    # Plain ADD COLUMN and a unique index: a batch rebuild would drop and re-create the table, and with foreign
    # keys on, dropping recordings or transcripts would cascade-delete their bookmarks, photos and segments.
    for table in UUID_TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN uuid VARCHAR(36)")
        op.execute(f"UPDATE {table} SET uuid = {UUID4_SQL}")
        op.create_index(f'uq_{table}_uuid', table, ['uuid'], unique=True)
    op.execute("ALTER TABLE cards ADD COLUMN sched_base JSON")

    op.create_table('sync_state',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sync_state'))
    )
    op.create_table('sync_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('msg_id', sa.Text(), nullable=False),
    sa.Column('tbl', sa.Text(), nullable=False),
    sa.Column('row_uuid', sa.Text(), nullable=False),
    sa.Column('op', sa.Text(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('hlc', sa.Text(), nullable=False),
    sa.Column('bases', sa.Text(), nullable=True),
    sa.Column('pushed_at', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_outbox')),
    sa.UniqueConstraint('msg_id', name=op.f('uq_sync_outbox_msg_id'))
    )
    op.create_index('ix_sync_outbox_pushed_id', 'sync_outbox', ['pushed_at', 'id'], unique=False)
    op.create_table('sync_clock',
    sa.Column('tbl', sa.Text(), nullable=False),
    sa.Column('row_uuid', sa.Text(), nullable=False),
    sa.Column('field', sa.Text(), nullable=False),
    sa.Column('hlc', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('tbl', 'row_uuid', 'field', name=op.f('pk_sync_clock')),
    sqlite_with_rowid=False
    )
    op.create_table('sync_deferred',
    sa.Column('msg_id', sa.Text(), nullable=False),
    sa.Column('hlc', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('msg_id', name=op.f('pk_sync_deferred'))
    )
    op.create_table('sync_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tbl', sa.Text(), nullable=True),
    sa.Column('row_uuid', sa.Text(), nullable=True),
    sa.Column('field', sa.Text(), nullable=True),
    sa.Column('kept_hlc', sa.Text(), nullable=True),
    sa.Column('lost_hlc', sa.Text(), nullable=True),
    sa.Column('lost_value', sa.Text(), nullable=True),
    sa.Column('lost_device', sa.Text(), nullable=True),
    sa.Column('resolved_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('hlc', sa.String(length=40), nullable=True),
    sa.Column('deleted_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts')),
    sa.UniqueConstraint('uuid', name=op.f('uq_sync_conflicts_uuid'))
    )
    op.create_table('sync_media',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('blob_id', sa.Text(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('state', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_sync_media'))
    )
    # This device's id: part of every HLC it makes, so two devices' stamps never tie.
    op.execute(f"INSERT INTO sync_state (key, value) VALUES ('device', '{secrets.token_hex(8)}')")
    for statement in triggers.create_all():
        op.execute(statement)


def downgrade() -> None:
    for statement in triggers.drop_all():
        op.execute(statement)
    for table in ('sync_media', 'sync_conflicts', 'sync_deferred', 'sync_clock', 'sync_outbox', 'sync_state'):
        op.drop_table(table)
    op.execute("ALTER TABLE cards DROP COLUMN sched_base")
    for table in reversed(UUID_TABLES):
        op.drop_index(f'uq_{table}_uuid', table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN uuid")
