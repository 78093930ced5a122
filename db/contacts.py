"""Which of an account's contacts are current, and which of them get its reports."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Contact


def current() -> ColumnElement[bool]:
    """Contacts who have not left."""
    return Contact.removed_at.is_(None)


def gets_reports() -> ColumnElement[bool]:
    """Current contacts flagged as report recipients, or representatives left unflagged."""
    return and_(
        current(),
        or_(
            Contact.receives_reports.is_(True),
            and_(Contact.receives_reports.is_(None), Contact.is_representative.is_(True)),
        ),
    )


async def report_recipients(session: AsyncSession, account_id: int) -> list[tuple[str, str]]:
    """(name, e-mail) of the account's report recipients, by e-mail."""
    rows = await session.execute(
        select(Contact.name, Contact.email)
        .where(Contact.account_id == account_id, gets_reports())
        .order_by(Contact.email)
    )
    return [(name, email) for name, email in rows.all()]
