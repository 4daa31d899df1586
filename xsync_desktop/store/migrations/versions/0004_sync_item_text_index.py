"""A full-text index on sync items, so searching a million-item run answers in milliseconds

The Runs view's text search looked for a substring in every item's label, message, Xero's
messages and Xero id with LIKE, which reads the whole run (seconds for a million items).

- SQLite: an FTS5 table with the trigram tokenizer over those four columns (external
  content: the text is not stored twice), kept current by triggers. Trigram MATCH is a
  case-insensitive substring match, the same answer LIKE '%text%' gave, for any text of
  three characters or more (shorter text still uses LIKE).
- PostgreSQL: pg_trgm GIN indexes on the same columns, which serve the view's ILIKE as it
  is. Without the extension (no right to create it) the search still works, unindexed.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COLUMNS = "label, message, xero_messages, xero_id"
OLD = "old.label, old.message, old.xero_messages, old.xero_id"
NEW = "new.label, new.message, new.xero_messages, new.xero_id"
PG_INDEXES = {"ix_sync_item_label_trgm": "label", "ix_sync_item_message_trgm": "message",
              "ix_sync_item_xero_messages_trgm": "(CAST(xero_messages AS VARCHAR))",
              "ix_sync_item_xero_id_trgm": "xero_id"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"CREATE VIRTUAL TABLE sync_item_fts USING fts5({COLUMNS}, content='sync_item', "
                   "content_rowid='id', tokenize='trigram')")
        op.execute(f"INSERT INTO sync_item_fts(rowid, {COLUMNS}) SELECT id, {COLUMNS} FROM sync_item")
        op.execute(f"CREATE TRIGGER sync_item_fts_ai AFTER INSERT ON sync_item BEGIN "
                   f"INSERT INTO sync_item_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END")
        op.execute(f"CREATE TRIGGER sync_item_fts_ad AFTER DELETE ON sync_item BEGIN "
                   f"INSERT INTO sync_item_fts(sync_item_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); END")
        op.execute(f"CREATE TRIGGER sync_item_fts_au AFTER UPDATE OF {COLUMNS} ON sync_item BEGIN "
                   f"INSERT INTO sync_item_fts(sync_item_fts, rowid, {COLUMNS}) VALUES ('delete', old.id, {OLD}); "
                   f"INSERT INTO sync_item_fts(rowid, {COLUMNS}) VALUES (new.id, {NEW}); END")
    elif dialect == "postgresql":
        bind = op.get_bind()
        has = bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first()
        if has is None:
            available = bind.exec_driver_sql(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").first()
            if available is None:
                return
            op.execute("SAVEPOINT xsync_trgm")
            try:
                op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 - no right to create it: search stays unindexed, still correct
                op.execute("ROLLBACK TO SAVEPOINT xsync_trgm")
                return
            op.execute("RELEASE SAVEPOINT xsync_trgm")
        for name, expr in PG_INDEXES.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON sync_item USING gin ({expr} gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("sync_item_fts_ai", "sync_item_fts_ad", "sync_item_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS sync_item_fts")
    elif dialect == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
