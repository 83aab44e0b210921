"""Alembic environment: uses the engine handed over by hts.migrate, or HTS_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from hts import models  # noqa: F401  (every table on the metadata, for autogenerate)
from hts.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database."""
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            import os

            url = os.environ.get("HTS_DATABASE_URL") or "sqlite:///instance/hts.sqlite3"
        engine = make_engine(url)
    with engine.connect() as connection:
        _run(connection)
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `hts init`.")
run_migrations_online()
