"""Customer satisfaction through the API, the portal's service function and the dashboard: the
answer on the ticket, the period's score, and who may give an answer. In the test's rolled-back
transaction (tests/ratings.py makes the rows a resolved ticket's workflow leaves)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import Conflict, Forbidden, NotFound
from api.schemas import RatingIn
from db.models import Role, TicketRating
from services import satisfaction
from sla.periods import month_of
from tests.conftest import bearer
from tests.ratings import answer, resolved_ticket
from web.console.dashboard import _share


def _portal(account_id: int, contact_id: int) -> Principal:
    """A contact signed in to the portal, as web.portal.viewer makes them."""
    return Principal(
        key_id=None, name="portal", role=Role.CUSTOMER, account_id=account_id,
        contact_id=contact_id,
    )  # fmt: skip


async def test_the_ticket_detail_shows_the_question_and_the_answer(
    client: httpx.AsyncClient, session: AsyncSession, agent_headers: dict[str, str]
) -> None:
    unasked = await resolved_ticket(session, asked=False)
    detail = await client.get(f"/tickets/{unasked.ticket.reference}", headers=agent_headers)
    assert detail.status_code == 200, detail.text
    assert detail.json()["satisfaction"] is None

    made = await resolved_ticket(session)
    path = f"/tickets/{made.ticket.reference}"
    waiting = (await client.get(path, headers=agent_headers)).json()["satisfaction"]
    assert waiting["rating"] is None and waiting["rated_by"] is None
    assert waiting["asked_at"].endswith("+00:00") and waiting["comment"] == ""

    rated_at = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    await answer(session, made, "bad", "Took two days to get a first answer.", at=rated_at)
    said = (await client.get(path, headers=agent_headers)).json()["satisfaction"]
    assert said == {
        "asked_at": waiting["asked_at"],
        "rating": "bad",
        "comment": "Took two days to get a first answer.",
        "rated_at": "2026-11-20T15:30:00+00:00",
        "rated_by": made.contact.name,
    }
    # The account's own customer key reads it; another account's gets the same 404 as none.
    own = await bearer(session, Role.CUSTOMER, made.account.id)
    assert (await client.get(path, headers=own)).json()["satisfaction"]["rating"] == "bad"
    other = await resolved_ticket(session)
    theirs = await bearer(session, Role.CUSTOMER, other.account.id)
    assert (await client.get(path, headers=theirs)).status_code == 404


async def test_the_score_counts_answers_in_the_period_and_is_null_without_any(
    client: httpx.AsyncClient, session: AsyncSession, agent_headers: dict[str, str]
) -> None:
    november = datetime(2026, 11, 10, 12, tzinfo=UTC)
    first = await resolved_ticket(session, at=november)
    await answer(session, first, "good", "Great", at=november + timedelta(hours=1))
    for rating, comment in (("good", ""), ("good", ""), ("good", ""), ("bad", "Slow")):
        made = await resolved_ticket(session, account=first.account, at=november)
        await answer(session, made, rating, comment, at=november + timedelta(hours=2))
    # Asked in November, answered in December: counted in December's answers only.
    late = await resolved_ticket(session, account=first.account, at=november)
    await answer(session, late, "bad", "Outside the period", at=datetime(2026, 12, 2, tzinfo=UTC))
    # Asked in December: not among November's asked.
    await resolved_ticket(session, account=first.account, at=datetime(2026, 12, 1, tzinfo=UTC))

    figures = await client.get(
        "/metrics/satisfaction",
        params={"account_id": first.account.id, "period": "2026-11"},
        headers=agent_headers,
    )
    assert figures.status_code == 200, figures.text
    body = figures.json()
    assert (body["good"], body["bad"], body["rated"], body["score"]) == (4, 1, 5, 0.8)
    assert body["asked"] == 6  # asked in November, answered or not
    assert [c["comment"] for c in body["comments"]] == ["Slow", "Great"]  # newest first

    empty = await client.get(
        "/metrics/satisfaction",
        params={"account_id": first.account.id, "period": "2026-10"},
        headers=agent_headers,
    )
    assert empty.json()["score"] is None and empty.json()["rated"] == 0

    # A customer reads their own account's score, and not another's.
    own = await bearer(session, Role.CUSTOMER, first.account.id)
    mine = await client.get("/metrics/satisfaction", params={"period": "2026-11"}, headers=own)
    assert mine.json()["account_id"] == first.account.id and mine.json()["rated"] == 5
    other = await resolved_ticket(session)
    theirs = await bearer(session, Role.CUSTOMER, other.account.id)
    refused = await client.get(
        "/metrics/satisfaction",
        params={"account_id": first.account.id, "period": "2026-11"},
        headers=theirs,
    )
    assert refused.status_code == 403
    bad_period = await client.get(
        "/metrics/satisfaction", params={"period": "November"}, headers=agent_headers
    )
    assert bad_period.status_code == 422 and "query.period" in bad_period.text


async def test_the_dashboard_shows_this_months_score_as_the_api_counts_it(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    made = await resolved_ticket(session)
    await answer(session, made, "good", "Sorted within the hour, thank you")
    other = await resolved_ticket(session)
    await answer(session, other, "bad")
    period = month_of(datetime.now(UTC).date())
    figures = (
        await client.get("/metrics/satisfaction", params={"period": period}, headers=admin_headers)
    ).json()
    assert figures["rated"] >= 2  # every account's, this month: these two and any others
    page = await client.get("/console/dashboard", headers=admin_headers)
    assert page.status_code == 200
    score = re.search(r'id="satisfaction-score"><span class="figure">([^<]+)</span>', page.text)
    assert score is not None and score.group(1) == _share(figures["score"])
    assert f"{figures['good']} of {figures['rated']} answers" in page.text
    assert f"{figures['good']} good · {figures['bad']} bad" in page.text
    assert "Sorted within the hour, thank you" in page.text
    assert f'href="/console/tickets/{made.ticket.reference}"' in page.text

    ticket_page = await client.get(
        f"/console/tickets/{made.ticket.reference}", headers=admin_headers
    )
    shown = re.search(r'<dd id="satisfaction">(.*?)</dd>', ticket_page.text, re.S)
    assert shown is not None
    assert ">Good</strong> · answered by " + made.contact.name in shown.group(1)
    assert "Sorted within the hour, thank you" in shown.group(1)


# -- the portal's door: services.satisfaction.rate --------------------------------------------


async def test_the_portal_records_the_contacts_own_answer(session: AsyncSession) -> None:
    made = await resolved_ticket(session)
    principal = _portal(made.account.id, made.contact.id)
    recorded = await satisfaction.rate(
        session, principal, made.ticket.reference, RatingIn(rating="good", comment=" Fine ")
    )
    assert (recorded.rating, recorded.comment, recorded.rated_by) == (
        "good", "Fine", made.contact.name,
    )  # fmt: skip
    changed = await satisfaction.rate(
        session, principal, made.ticket.reference, RatingIn(rating="bad")
    )
    assert changed.rating == "bad"
    row = await session.get(TicketRating, made.ticket.id, populate_existing=True)
    assert row is not None and row.rating == "bad"


async def test_a_customer_of_another_account_cannot_rate(session: AsyncSession) -> None:
    made = await resolved_ticket(session)
    stranger = await resolved_ticket(session)  # another account, with its own contact
    with pytest.raises(NotFound):
        await satisfaction.rate(
            session,
            _portal(stranger.account.id, stranger.contact.id),
            made.ticket.reference,
            RatingIn(rating="bad"),
        )
    # Even naming the contact of account A, a session of account B reaches nothing.
    with pytest.raises(NotFound):
        await satisfaction.rate(
            session,
            _portal(stranger.account.id, made.contact.id),
            made.ticket.reference,
            RatingIn(rating="bad"),
        )
    assert await session.get(TicketRating, made.ticket.id) is None


async def test_only_the_tickets_contact_is_asked(session: AsyncSession) -> None:
    made = await resolved_ticket(session)
    colleague = await resolved_ticket(session, account=made.account)  # same account, not theirs
    with pytest.raises(Forbidden):
        await satisfaction.rate(
            session,
            _portal(made.account.id, colleague.contact.id),
            made.ticket.reference,
            RatingIn(rating="good"),
        )
    staff = Principal(key_id=1, name="agent", role=Role.AGENT, account_id=None)
    with pytest.raises(Forbidden):
        await satisfaction.rate(session, staff, made.ticket.reference, RatingIn(rating="good"))
    unasked = await resolved_ticket(session, account=made.account, asked=False, status="open")
    with pytest.raises(Conflict):
        await satisfaction.rate(
            session,
            _portal(made.account.id, unasked.contact.id),
            unasked.ticket.reference,
            RatingIn(rating="good"),
        )
    assert await session.get(TicketRating, made.ticket.id) is None


def test_an_answer_is_good_or_bad_with_a_comment_of_sensible_length() -> None:
    refused = (
        {"rating": "meh"},
        {"rating": "good", "comment": "x" * 2001},
        {"comment": "hi"},
        {"rating": "good", "stars": 5},
        {"rating": "bad", "comment": "a\x00b"},
    )
    for bad in refused:
        with pytest.raises(ValidationError):
            RatingIn(**bad)
    assert RatingIn(rating="bad", comment="x" * 2000).comment == "x" * 2000
