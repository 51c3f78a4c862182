"""Alembic environment: runs on the connection banwatch hands over, or on the URL from
banwatch's own settings when called as `alembic upgrade head`."""

from __future__ import annotations

from alembic import context

from monitor.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from monitor.config import load_settings
        from monitor.db import create_engine

        engine = create_engine(load_settings().database.url)
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("banwatch migrations run online only: use `banwatch db upgrade`")
run_migrations_online()
