"""Maintenance in the pages, through HTTP against the real app: the banner in the console's
frame (every window announced) and the portal's (only the customer's own), and the console's
maintenance page refusing a window beside the field, in the policy's words."""

from __future__ import annotations

import html
import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import MaintenanceWindow, Role
from reports.maintenance import window_words
from sla import get_policy
from sla.maintenance_rules import night_of
from tests.conftest import Inbox, bearer
from tests.web.portal_people import make_customer, portal_sign_in

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def text_of(page: str) -> str:
    body = page.split("<body>", 1)[-1]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def evening(days: int, hour: int = 21) -> datetime:
    night = night_of(get_policy("e-shot"), (datetime.now(UTC) + timedelta(days=days)).date())
    assert night is not None
    return night.opens + timedelta(hours=hour - 20)


async def window(
    session: AsyncSession, title: str, starts_at: datetime, **values: object
) -> MaintenanceWindow:
    """A window's row as its workflow writes it (the pages only read it)."""
    now = datetime.now(UTC)
    row = MaintenanceWindow(
        id=f"W-{secrets.token_hex(4).upper()}", title=title, description="",
        services=["platform", "sending"], policy="e-shot", account_ids=[],
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), timezone="Europe/London",
        state="scheduled", sequence=0, announced_at=now, created_by="Sam", signed_by="Sam",
        created_at=now, updated_at=now, version=1,
    )  # fmt: skip
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    await session.commit()
    return row


async def test_the_console_shows_every_window_and_the_portal_only_the_customers_own(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    account, contact = await make_customer(session, "e-shot")
    other, _ = await make_customer(session, "e-shot")
    starts = evening(3)
    ours = await window(session, f"Database upgrade {secrets.token_hex(2)}", starts)
    theirs = await window(
        session, f"Site move {secrets.token_hex(2)}", starts, account_ids=[other.id]
    )
    gone = await window(session, f"Called off {secrets.token_hex(2)}", starts, state="cancelled")
    over = await window(
        session, f"Last week {secrets.token_hex(2)}", starts - timedelta(days=7), state="completed"
    )
    when = window_words(starts, starts + timedelta(hours=2), "Europe/London")
    local = starts.astimezone(ZoneInfo("Europe/London"))
    assert when == f"{local:%A} {local.day} {local:%B}, 21:00 to 23:00 UK time"

    staff = await bearer(session, Role.AGENT)
    page = text_of((await client.get("/console/releases", headers=staff)).text)
    assert f"Scheduled maintenance: {ours.title}, {when}. Affects the platform and sending." in page
    assert theirs.title in page  # the console shows all
    assert gone.title not in page and over.title not in page

    assert (await portal_sign_in(client, inbox, contact.email)).status_code == 303
    portal = text_of((await client.get("/portal")).text)
    assert f"Scheduled maintenance: {ours.title}, {when}." in portal
    assert theirs.title not in portal  # another account's window
    assert gone.title not in portal and over.title not in portal


async def test_the_page_says_which_accounts_are_told_and_who_has_nobody_to_tell(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    told, _ = await make_customer(session, "e-shot", representative=True)
    bare, _ = await make_customer(session, "e-shot")  # neither administrator nor representative
    named = await window(
        session, f"Site move {secrets.token_hex(2)}", evening(3), account_ids=[told.id, bare.id]
    )
    staff = await bearer(session, Role.SUCCESS_MANAGER)
    page = text_of((await client.get("/console/maintenance", headers=staff)).text)
    card = page[page.index(named.title) :]
    assert "account named" not in card.split("State")[0]
    assert told.name in card and bare.name in card
    assert "(1 person)" in card
    assert f"Nobody to tell at {bare.name}" in card


async def test_under_way_says_so(client: httpx.AsyncClient, session: AsyncSession) -> None:
    began = datetime.now(UTC) - timedelta(minutes=30)
    now_on = await window(session, f"Index rebuild {secrets.token_hex(2)}", began)
    now_on.state = "in_progress"
    await session.commit()
    staff = await bearer(session, Role.SUCCESS_MANAGER)
    page = text_of((await client.get("/console/maintenance", headers=staff)).text)
    assert f"Maintenance under way: {now_on.title}," in page


async def test_the_schedule_form_shows_the_promise_beside_the_field(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    customer, _ = await make_customer(session, "e-shot")
    manager = await bearer(session, Role.SUCCESS_MANAGER)
    page = await client.get("/console/maintenance", headers=manager)
    assert page.status_code == 200 and 'id="form-schedule"' in page.text
    tomorrow = evening(1).astimezone(ZoneInfo("Europe/London"))
    form = {
        "title": "Database upgrade",
        "service_platform": "on",
        "service_sending": "on",
        "policy": "e-shot",
        "starts_at": f"{tomorrow:%Y-%m-%dT%H:%M}",
        "ends_at": f"{tomorrow + timedelta(hours=1):%Y-%m-%dT%H:%M}",
    }
    refused = await client.post("/console/maintenance", data=form, headers=manager | FORM)
    assert refused.status_code == 422
    beside = re.search(r'id="schedule-starts_at-error"[^>]*>([^<]*)<', refused.text)
    assert beside is not None
    assert "promises customers at least 2 days' notice of maintenance" in html.unescape(
        beside.group(1)
    )
    assert 'value="Database upgrade"' in refused.text  # what was typed is kept
    # Services are the known ones, ticked as posted; accounts may be ticked to name them.
    assert re.search(r'name="service_platform"[^>]*checked', refused.text)
    assert not re.search(r'name="service_api"[^>]*checked', refused.text)
    assert f'name="account_{customer.id}"' in refused.text
    early = evening(3, 19).astimezone(ZoneInfo("Europe/London"))
    late = dict(
        form,
        starts_at=f"{early:%Y-%m-%dT%H:%M}",
        ends_at=f"{early + timedelta(hours=2):%Y-%m-%dT%H:%M}",
    )
    refused = await client.post("/console/maintenance", data=late, headers=manager | FORM)
    assert refused.status_code == 422
    assert "20:00 to 02:00 UK time" in text_of(refused.text)

    # An agent reads the page but is offered no form, and may not post one.
    agent = await bearer(session, Role.AGENT)
    read = await client.get("/console/maintenance", headers=agent)
    assert read.status_code == 200 and 'id="form-schedule"' not in read.text
    denied = await client.post("/console/maintenance", data=form, headers=agent | FORM)
    assert denied.status_code == 403
