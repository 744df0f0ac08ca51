"""Alembic environment: run against the connection Rasad hands over (console.store.db.migrate).

Also usable from the alembic command line for development:
    alembic -c console/store/migrations/alembic.ini -x url=sqlite:///x.db upgrade head
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from console.store.schema import metadata


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


# Alembic executes this file with `context` set up; a plain import (tools, tests) does nothing.
if getattr(context, "config", None) is not None:
    main()
