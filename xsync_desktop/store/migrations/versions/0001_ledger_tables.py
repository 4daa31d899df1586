"""ledger tables

Revision ID: 0001
Revises:
Create Date: 2026-11-25 14:57:30.025063
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xsync_desktop.store.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('customer_number', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('changed_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('customer_number', name=op.f('uq_customer_customer_number')),
    sa.UniqueConstraint('external_id', name=op.f('uq_customer_external_id'))
    )
    op.create_table('facility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('changed_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility')),
    sa.UniqueConstraint('external_id', name=op.f('uq_facility_external_id'))
    )
    op.create_table('credit_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('subtotal', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('tax_total', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('total', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('changed_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_credit_note_customer_id_customer')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_credit_note_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note')),
    sa.UniqueConstraint('external_id', name=op.f('uq_credit_note_external_id')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_note_number'))
    )
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_note_customer_id'), ['customer_id'], unique=False)

    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('size', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_unit_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('external_id', name=op.f('uq_unit_external_id')),
    sa.UniqueConstraint('facility_id', 'code', name=op.f('uq_unit_facility_id_code'))
    )
    op.create_table('credit_note_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('charge_type', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('unit_amount', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('tax_amount', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('line_amount', xsync_desktop.store.types.Money(), nullable=False),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_note.id'], name=op.f('fk_credit_note_line_credit_note_id_credit_note'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_note_line')),
    sa.UniqueConstraint('credit_note_id', 'line_no', name=op.f('uq_credit_note_line_credit_note_id_line_no'))
    )
    op.create_table('tenancy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('monthly_rent', xsync_desktop.store.types.Money(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_tenancy_customer_id_customer')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_tenancy_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenancy')),
    sa.UniqueConstraint('external_id', name=op.f('uq_tenancy_external_id'))
    )
    with op.batch_alter_table('tenancy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tenancy_customer_id'), ['customer_id'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('tenancy_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('subtotal', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('tax_total', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('total', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('amount_paid', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('changed_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_invoice_customer_id_customer')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_invoice_facility_id_facility')),
    sa.ForeignKeyConstraint(['tenancy_id'], ['tenancy.id'], name=op.f('fk_invoice_tenancy_id_tenancy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('external_id', name=op.f('uq_invoice_external_id')),
    sa.UniqueConstraint('number', name=op.f('uq_invoice_number'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_invoice_issue_date', ['issue_date'], unique=False)

    op.create_table('credit_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('amount', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('changed_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['credit_note_id'], ['credit_note.id'], name=op.f('fk_credit_allocation_credit_note_id_credit_note')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_credit_allocation_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_allocation')),
    sa.UniqueConstraint('external_id', name=op.f('uq_credit_allocation_external_id'))
    )
    with op.batch_alter_table('credit_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_allocation_credit_note_id'), ['credit_note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_allocation_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('charge_type', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('unit_amount', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('tax_amount', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('line_amount', xsync_desktop.store.types.Money(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line')),
    sa.UniqueConstraint('invoice_id', 'line_no', name=op.f('uq_invoice_line_invoice_id_line_no'))
    )
    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('amount', xsync_desktop.store.types.Money(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('reversed_at', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.Column('changed_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_payment_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('external_id', name=op.f('uq_payment_external_id'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_invoice_id'), ['invoice_id'], unique=False)





def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_invoice_id'))

    op.drop_table('payment')
    op.drop_table('invoice_line')
    with op.batch_alter_table('credit_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_allocation_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_credit_allocation_credit_note_id'))

    op.drop_table('credit_allocation')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_issue_date')
        batch_op.drop_index(batch_op.f('ix_invoice_customer_id'))

    op.drop_table('invoice')
    with op.batch_alter_table('tenancy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tenancy_customer_id'))

    op.drop_table('tenancy')
    op.drop_table('credit_note_line')
    op.drop_table('unit')
    with op.batch_alter_table('credit_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_note_customer_id'))

    op.drop_table('credit_note')
    op.drop_table('facility')
    op.drop_table('customer')
