"""The satisfaction score in the monthly report and the review pack, from answers in the
database to the words in the PDF, read back with pypdf."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncSession

from activities.reports import monthly_document
from activities.reviews import pack_document
from db.account_figures import account_month
from reports.render import Renderer
from reports.words import satisfaction_score, satisfaction_short
from sla.periods import month_bounds, quarter_bounds
from tests.ratings import answer, resolved_ticket
from tests.reports.documents import monthly_content, pack_content

ZONE = "Europe/London"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def read(pdf: bytes) -> str:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pages))


def section(text: str) -> str:
    """The report's satisfaction section: from its heading to the next one."""
    return text.split("Customer satisfaction ", 2)[2].split("Product updates")[0]


async def test_the_monthly_report_gives_the_score_with_its_counts(
    session: AsyncSession, renderer: Renderer
) -> None:
    start, end = month_bounds("2026-11", ZONE)
    at = datetime(2026, 11, 12, 10, tzinfo=UTC)
    first = await resolved_ticket(session, at=at)
    await answer(session, first, "good", "Quick and friendly", at=at + timedelta(hours=2))
    for n, rating in enumerate(("good", "good", "good", "bad")):
        made = await resolved_ticket(session, account=first.account, at=at)
        comment = "The first answer took a day" if rating == "bad" else ""
        await answer(session, made, rating, comment, at=at + timedelta(days=n + 1))
    month = await account_month(
        session, account_id=first.account.id, policy=first.account.policy, start=start, end=end
    )
    assert month.satisfaction is not None
    assert (month.satisfaction.good, month.satisfaction.bad, month.satisfaction.asked) == (4, 1, 5)

    content = monthly_content().model_copy(update={"account_id": first.account.id, "month": month})
    _, pdf = monthly_document(renderer, "e-shot", content)
    text = read(pdf)
    assert "Customer satisfaction 4 of 5 good (80%)" in text  # at a glance
    said = section(text)
    assert "4 of 5 customers rated their ticket good (80%) this month." in said
    assert "We asked 5 people this month" in said
    assert "The first answer took a day" in said and "Quick and friendly" in said
    assert said.index("The first answer took a day") < said.index("Quick and friendly")
    assert first.contact.name in said


async def test_a_month_without_answers_says_so_and_shows_no_percentage(
    session: AsyncSession, renderer: Renderer
) -> None:
    made = await resolved_ticket(session, at=datetime(2026, 11, 3, 9, tzinfo=UTC))
    start, end = month_bounds("2026-11", ZONE)
    month = await account_month(
        session, account_id=made.account.id, policy=made.account.policy, start=start, end=end
    )
    assert month.satisfaction is not None and month.satisfaction.score is None
    content = monthly_content().model_copy(update={"month": month})
    text = read(monthly_document(renderer, "e-shot", content)[1])
    assert "Customer satisfaction No ratings" in text
    said = section(text)
    assert "No customer rated their ticket this month, so there is no satisfaction score." in said
    assert "We asked 1 person this month" in said
    assert "%" not in said


async def test_the_review_pack_gives_the_quarters_score(
    session: AsyncSession, renderer: Renderer
) -> None:
    start, end = quarter_bounds("2026-Q4", ZONE)
    first = await resolved_ticket(session, at=datetime(2026, 10, 20, 9, tzinfo=UTC))
    await answer(session, first, "good", at=datetime(2026, 10, 21, tzinfo=UTC))
    second = await resolved_ticket(session, account=first.account, at=start + timedelta(days=50))
    await answer(session, second, "bad", "Still slow", at=datetime(2026, 12, 1, tzinfo=UTC))
    third = await resolved_ticket(session, account=first.account, at=start + timedelta(days=60))
    await answer(session, third, "good", at=datetime(2026, 12, 11, tzinfo=UTC))
    figures = await account_month(
        session, account_id=first.account.id, policy=first.account.policy, start=start, end=end
    )
    content = pack_content().model_copy(update={"quarter_figures": figures})
    text = read(pack_document(renderer, "e-shot", content)[1])
    said = section(text)
    assert "2 of 3 customers rated their ticket good (67%) this quarter." in said
    assert "Still slow" in said


def test_the_words_never_make_a_score_of_nothing() -> None:
    assert satisfaction_score(0, 0) == "No customer rated their ticket"
    assert satisfaction_short(0, 0) == "No ratings"
    assert satisfaction_score(1, 0) == "1 of 1 customer rated their ticket good (100%)"
    assert satisfaction_score(0, 2) == "0 of 2 customers rated their ticket good (0%)"
    assert satisfaction_score(3, 5) == "3 of 8 customers rated their ticket good (38%)"
    assert satisfaction_short(2, 1) == "2 of 3 good (67%)"
