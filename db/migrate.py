"""Apply Alembic migrations: `python -m db.migrate` brings DATABASE_URL's schema to head."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

HERE = Path(__file__).resolve().parent


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    """Alembic's config built in code, so it works from any working directory."""
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["connection"] = connection
    return config


def upgrade(database_url: str) -> None:
    """Bring the database to the newest schema; safe to run on every start."""
    command.upgrade(alembic_config(database_url), "head")


def main() -> int:
    from db.url import DatabaseUrlError, describe, parse_database_url
    from settings import get_settings

    raw = get_settings().effective_database_url
    try:
        url = parse_database_url(raw)
        upgrade(raw)
    except DatabaseUrlError as exc:
        print(f"pledge: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one line for a person, not a traceback
        from db.errors import explain

        print(f"pledge: {explain(exc, raw)}", file=sys.stderr)
        return 1
    print(f"pledge: database {describe(url)} is at the newest schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
