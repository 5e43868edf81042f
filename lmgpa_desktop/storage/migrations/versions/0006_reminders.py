"""reminders: deadlines, the reminder log and apscheduler's job store

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from alembic import op
import sqlalchemy as sa

import lmgpa_desktop.storage.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('due_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=True),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('hlc', sa.String(length=40), nullable=True),
    sa.Column('deleted_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_deadlines_course_id_courses'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('server_id', name=op.f('uq_deadlines_server_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_deadlines_uuid'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadlines_due_at'), ['due_at'], unique=False)

    op.create_table('reminder_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('slot_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.Column('decided_at', lmgpa_desktop.storage.base.UTCDateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                            name=op.f('fk_reminder_log_notification_id_notifications'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_log')),
    sa.UniqueConstraint('key', name=op.f('uq_reminder_log_key'))
    )
    with op.batch_alter_table('reminder_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_log_decided_at'), ['decided_at'], unique=False)

    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'), ['next_run_time'], unique=False)


def downgrade() -> None:
    op.drop_table('apscheduler_jobs')
    op.drop_table('reminder_log')
    op.drop_table('deadlines')
