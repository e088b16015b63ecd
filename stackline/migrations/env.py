"""Alembic environment: runs migrations against the URL stackline passes in its Config."""

from alembic import context
from sqlalchemy import create_engine, pool

from stackline.readmodels.db import exclusive_migration
from stackline.readmodels.schema import metadata, on_dialect

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError(
            "alembic's Config has no sqlalchemy.url: run migrations through `stackline migrate`"
        )
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection, exclusive_migration(connection):
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            # Autogenerate leaves alone what exists on another engine only (pg_trgm indexes).
            include_object=lambda obj, name, kind, reflected, compare_to: on_dialect(
                obj, connection.dialect.name
            ),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
