"""An account's report lists its own product's releases only, with its tickets they fixed."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.account_figures import account_month
from db.models import Account, Edition, Release, ReleaseTicket, Ticket

START, END = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
SHIPPED = datetime(2026, 10, 14, 19, tzinfo=UTC)


def _release(name: str, policy: str | None) -> Release:
    return Release(
        id=f"R-{secrets.token_hex(4)}", name=name, policy=policy, kind="maintenance",
        planned_for=date(2026, 10, 14), notes="", shipped_at=SHIPPED, created_by="test",
        created_at=SHIPPED,
    )  # fmt: skip


async def test_a_report_lists_only_its_products_releases(session: AsyncSession) -> None:
    account = Account(
        name=f"Reader {secrets.token_hex(3)}", policy="e-shot", edition=Edition.STANDARD
    )
    session.add(account)
    await session.flush()
    ticket = Ticket(
        reference=f"T-{secrets.token_hex(4)}", account_id=account.id, subject="s",
        description="d", channel="email", type="incident", policy="e-shot", priority="p3",
        status="closed", line=1, received_at=SHIPPED, opened_at=SHIPPED, opened_by="test",
        breached=False, version=1, updated_at=SHIPPED,
    )  # fmt: skip
    ours, also_ours = _release("e-shot 7.3", "e-shot"), _release("e-shot 7.3.1", "e-shot")
    theirs, unknown = _release("Spotler 12.0", "spotler"), _release("Unlinked 1.0", None)
    session.add_all([ticket, ours, also_ours, theirs, unknown])
    await session.flush()
    session.add(ReleaseTicket(release_id=ours.id, ticket_id=ticket.id, linked_at=SHIPPED))
    await session.flush()
    month = await account_month(
        session, account_id=account.id, policy="e-shot", start=START, end=END
    )
    listed = {r.name: r.tickets for r in month.releases}
    assert listed.get("e-shot 7.3") == 1  # it fixed one of this account's tickets
    assert listed.get("e-shot 7.3.1") == 0  # the product's, though none of theirs
    assert "Spotler 12.0" not in listed and "Unlinked 1.0" not in listed
