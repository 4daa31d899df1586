"""ledger revisions: a sync with nothing changed plans only what changed

Every ledger record the push hashes (customer, invoice, credit note, payment, credit
allocation) gets `revision`, a counter the database itself raises on every change of what
the push hashes: a trigger on the record (any column but the derived amounts paid and
credited) and one on its lines (a line added, changed or removed raises its document's).
Triggers, not application code, so no write path can forget it: imports, demo generation,
GUI edits, decisions, reconcile write-backs, a person's SQL.

`link.checked_revision` / `link.checked_hash` say "the record at this revision hashes to
this", written when the push sent it or found it unchanged. The planner leaves out, in SQL,
a linked record whose revision is not past its link's checked one while the link's
pushed_hash is still the checked hash (sync/unchanged.py): what changed since, and what was
never sent, is all it reads and hashes.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The columns whose change raises a record's revision (every column but the revision itself
# and, on invoices, the amounts derived from payments and allocations, which pulls change often).
WATCHED = {
    "customer": ("external_id", "customer_number", "name", "email", "phone", "address", "changed_at"),
    "invoice": ("external_id", "number", "customer_id", "tenancy_id", "facility_id", "issue_date", "due_date",
                "currency", "status", "reference", "subtotal", "tax_total", "total", "changed_at"),
    "credit_note": ("external_id", "number", "customer_id", "facility_id", "issue_date", "currency", "status",
                    "reference", "subtotal", "tax_total", "total", "changed_at"),
    "payment": ("external_id", "invoice_id", "date", "amount", "method", "reference", "source", "reversed_at",
                "changed_at"),
    "credit_allocation": ("external_id", "credit_note_id", "invoice_id", "date", "amount", "changed_at"),
}
# line table -> (document table, its foreign key)
LINES = {"invoice_line": ("invoice", "invoice_id"), "credit_note_line": ("credit_note", "credit_note_id")}


def upgrade() -> None:
    # Plain ADD COLUMN (both databases have it): a batch operation would copy the ledger's tables.
    for table in WATCHED:
        op.add_column(table, sa.Column('revision', sa.Integer(), nullable=False, server_default=sa.text('1')))
    op.add_column('link', sa.Column('checked_revision', sa.Integer(), nullable=True))
    op.add_column('link', sa.Column('checked_hash', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table, columns in WATCHED.items():
        # UPDATE OF leaves `revision` out, so the trigger's own update does not fire it again.
        op.execute(f"CREATE TRIGGER xsync_revision_{table} AFTER UPDATE OF {', '.join(columns)} ON {table} "
                   f"BEGIN UPDATE {table} SET revision = revision + 1 WHERE id = NEW.id; END")
    for line, (doc, fk) in LINES.items():
        bump = f"UPDATE {doc} SET revision = revision + 1 WHERE id = "
        op.execute(f"CREATE TRIGGER xsync_revision_{line}_insert AFTER INSERT ON {line} "
                   f"BEGIN {bump}NEW.{fk}; END")
        op.execute(f"CREATE TRIGGER xsync_revision_{line}_update AFTER UPDATE ON {line} "
                   f"BEGIN {bump}OLD.{fk}; {bump}NEW.{fk} AND NEW.{fk} <> OLD.{fk}; END")
        op.execute(f"CREATE TRIGGER xsync_revision_{line}_delete AFTER DELETE ON {line} "
                   f"BEGIN {bump}OLD.{fk}; END")


def _postgresql_triggers() -> None:
    op.execute("CREATE OR REPLACE FUNCTION xsync_raise_revision() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN NEW.revision := OLD.revision + 1; RETURN NEW; END $$")
    for table, columns in WATCHED.items():
        op.execute(f"CREATE TRIGGER xsync_revision_{table} BEFORE UPDATE OF {', '.join(columns)} ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION xsync_raise_revision()")
    for line, (doc, fk) in LINES.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION xsync_raise_{doc}_revision() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            f"IF TG_OP <> 'INSERT' THEN UPDATE {doc} SET revision = revision + 1 WHERE id = OLD.{fk}; END IF; "
            f"IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.{fk} <> OLD.{fk}) THEN "
            f"UPDATE {doc} SET revision = revision + 1 WHERE id = NEW.{fk}; END IF; "
            "RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER xsync_revision_{line} AFTER INSERT OR UPDATE OR DELETE ON {line} "
                   f"FOR EACH ROW EXECUTE FUNCTION xsync_raise_{doc}_revision()")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for line, (doc, _fk) in LINES.items():
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS xsync_revision_{line} ON {line}")
            op.execute(f"DROP FUNCTION IF EXISTS xsync_raise_{doc}_revision()")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS xsync_revision_{line}_{event}")
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS xsync_revision_{table}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS xsync_raise_revision()")
    op.drop_column('link', 'checked_hash')
    op.drop_column('link', 'checked_revision')
    for table in WATCHED:
        op.drop_column(table, 'revision')
