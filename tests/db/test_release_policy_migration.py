"""Migration 0014 gives releases planned before it the product of the tickets linked to them."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from db.migrate import alembic_config
from db.session import make_sync_engine
from tests.db.test_feed_token_migration import private_url  # noqa: F401 (a fixture)

NOW = datetime(2026, 11, 30, 6, tzinfo=UTC)


def test_old_releases_take_their_tickets_policy(private_url: str) -> None:  # noqa: F811
    command.upgrade(alembic_config(private_url), "0011")
    engine = make_sync_engine(private_url)
    try:
        # Written as SQL: the models describe the newest schema, not revision 0011's.
        with Session(engine) as session, session.begin():
            session.execute(
                text(
                    "INSERT INTO accounts (name, policy, edition, created_at)"
                    " VALUES ('Old Ltd', 'e-shot', 'standard', :now)"
                ),
                {"now": NOW},
            )
            account_id = session.scalar(text("SELECT id FROM accounts"))
            session.execute(
                text(
                    "INSERT INTO tickets (reference, account_id, subject, description, channel,"
                    " type, policy, priority, status, line, received_at, opened_at, opened_by,"
                    " breached, version, updated_at) VALUES ('T-OLD-1', :account, 's', 'd',"
                    " 'email', 'incident', 'e-shot', 'p3', 'open', 1, :now, :now, 'test',"
                    " false, 1, :now)"
                ),
                {"account": account_id, "now": NOW},
            )
            ticket_id = session.scalar(text("SELECT id FROM tickets"))
            session.execute(
                text(
                    "INSERT INTO releases (id, name, kind, planned_for, notes, created_by,"
                    " created_at) VALUES ('R-LINKED', '7.2', 'hotfix', '2026-11-01', '', 'a',"
                    " :now), ('R-ALONE', '7.1', 'maintenance', '2026-10-01', '', 'a', :now)"
                ),
                {"now": NOW},
            )
            session.execute(
                text(
                    "INSERT INTO release_tickets (release_id, ticket_id, linked_at)"
                    " VALUES ('R-LINKED', :ticket, :now)"
                ),
                {"ticket": ticket_id, "now": NOW},
            )
        command.upgrade(alembic_config(private_url), "head")
        with engine.connect() as connection:
            rows = dict(connection.execute(text("SELECT id, policy FROM releases")).all())
            # Migration 0028: a ticket opened before versions ran under the preset, version 1.
            pinned = connection.execute(text("SELECT policy_version FROM tickets")).scalar()
    finally:
        engine.dispose()
    assert rows == {"R-LINKED": "e-shot", "R-ALONE": None}
    assert pinned == 1
