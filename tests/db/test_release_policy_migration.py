"""Migration 0014 gives releases planned before it the product of the tickets linked to them."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from db.migrate import alembic_config
from db.models import Account, Edition, Ticket
from db.session import make_sync_engine
from tests.db.test_feed_token_migration import private_url  # noqa: F401 (a fixture)

NOW = datetime(2026, 11, 30, 6, tzinfo=UTC)


def _ticket(account_id: int, reference: str, policy: str) -> Ticket:
    return Ticket(
        reference=reference, account_id=account_id, subject="s", description="d",
        channel="email", type="incident", policy=policy, priority="p3", status="open", line=1,
        received_at=NOW, opened_at=NOW, opened_by="test", breached=False, version=1,
        updated_at=NOW,
    )  # fmt: skip


def test_old_releases_take_their_tickets_policy(private_url: str) -> None:  # noqa: F811
    command.upgrade(alembic_config(private_url), "0011")
    engine = make_sync_engine(private_url)
    try:
        with Session(engine) as session, session.begin():
            account = Account(name="Old Ltd", policy="e-shot", edition=Edition.STANDARD)
            session.add(account)
            session.flush()
            session.add(_ticket(account.id, "T-OLD-1", "e-shot"))
            session.flush()
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
    finally:
        engine.dispose()
    assert rows == {"R-LINKED": "e-shot", "R-ALONE": None}
