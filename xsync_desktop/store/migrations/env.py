"""Alembic environment: runs against the connection handed over by store.migrate,
so the app, the tests and the CLI all migrate the same way (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from xsync_desktop.store.migrate import include_name
from xsync_desktop.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config({"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER through table copies
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
