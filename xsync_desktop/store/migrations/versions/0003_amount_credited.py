"""invoice.amount_credited, index on sync_item.xero_id

Credit allocated to an invoice was counted nowhere, so an invoice with credit looked
less paid than it is and a Xero payment could overpay it unnoticed. Existing rows are
filled from their allocations.

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xsync_desktop.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_credited', xsync_desktop.store.types.Money(),
                                      nullable=False, server_default='0'))
    op.execute(
        "UPDATE invoice SET amount_credited = COALESCE("
        "(SELECT SUM(a.amount) FROM credit_allocation a WHERE a.invoice_id = invoice.id), 0)"
    )
    with op.batch_alter_table('sync_item', schema=None) as batch_op:
        batch_op.create_index('ix_sync_item_xero_id', ['xero_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sync_item', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_item_xero_id')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('amount_credited')
