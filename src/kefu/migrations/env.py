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
    # the full-text index objects are managed by kefu.tickets.queries.create_search_objects
    return not (name or "").startswith(("tickets_fts", "ix_tickets_search"))


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
