"""The huddle, the on-call rota and the monitor pages, through HTTP against the real app: what
each lists, the monitor forms refusing as the API does beside their fields, and a customer's
portal showing its own account's sites only."""

from __future__ import annotations

import html
import re
import secrets
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Complaint, Monitor, Outage, Role, Ticket, TicketClock
from reports.customer_words import near_time
from tests.api.conftest import Live, live  # noqa: F401 (the fixture)
from tests.conftest import Inbox, bearer
from tests.web.portal_people import make_customer, portal_sign_in
from tests.web.test_maintenance_pages import window
from web.console.desk_words import when

NOW = datetime.now(UTC).replace(microsecond=0)


def monitor_row(account: Account | None, name: str, state: str = "down") -> Monitor:
    return Monitor(
        id=f"M-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
        name=name,
        url=f"https://{name.split()[0].lower()}.invalid/",
        account_id=account.id if account else None,
        service=None if account else "platform",
        interval_seconds=300, expected_status=200, paused=False, state=state,
        state_since=NOW - timedelta(minutes=42), created_by="test", created_at=NOW,
        updated_at=NOW, version=1,
    )  # fmt: skip


def breached_ticket(account: Account) -> Ticket:
    return Ticket(
        reference=f"T-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
        account_id=account.id, contact_id=None, subject="Newsletter stuck in the outbox",
        description="It has not gone.", channel="email", type="incident", policy=account.policy,
        calendar=None, priority="p2", status="open", line=2, breached=True,
        received_at=NOW - timedelta(days=2), opened_at=NOW - timedelta(days=2),
        opened_by="Sam Agent", next_due=NOW - timedelta(hours=5), version=1, updated_at=NOW,
    )  # fmt: skip


def missed_first_response(ticket: Ticket, due: datetime) -> TicketClock:
    """The ticket's first-response clock as its workflow records a breach: the missed due."""
    return TicketClock(
        ticket_id=ticket.id, name="first_response", kind="clock", clock="business",
        calendar="support", target="4 business_hours", due=due, state="breached",
        breached_due=due,
    )  # fmt: skip


def complaint_row(name: str, acknowledgement_due: datetime, reply_due: datetime) -> Complaint:
    return Complaint(
        reference=f"C-{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}",
        complainant_name=name, summary="The newsletter went to the wrong list.",
        channel="email", jurisdiction="england-and-wales", regime="standard", status="open",
        received_at=NOW - timedelta(days=40), opened_at=NOW - timedelta(days=40),
        opened_by="test", acknowledgement_due=acknowledgement_due, reply_due=reply_due,
        original_reply_due=reply_due, acknowledgement_state="running", reply_state="running",
        next_due=acknowledgement_due, version=1, updated_at=NOW,
    )  # fmt: skip


LONDON = ZoneInfo("Europe/London")


def local_midnight(day_offset: int) -> datetime:
    """Local midnight `day_offset` days from today, in London: where day-counted dues fall."""
    today = datetime.now(LONDON).date() + timedelta(days=day_offset)
    return datetime.combine(today, time(0), LONDON).astimezone(UTC)


