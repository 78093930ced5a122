"""Support hours in the portal: a line in every signed-in page's frame, and /portal/support.

The sentences are checked at hand-picked instants; the pages, which read the real clock, are
checked against the same sentences computed around the request.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from sla.opening import opening
from tests.conftest import Inbox
from tests.web.portal_people import make_customer, portal_sign_in
from web.portal.support_words import desk, frame_line, state_words, week_words

ZONE_IDS = re.compile(r"\b(Europe|America|Asia|Australia|Etc)/[A-Z]")
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def Z(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def text_of(html: str) -> str:
    """What a person reads: the tags and the head gone, spaces collapsed."""
    body = html.split("<body>", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace(" .", ".").replace(" :", ":")


# -------------------------------------------------------------------------- the sentences


def test_the_frame_says_open_until_when_or_closed_until_when_in_the_calendars_time() -> None:
    assert frame_line("e-shot", None, Z(2026, 12, 4, 17)) == (
        "Support is open now, until 18:00 (UK time)."
    )
    assert frame_line("electric-putty", None, Z(2026, 12, 4, 17, 30)) == (
        "Support is closed; it opens at 09:00 on Monday 7 December (UK time)."
    )
    assert frame_line("e-shot", None, Z(2026, 8, 31, 9)) == (
        "Support is closed today (Late Summer Bank Holiday); it opens at 08:30 tomorrow (UK time)."
    )
    assert frame_line("electric-putty", None, Z(2026, 12, 24, 10)) == (
        "Support is closed today (Christmas closure);"
        " it opens at 09:00 on Monday 4 January 2027 (UK time)."
    )
    assert frame_line("e-shot", None, Z(2026, 12, 7, 7)) == (
        "Support is closed; it opens at 08:30 today (UK time)."
    )


def test_the_persons_region_is_the_one_the_frame_speaks_of() -> None:
    tuesday = Z(2026, 12, 1, 10)
    assert frame_line("essensys", None, tuesday) == (
        "Support is open now, until the end of Friday 4 December (UK time)."
    )
    assert frame_line("essensys", "us-central", tuesday) == (
        "Support is open now, until 19:00 on Friday 4 December (US Central time)."
    )
    # Thursday 16:00 in Singapore: open until Friday's end there.
    assert frame_line("essensys", "apac", Z(2026, 12, 3, 8)) == (
        "Support is open now, until the end of tomorrow (Singapore time)."
    )
    # Friday evening in UTC is Saturday in Singapore: closed until Monday, Sunday in UTC.
    assert frame_line("essensys", "apac", Z(2026, 12, 4, 16, 30)) == (
        "Support is closed; it opens at 00:00 on Monday 7 December (Singapore time)."
    )
    # An essensys day ends at midnight: 'midnight tonight' when it is today's.
    assert frame_line("essensys", None, Z(2026, 12, 4, 10)) == (
        "Support is open now, until midnight tonight (UK time)."
    )


def test_a_24_7_line_is_open_around_the_clock() -> None:
    eshot = sla.get_policy("e-shot")
    line = eshot.calendar("emergency")
    state = opening(line, Z(2026, 12, 25, 3))
    assert state_words(state, line, "Emergency support") == (
        "Emergency support is open now, around the clock."
    )


def test_the_week_in_words() -> None:
    us = sla.get_policy("essensys").calendar("us-eastern")
    assert week_words(us.week) == [
        ("Monday to Thursday", "all day"),
        ("Friday", "00:00 to 20:00"),
        ("Saturday and Sunday", "closed"),
    ]
    eshot = sla.get_policy("e-shot")
    assert week_words(eshot.calendar().week) == [
        ("Monday to Friday", "08:30 to 18:00"),
        ("Saturday and Sunday", "closed"),
    ]
    assert desk(eshot, "support", Z(2026, 12, 4, 17)).short == "Open until 18:00"


# -------------------------------------------------------------------------- the pages


async def _frame_lines(policy: str, region: str | None, around: list[datetime]) -> set[str]:
    return {frame_line(policy, region, at) for at in around}


async def test_every_signed_in_page_says_whether_support_is_open_for_the_persons_region(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    account, contact = await make_customer(session, "essensys", representative=True)
    account.calendar = "us-central"
    await session.commit()
    signed = await portal_sign_in(client, inbox, contact.email)
    assert signed.status_code == 303
    for path in ("/portal", "/portal/support", "/portal/documents"):
        before = datetime.now(UTC)
        page = await client.get(path)
        after = datetime.now(UTC)
        assert page.status_code == 200, path
        said = text_of(page.text)
        expected = await _frame_lines("essensys", "us-central", [before, after])
        assert any(line in said for line in expected), (path, expected)
        assert "(US Central time)" in said and 'href="/portal/support"' in page.text
    # Nobody signed in: the sign-in page has no line about support.
    fresh = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
    async with fresh:
        login = await fresh.get("/portal/login")
        assert "Support is" not in text_of(login.text)


async def test_the_support_page_lists_the_persons_hours_first_then_the_other_regions(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    account, contact = await make_customer(session, "essensys", representative=True)
    account.calendar = "us-central"
    await session.commit()
    await portal_sign_in(client, inbox, contact.email)
    page = await client.get("/portal/support")
    assert page.status_code == 200
    said = text_of(page.text)
    assert "Your hours: US CT" in said and "All times in US Central time." in said
    assert "Monday to Thursday All day" in said and "Friday 00:00 to 19:00" in said
    others = said.split("Our other regions", 1)[1].split("Holidays and closures", 1)[0]
    for region, zone in (
        ("UK / EU", "UK time"),
        ("US EST", "US Eastern time"),
        ("US PST", "US Pacific time"),
        ("APAC", "Singapore time"),
    ):
        assert f"{region} ({zone})" in others
    assert "US CT" not in others
    assert "Thanksgiving Day" in said  # US federal holidays, the region's
    assert "Live chat (in the Solution)" in said
    assert not ZONE_IDS.search(said) and not ISO_INSTANT.search(said)


async def test_the_support_page_shows_the_christmas_closure_and_an_emergency_line(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    _, putty = await make_customer(session, "electric-putty")
    await portal_sign_in(client, inbox, putty.email)
    said = text_of((await client.get("/portal/support")).text)
    assert "Monday to Friday 09:00 to 18:00" not in said
    assert "Monday to Friday 09:00 to 17:00" in said and "Saturday and Sunday Closed" in said
    assert re.search(r"24 December( \d{4})? to Friday 1 January \d{4}: Christmas closure", said)
    assert "Our other regions" not in said and "Emergencies" not in said

    _, eshot = await make_customer(session, "e-shot")
    await portal_sign_in(client, inbox, eshot.email)
    said = text_of((await client.get("/portal/support")).text)
    assert "Emergency support is open now, around the clock." in said
    assert "Emergency support 24/7; contact details when logged into the platform." in said
    assert "between 8.00pm and 2.00am UK time" in said  # the maintenance window

    _, agency = await make_customer(session, "web-agency")
    await portal_sign_in(client, inbox, agency.email)
    said = text_of((await client.get("/portal/support")).text)
    assert "24/7 technical team is open now, around the clock." in said
    assert "For mission critical problems: The server or the website is down completely." in said
    assert not ZONE_IDS.search(said)
