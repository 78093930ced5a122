"""Uptime and outages in the monthly report and the review pack, from a history in the database
to the words in the PDF, read back with pypdf; and nothing about websites for an account
without monitors."""

from __future__ import annotations

import io
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession

from activities.reports import monthly_document
from activities.reviews import pack_document
from db.account_figures import account_month
from db.models import Account, Edition
from reports.render import Renderer
from sla.periods import month_bounds, quarter_bounds
from tests.reports.documents import monthly_content, pack_content
from tests.uptime_data import add_history, new_monitor

ZONE = "Europe/London"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def read(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages))


async def _account(session: AsyncSession) -> Account:
    account = Account(name=f"Harbour Cafe {secrets.token_hex(3)}", policy="web-agency",
                      edition=Edition.ENTERPRISE)  # fmt: skip
    session.add(account)
    await session.flush()
    return account


async def watched_october(session: AsyncSession) -> Account:
    """A site probed all October 2026 (UK time) but for a day with no checks, down twice:
    40 minutes from 14:10 on 7 October (ticket T-OUT-1) and 20 minutes from 23:50 on the 20th,
    across midnight (ticket T-OUT-2); each outage ends at the good answer that ended it, on the
    probes' five-minute beat, as real outages do."""
    account = await _account(session)
    start, end = month_bounds("2026-10", ZONE)
    monitor = new_monitor(start, account_id=account.id, name="www.harbourcafe.invalid")
    first = datetime(2026, 10, 7, 13, 10, tzinfo=UTC)  # 14:10 BST
    second = datetime(2026, 10, 20, 22, 50, tzinfo=UTC)  # 23:50 BST
    await add_history(
        session, monitor, start, end,
        outages=[(first, first + timedelta(minutes=40), "T-OUT-1"),
                 (second, second + timedelta(minutes=20), "T-OUT-2")],
        gaps=[(datetime(2026, 10, 12, tzinfo=UTC), datetime(2026, 10, 13, tzinfo=UTC))],
    )  # fmt: skip
    return account


async def test_the_monthly_report_gives_uptime_and_each_outage_in_words(
    session: AsyncSession, renderer: Renderer, tmp_path: Path
) -> None:
    account = await watched_october(session)
    start, end = month_bounds("2026-10", ZONE)
    month = await account_month(session, account_id=account.id, policy=account.policy,
                                start=start, end=end)  # fmt: skip
    (site,) = month.sites
    assert (site.down_minutes, len(site.outages)) == (60, 2)
    # October 2026 in London is 31 days and an hour (the clocks go back on the 25th): 44,700
    # minutes; a day unchecked but for the first 5 minutes, which the probe at 23:55 before it
    # speaks for.
    assert site.period_minutes == 31 * 1440 + 60
    assert site.known_minutes == 31 * 1440 + 60 - 1440 + 5
    content = monthly_content().model_copy(
        update={"account_id": account.id, "account_name": account.name, "month": month,
                "period": "2026-10", "timezone": ZONE}
    )  # fmt: skip
    _, pdf = monthly_document(renderer, "Web agency", content)
    (tmp_path / "monthly.pdf").write_bytes(pdf)
    text = read(pdf)
    assert "Your website" in text
    said = text.split("Your website", 1)[1]
    # 60 of 43,265 minutes checked down: 99.861...%, shown down to 99.86%.
    assert site.uptime == pytest.approx(1 - 60 / 43265)
    assert ("https://www.harbourcafe.invalid/ was up 99.86% of the time it was checked this "
            "month: down for 1 hour in all.") in said  # fmt: skip
    assert "for the rest we have no checks, which is not counted as up" in said
    assert "Wednesday 7 October 2026, 14:10 40 minutes T-OUT-1" in said
    assert "Tuesday 20 October 2026, 23:50 20 minutes T-OUT-2" in said


async def test_the_review_pack_gives_the_quarter(
    session: AsyncSession, renderer: Renderer, tmp_path: Path
) -> None:
    account = await watched_october(session)
    start, end = quarter_bounds("2026-Q4", ZONE)
    figures = await account_month(session, account_id=account.id, policy=account.policy,
                                  start=start, end=end)  # fmt: skip
    content = pack_content().model_copy(
        update={"account_id": account.id, "account_name": account.name,
                "quarter_figures": figures, "timezone": ZONE}
    )  # fmt: skip
    _, pdf = pack_document(renderer, "Web agency", content)
    (tmp_path / "pack.pdf").write_bytes(pdf)
    said = read(pdf).split("Your website", 1)[1]
    assert "this quarter: down for 1 hour in all" in said
    assert "T-OUT-1" in said and "T-OUT-2" in said


async def test_an_account_without_monitors_reads_nothing_of_websites(
    session: AsyncSession, renderer: Renderer
) -> None:
    account = await _account(session)
    start, end = month_bounds("2026-10", ZONE)
    month = await account_month(session, account_id=account.id, policy=account.policy,
                                start=start, end=end)  # fmt: skip
    assert month.sites == []
    content = monthly_content().model_copy(update={"account_id": account.id, "month": month})
    text = read(monthly_document(renderer, "Web agency", content)[1])
    assert "website" not in text.lower() and "checked" not in text