def text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def test_the_huddle_page_lists_a_breached_ticket_and_a_down_monitor(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _ = await make_customer(session, "e-shot")
    ticket = breached_ticket(account)
    session.add(ticket)
    session.add(monitor_row(account, "Harbour shop"))
    session.add(monitor_row(account, "Harbour blog", state="up"))
    await session.commit()
    # Tonight's window, at 21:00 on the team's clock (other tests' windows may be listed too).
    today = datetime.now(ZoneInfo("Europe/London")).date()
    nine = datetime.combine(today, time(21), ZoneInfo("Europe/London")).astimezone(UTC)
    await window(session, "Switch replacement", nine)
    page = await client.get("/console/huddle", headers=await bearer(session, Role.AGENT))
    assert page.status_code == 200, page.text
    words = text(page.text)
    breached = words.split("Breached, still open")[1].split("Due today")[0]
    assert ticket.reference in breached and "Newsletter stuck in the outbox" in breached
    down = words.split("Sites and services down")[1].split("Maintenance tonight")[0]
    assert "Harbour shop" in down and account.name in down and "Harbour blog" not in down
    tonight = words.split("Maintenance tonight")[1]
    assert "Switch replacement" in tonight and "21:00 UK time" in tonight
    # A customer's key is not let in.
    customer = await bearer(session, Role.CUSTOMER, account.id)
    assert (await client.get("/console/huddle", headers=customer)).status_code == 403


async def test_an_admin_sets_the_rota_in_the_console_and_a_wrong_week_is_said_beside_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    from tests.api.test_on_call import staff

    priya = await staff(session, "Priya Patel", "agent")
    admin = await bearer(session, Role.ADMIN)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    wrong = await client.post(
        "/console/on-call", content=f"week=2026-11-18&user_id={priya.id}", headers=admin | form
    )
    assert wrong.status_code == 422
    beside = re.search(r'id="set-week-error"[^>]*>([^<]*)<', wrong.text)
    assert beside and "a week starts on a Monday" in html.unescape(beside.group(1))
    # A far week was once a 500 the browser showed as raw JSON.
    far = await client.post(
        "/console/on-call", content=f"week=9999-12-27&user_id={priya.id}", headers=admin | form
    )
    assert far.status_code == 422, far.text
    beside = re.search(r'id="set-week-error"[^>]*>([^<]*)<', far.text)
    assert beside and "not a week the rota covers" in html.unescape(beside.group(1))
    assert 'value="9999-12-27"' in far.text
    this_week = re.search(r'id="week-(\d{4}-W\d\d)"', wrong.text)
    assert this_week
    done = await client.post(
        "/console/on-call",
        content=f"week={this_week.group(1)}&user_id={priya.id}&holiday_user_id=",
        headers=admin | form,
    )
    assert done.status_code == 303, done.text
    rota = await client.get("/console/on-call", headers=await bearer(session, Role.AGENT))
    row = rota.text.split(f'id="week-{this_week.group(1)}"')[1].split("</tr>")[0]
    assert "Priya Patel" in row
    # An agent reads the rota but is offered no form, and may not post one.
    assert 'id="form-set"' not in rota.text
    refused = await client.post(
        "/console/on-call",
        content=f"week={this_week.group(1)}&user_id={priya.id}",
        headers=await bearer(session, Role.AGENT) | form,
    )
    assert refused.status_code == 403


async def test_the_portal_shows_a_customer_its_own_sites_only(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    mine, me = await make_customer(session, "web-agency")
    theirs, _ = await make_customer(session, "web-agency")
    own = monitor_row(mine, "Bluebell shop")
    other = monitor_row(theirs, "Kestrel shop")
    service = monitor_row(None, "Platform API")
    session.add_all([own, other, service])
    await session.commit()
    assert (await portal_sign_in(client, inbox, me.email)).status_code == 303
    listing = await client.get("/portal/monitors")
    assert listing.status_code == 200
    words = text(listing.text)
    assert "Your website" in words and "Bluebell shop" in words
    assert "is down since" in words and "(UK time)" in words
    assert "Kestrel shop" not in words and "Platform API" not in words
    page = await client.get(f"/portal/monitors/{own.id}")
    assert page.status_code == 200
    assert "no data" in text(page.text)  # no roll-ups kept yet: never shown as up
    for hidden in (other.id, service.id):
        assert (await client.get(f"/portal/monitors/{hidden}")).status_code == 404


async def test_down_since_is_the_outages_first_failure_on_every_page(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    # A row as the workflow wrote it before: state_since the third failure (42 minutes ago);
    # the outage (and its mails and ticket) from the first, 43 min 20 s ago.
    mine, me = await make_customer(session, "web-agency")
    own = monitor_row(mine, "Wren shop")
    first = NOW - timedelta(minutes=43, seconds=20)
    session.add(own)
    await session.flush()
    session.add(Outage(monitor_id=own.id, started_at=first, detected_at=own.state_since,
                       cause="connection refused"))  # fmt: skip
    await session.commit()
    staff = await bearer(session, Role.AGENT)
    api = (await client.get(f"/monitors/{own.id}", headers=staff)).json()
    assert (
        datetime.fromisoformat(api["state_since"])
        == first
        == datetime.fromisoformat(api["outage"]["started_at"])
    )
    console = text((await client.get("/console/monitors", headers=staff)).text)
    assert f"Down since {text(str(when(first))).strip()}" in console
    assert (await portal_sign_in(client, inbox, me.email)).status_code == 303
    portal = text((await client.get("/portal/monitors")).text)
    assert f"down since {near_time(first, 'Europe/London', datetime.now(UTC))}" in portal


async def test_a_paused_down_monitor_shows_its_open_outage_the_same_everywhere(
    client: httpx.AsyncClient, session: AsyncSession, inbox: Inbox
) -> None:
    # Pausing ends nothing: the API's outage, the console's list and outage table and the
    # portal all say the outage is open and the site is not being checked.
    mine, me = await make_customer(session, "web-agency")
    own = monitor_row(mine, "Robin shop")
    own.paused = True
    started = NOW - timedelta(minutes=43)
    session.add(own)
    await session.flush()
    session.add(Outage(monitor_id=own.id, started_at=started, detected_at=own.state_since,
                       cause="connection refused"))  # fmt: skip
    await session.commit()
    staff = await bearer(session, Role.AGENT)
    api = (await client.get(f"/monitors/{own.id}", headers=staff)).json()
    assert api["paused"] is True and api["state"] == "down"
    assert api["outage"] is not None and api["outage"]["ended_at"] is None
    listing = text((await client.get("/console/monitors", headers=staff)).text)
    assert "Down paused" in listing
    page = text((await client.get(f"/console/monitors/{own.id}", headers=staff)).text)
    assert "Still open: down when paused, not checked since" in page
    assert (await portal_sign_in(client, inbox, me.email)).status_code == 303
    portal = text((await client.get("/portal/monitors")).text)
    assert "and not being watched just now" in portal and "down since" in portal


async def test_console_monitor_forms_refuse_beside_the_field_then_make_pause_and_delete(
    live: Live,  # noqa: F811
) -> None:
    account = await live.account("web-agency")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    agent = live.as_("agent") | form
    bad = await live.http.post(
        "/console/monitors",
        content=f"url=http%3A%2F%2F127.0.0.1%2F&account_id={account['id']}&interval_seconds=300"
        "&expected_status=200",
        headers=agent,
    )
    assert bad.status_code == 422
    beside = re.search(r'id="monitor-url-error"[^>]*>([^<]*)<', bad.text)
    assert beside and html.unescape(beside.group(1)) == (
        "This address is on this machine or a private network; Pledge does not watch those "
        "unless PLEDGE_MONITOR_ALLOWED_HOSTS allows it."
    )
    # Every field's problem at once, each beside its field in words, no API jargon.
    several = await live.http.post(
        "/console/monitors",
        content="url=http%3A%2F%2F127.0.0.1%2F&interval_seconds=often&expected_status=200",
        headers=agent,
    )
    assert several.status_code == 422
    said = {
        name: html.unescape(found)
        for name, found in re.findall(r'id="monitor-(\w+)-error"[^>]*>([^<]*)<', several.text)
    }
    assert said == {
        "url": html.unescape(beside.group(1)),
        "account_id": "Choose the customer whose website this is, or one of our own services "
        "below.",
        "interval_seconds": "Give a whole number of seconds, 30 or more (86400, a day, at most).",
    }
    words = text(several.text)
    assert "3 fields need changing" in words
    for jargon in ("body.", "`", "Input should be", "unable to parse"):
        assert jargon not in words, jargon
    short = await live.http.post(
        "/console/monitors",
        content=f"url=https%3A%2F%2Fshop.invalid%2F&account_id={account['id']}"
        "&interval_seconds=5&expected_status=200",
        headers=agent,
    )
    assert short.status_code == 422 and 'id="monitor-interval_seconds-error"' in short.text
    made = await live.http.post(
        "/console/monitors",
        content=f"url=https%3A%2F%2Fshop.invalid%2F&name=Shop&account_id={account['id']}"
        "&interval_seconds=86400&expected_status=200&keyword=",
        headers=agent,
    )
    assert made.status_code == 303, made.text
    where = made.headers["location"].split("?")[0]
    page = await live.http.get(where, headers=live.as_("agent"))
    words = text(page.text)
    assert "Shop" in words and "Not probed yet" in words and account["name"] in words
    assert "no data 24 hours" in words and "no data 90 days" in words
    assert "No outage in the last 90 days." in words
    listing = text((await live.http.get("/console/monitors", headers=live.as_("agent"))).text)
    assert "https://shop.invalid/" in listing and account["name"] in listing
    paused = await live.http.post(f"{where}/pause", headers=live.as_("agent"))
    assert paused.status_code == 303
    after = await live.http.get(where, headers=live.as_("agent"))
    assert "paused" in after.text and f'action="{where}/resume"' in after.text
    edited = await live.http.post(
        f"{where}/edit",
        content="url=https%3A%2F%2Fshop.invalid%2F&name=Main+shop&interval_seconds=86400"
        "&expected_status=200&keyword=Welcome",
        headers=agent,
    )
    assert edited.status_code == 303, edited.text
    assert "Main shop" in (await live.http.get(where, headers=live.as_("agent"))).text
    # Delete asks first: without the box ticked nothing is deleted, and the page says why.
    page = await live.http.get(where, headers=live.as_("agent"))
    assert re.search(r'<input type="checkbox" name="confirm" value="yes" required>', page.text)
    asked = await live.http.post(f"{where}/delete", headers=live.as_("agent"))
    assert asked.status_code == 422
    assert "Yes, stop watching" in text(asked.text) and "cannot be resumed" in text(asked.text)
    still = await live.http.get("/console/monitors", headers=live.as_("agent"))
    assert "Main shop" in still.text
    gone = await live.http.post(f"{where}/delete", content="confirm=yes", headers=agent)
    assert gone.status_code == 303
    listing = await live.http.get("/console/monitors", headers=live.as_("agent"))
    assert "Main shop" not in listing.text


async def test_a_console_action_that_cannot_be_done_is_said_on_the_monitors_page(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # A monitor whose workflow is not running (as after a lost history): pausing it is refused
    # on its own page, with the reason, not on a bare error page.
    account, _ = await make_customer(session, "web-agency")
    orphan = monitor_row(account, "Orphan shop")
    session.add(orphan)
    await session.commit()
    agent = await bearer(session, Role.AGENT)
    refused = await client.post(f"/console/monitors/{orphan.id}/pause", headers=agent)
    assert refused.status_code == 409
    said = re.search(r'<p class="refusal" role="alert">(.*?)</p>', refused.text)
    assert said and "Orphan shop is no longer running" in text(said.group(1))
    assert "https://orphan.invalid/" in refused.text  # the monitor's page, not an error page
    unknown = await client.post("/console/monitors/M-NONE-0000/pause", headers=agent)
    assert unknown.status_code == 404


async def test_the_huddle_says_what_a_breached_ticket_missed_and_overdue_complaints_first(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    account, _ = await make_customer(session, "e-shot")
    ticket = breached_ticket(account)
    ticket.next_due = NOW + timedelta(days=2)  # the resolution, still to come
    session.add(ticket)
    await session.flush()
    missed = NOW - timedelta(hours=26)
    session.add(missed_first_response(ticket, missed))
    # An acknowledgement a month overdue, and a reply due later this week.
    late = complaint_row("Olive Late", local_midnight(-32), NOW + timedelta(days=40))
    week_ends = datetime.combine(
        datetime.now(LONDON).date() + timedelta(days=7 - datetime.now(LONDON).weekday()),
        time(0),
        LONDON,
    ).astimezone(UTC)
    soon = complaint_row("Sunil Soon", NOW - timedelta(days=3), NOW + (week_ends - NOW) / 2)
    soon.acknowledged_at = NOW - timedelta(days=30)
    session.add_all([soon, late])
    await session.commit()
    page = await client.get("/console/huddle", headers=await bearer(session, Role.AGENT))
    assert page.status_code == 200, page.text
    words = text(page.text)
    breached = words.split("Breached, still open")[1].split("Due today")[0]
    line = breached.split(ticket.reference)[1].split("T-")[0]
    local = missed.astimezone(LONDON)
    assert f"first response missed {local:%a} {local.day} {local:%b %Y}, {local:%H:%M}" in line
    assert "next due" in line and line.index("missed") < line.index("next due")
    complaints = words.split("Complaints due this week")[1].split("Reviews this week")[0]
    day = (local_midnight(-32) - timedelta(days=1)).astimezone(LONDON)
    assert f"Olive Late: acknowledgement overdue since end of {day:%a} {day.day} {day:%b}" in (
        complaints
    )
    assert "Sunil Soon: full reply due" in complaints
    assert "Sunil Soon: full reply overdue" not in complaints
    # Overdue first, whatever else other tests left there.
    assert complaints.index(late.reference) < complaints.index(soon.reference)
    firsts = re.findall(r"(C-\w{4}-\w{4}) [^:]+: [a-z ]+? (overdue|due) ", complaints)
    assert len(firsts) >= 2, complaints
    states = [state for _, state in firsts]
    assert states == sorted(states, key=lambda s: s != "overdue"), firsts
