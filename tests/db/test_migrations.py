"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from db.migrate import alembic_config
from db.models import Base
from db.session import make_sync_engine


def test_schema_at_head_matches_the_models(database_url: str) -> None:
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            current = context.get_current_revision()
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current == head
    assert differences == [], f"models and migrations disagree: {differences}"


def test_downgrade_to_nothing_and_back(tmp_path) -> None:
    # On a private database: the shared ones stay at head for the other tests.
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "base")
    engine = make_sync_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(alembic_config(url), "head")
    engine = make_sync_engine(url)
    assert {"api_keys", "system_checks"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_upgrade_is_safe_to_repeat(database_url: str) -> None:
    # make run migrates on every start.
    command.upgrade(alembic_config(database_url), "head")
    command.upgrade(alembic_config(database_url), "head")
