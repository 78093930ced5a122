"""Alembic environment: migrates the database named by DATABASE_URL or handed in by db.migrate."""

from __future__ import annotations

from alembic import context

from db.models import Base
from db.session import make_sync_engine
from db.types import UTCDateTime
from settings import get_settings

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: object, autogen_context) -> str | bool:  # type: ignore[no-untyped-def]
    """Autogenerate writes our UTC column type as an import of db.types, not a dotted path."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from db.types import UTCDateTime")
        return "UTCDateTime()"
    return False


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = config.attributes.get("database_url") or get_settings().effective_database_url
    engine = make_sync_engine(url)
    with engine.connect() as conn:
        run_migrations(conn)
    engine.dispose()
