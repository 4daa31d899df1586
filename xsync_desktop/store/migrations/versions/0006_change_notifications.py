"""change notifications: PostgreSQL tells every desk which table another desk changed

A statement-level trigger on each table sends NOTIFY xsync_changes with the table's name
when a transaction that wrote to it commits (PostgreSQL folds identical notifications of one
transaction into one). Desks LISTEN (store/change_feed.py) and refresh the views that show
that table. SQLite needs nothing: its data_version counter says the same, per file.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = (
    "customer", "facility", "unit", "tenancy", "invoice", "invoice_line", "payment", "credit_note",
    "credit_note_line", "credit_allocation", "link", "sync_run", "recon_exception", "mapping",
    "xero_reference", "app_setting", "checklist_signoff", "change_log", "import_batch",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION xsync_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM pg_notify('xsync_changes', TG_TABLE_NAME); RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER xsync_notify_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION xsync_notify_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS xsync_notify_{table} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS xsync_notify_change()")
