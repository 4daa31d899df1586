"""sync state tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:57:30.025063
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xsync_desktop.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_setting'))
    )
    op.create_table('change_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log'))
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_record', ['entity', 'local_id'], unique=False)

    op.create_table('checklist_signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('signed_by', sa.String(length=255), nullable=False),
    sa.Column('signed_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('results', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_signoff'))
    )
    with op.batch_alter_table('checklist_signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_signoff_month'), ['month'], unique=False)

    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch'))
    )
    op.create_table('link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=False),
    sa.Column('xero_id', sa.String(length=64), nullable=True),
    sa.Column('natural_key', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('pushed_hash', sa.String(length=64), nullable=True),
    sa.Column('pushed_at', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.Column('pending_action', sa.String(length=16), nullable=True),
    sa.Column('pending_key', sa.String(length=128), nullable=True),
    sa.Column('pending_hash', sa.String(length=64), nullable=True),
    sa.Column('pending_since', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.Column('xero_updated_utc', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.Column('xero_snapshot', sa.JSON(), nullable=True),
    sa.Column('last_synced_at', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link')),
    sa.UniqueConstraint('tenant_id', 'entity', 'local_id', name=op.f('uq_link_tenant_id_entity_local_id'))
    )
    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.create_index('ix_link_xero', ['tenant_id', 'entity', 'xero_id'], unique=False)

    op.create_table('mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('account_code', sa.String(length=32), nullable=True),
    sa.Column('tax_type', sa.String(length=64), nullable=True),
    sa.Column('tracking_category', sa.String(length=255), nullable=True),
    sa.Column('tracking_option', sa.String(length=255), nullable=True),
    sa.Column('updated_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mapping')),
    sa.UniqueConstraint('kind', 'key', name=op.f('uq_mapping_kind_key'))
    )
    op.create_table('recon_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=True),
    sa.Column('xero_id', sa.String(length=64), nullable=True),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('ledger_value', sa.Text(), nullable=True),
    sa.Column('xero_value', sa.Text(), nullable=True),
    sa.Column('fingerprint', sa.String(length=128), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_seen', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.Column('first_run_id', sa.Integer(), nullable=True),
    sa.Column('last_run_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=32), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=255), nullable=True),
    sa.Column('resolved_at', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_exception'))
    )
    with op.batch_alter_table('recon_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recon_exception_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index('ix_recon_exception_status', ['status'], unique=False)

    op.create_table('sync_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('started_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.Column('resume_at', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('contacts_synced', sa.Integer(), nullable=False),
    sa.Column('invoices_pushed', sa.Integer(), nullable=False),
    sa.Column('credit_notes_pushed', sa.Integer(), nullable=False),
    sa.Column('payments_pushed', sa.Integer(), nullable=False),
    sa.Column('payments_pulled', sa.Integer(), nullable=False),
    sa.Column('invoices_reconciled', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('retried', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('needs_review', sa.Integer(), nullable=False),
    sa.Column('api_calls', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_run'))
    )
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.create_index('ix_sync_run_started', ['started_at'], unique=False)

    op.create_table('watermark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.Column('resume_page', sa.Integer(), nullable=True),
    sa.Column('resume_upper', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watermark')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_watermark_tenant_id_name'))
    )
    op.create_table('xero_reference',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('fetched_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xero_reference')),
    sa.UniqueConstraint('tenant_id', 'kind', 'key', name=op.f('uq_xero_reference_tenant_id_kind_key'))
    )
    op.create_table('sync_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=16), nullable=False),
    sa.Column('local_id', sa.Integer(), nullable=True),
    sa.Column('xero_id', sa.String(length=64), nullable=True),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('xero_messages', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('started_at', xsync_desktop.store.types.UTCDateTime(), nullable=False),
    sa.Column('finished_at', xsync_desktop.store.types.UTCDateTime(), nullable=True),
    sa.Column('retry_of_id', sa.Integer(), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('skip_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['retry_of_id'], ['sync_item.id'], name=op.f('fk_sync_item_retry_of_id_sync_item')),
    sa.ForeignKeyConstraint(['run_id'], ['sync_run.id'], name=op.f('fk_sync_item_run_id_sync_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_item'))
    )
    with op.batch_alter_table('sync_item', schema=None) as batch_op:
        batch_op.create_index('ix_sync_item_record', ['entity', 'local_id'], unique=False)
        batch_op.create_index('ix_sync_item_run_outcome', ['run_id', 'outcome'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sync_item', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_item_run_outcome')
        batch_op.drop_index('ix_sync_item_record')

    op.drop_table('sync_item')
    op.drop_table('xero_reference')
    op.drop_table('watermark')
    with op.batch_alter_table('sync_run', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_run_started')

    op.drop_table('sync_run')
    with op.batch_alter_table('recon_exception', schema=None) as batch_op:
        batch_op.drop_index('ix_recon_exception_status')
        batch_op.drop_index(batch_op.f('ix_recon_exception_fingerprint'))

    op.drop_table('recon_exception')
    op.drop_table('mapping')
    with op.batch_alter_table('link', schema=None) as batch_op:
        batch_op.drop_index('ix_link_xero')

    op.drop_table('link')
    op.drop_table('import_batch')
    with op.batch_alter_table('checklist_signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_signoff_month'))

    op.drop_table('checklist_signoff')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_record')

    op.drop_table('change_log')
    op.drop_table('app_setting')
