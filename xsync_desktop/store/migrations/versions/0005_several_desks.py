"""several desks: exception and sign-off versions, the run-lock holder row

recon_exception.version and checklist_signoff.version give optimistic concurrency to
the two decisions two desks can make at once (deciding an exception, signing off a
month); sync_lock_holder says which desk holds an organisation's run lock. Existing
sign-offs are numbered 1, 2, ... per month in the order they were made.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xsync_desktop.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recon_exception', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('checklist_signoff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    op.execute(
        "UPDATE checklist_signoff SET version = (SELECT COUNT(*) FROM checklist_signoff earlier "
        "WHERE earlier.month = checklist_signoff.month AND earlier.id <= checklist_signoff.id)"
    )
    with op.batch_alter_table('checklist_signoff', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_checklist_signoff_month_version', ['month', 'version'])
    op.create_table(
        'sync_lock_holder',
        sa.Column('tenant_id', sa.String(length=64), nullable=False),
        sa.Column('desk', sa.String(length=255), nullable=False),
        sa.Column('username', sa.String(length=255), nullable=False),
        sa.Column('since', xsync_desktop.store.types.UTCDateTime(), nullable=False),
        sa.Column('backend_pid', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('tenant_id'),
    )


def downgrade() -> None:
    op.drop_table('sync_lock_holder')
    with op.batch_alter_table('checklist_signoff', schema=None) as batch_op:
        batch_op.drop_constraint('uq_checklist_signoff_month_version', type_='unique')
        batch_op.drop_column('version')
    with op.batch_alter_table('recon_exception', schema=None) as batch_op:
        batch_op.drop_column('version')
