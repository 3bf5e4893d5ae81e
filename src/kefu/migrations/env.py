"""Alembic environment: the target metadata is every kefu model."""

from __future__ import annotations

from alembic import context

from kefu.core.db import make_engine
from kefu.core.models import metadata

config = context.config


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    # the full-text objects are managed by kefu.tickets.queries.create_search_objects: the FTS5 table
    # (SQLite); the stored search_vector column and its GIN index ix_tickets_search_vector (PostgreSQL)
    if type_ == "column" and name == "search_vector" and getattr(obj, "table", None) is not None \
            and obj.table.name == "tickets":
        return False
    return not (name or "").startswith(("tickets_fts", "ix_tickets_search"))


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
