"""Alembic environment: the connection comes from the app (config.attributes["connection"]) or from
`-x url=...` on the command line."""

from alembic import context
from sqlalchemy import create_engine

from review.service.store import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    with create_engine(url).connect() as fresh:
        run_migrations(fresh)
