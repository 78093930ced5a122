"""Which calendar a ticket counts on, and time left in the unit it is counted in.

Hand-checked: Saturday 21 November 2026 at 22:00 London (GMT, so 22:00Z) is out of e-shot's
hours (Mon-Fri 08:30-18:00). On the 24/7 emergency calendar a P1 is answered by 23:00 and
resolved by Sunday 22:00; on support hours it would wait for Monday.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.api.conftest import Live, customer_key

SATURDAY_10PM = "2026-11-21T22:00:00Z"


async def test_an_agent_puts_an_emergency_on_the_24_7_calendar(live: Live) -> None:
    account = await live.account("e-shot")
    on_call = await live.open(
        account_id=account["id"], priority="p1", received_at=SATURDAY_10PM, calendar="emergency"
    )
    assert on_call.status_code == 201, on_call.text
    ticket = on_call.json()
    assert ticket["calendar"] == "emergency"
    assert ticket["first_response_due"] == "2026-11-21T23:00:00+00:00"
    assert ticket["resolution_due"] == "2026-11-22T22:00:00+00:00"
    usual = (
        await live.open(account_id=account["id"], priority="p1", received_at=SATURDAY_10PM)
    ).json()
    assert usual["calendar"] == "support"
    assert usual["first_response_due"] == "2026-11-23T09:30:00+00:00"
    assert usual["resolution_due"] == "2026-11-24T08:30:00+00:00"
    read = await live.http.get(f"/tickets/{ticket['reference']}", headers=live.as_("agent"))
    assert read.json()["calendar"] == "emergency"


async def test_the_emergency_line_counts_on_the_24_7_calendar(live: Live) -> None:
    account = await live.account("e-shot")
    ticket = (
        await live.open(
            account_id=account["id"], priority="p2", received_at=SATURDAY_10PM,
            channel="emergency",
        )
    ).json()  # fmt: skip
    # Open at receipt on the 24/7 calendar: P2's 2 hours, not the out-of-hours 4.
    assert (ticket["calendar"], ticket["first_response_due"]) == (
        "emergency",
        "2026-11-22T00:00:00+00:00",
    )


async def test_calendars_are_checked_and_chosen_by_staff(live: Live, engine: AsyncEngine) -> None:
    eshot, spotler = await live.account("e-shot"), await live.account("spotler")
    unknown = await live.open(account_id=eshot["id"], priority="p1", calendar="night")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.calendar"
    assert "emergency" in unknown.json()["detail"]  # names the calendars there are
    no_line = await live.open(account_id=spotler["id"], priority="high", channel="emergency")
    assert no_line.status_code == 422
    assert no_line.json()["errors"][0]["field"] == "body.channel"
    customer = await customer_key(engine, eshot["id"])
    by_customer = await live.http.post(
        "/tickets",
        json={
            "account_id": eshot["id"], "subject": "Down", "description": "All down",
            "channel": "web", "priority": "p1", "calendar": "emergency",
        },
        headers=customer,
    )  # fmt: skip
    assert by_customer.status_code == 403, by_customer.text


# '2 working days', '1 working day and 7 h 59 min of business time', '3 h of business time'.
IN_WORKING_DAYS = re.compile(
    r"^((\d+ working days?)( and (\d+ h ?)?(\d+ min )?of business time)?"
    r"|(\d+ h ?)?(\d+ min )?of business time)$"
)


async def test_time_left_reads_in_the_unit_it_is_counted_in(live: Live) -> None:
    putty = await live.account("electric-putty")
    normal = (await live.open(account_id=putty["id"], priority="normal")).json()
    left = normal["clocks"]["first_response"]
    assert left["target"] == "2 working_days"
    assert IN_WORKING_DAYS.match(left["remaining"]), left["remaining"]
    assert not re.search(r"\d+d\b", left["remaining"])  # never 24-hour days
    read = await live.http.get(f"/tickets/{normal['reference']}", headers=live.as_("agent"))
    words = read.json()["clocks"]["first_response"]["remaining"]
    assert IN_WORKING_DAYS.match(words), words
    eshot = await live.account("e-shot")
    urgent = (await live.open(account_id=eshot["id"], priority="p1")).json()
    assert urgent["clocks"]["first_response"]["remaining"].endswith(" of business time")


async def test_a_complaint_says_how_many_working_days_are_left(live: Live) -> None:
    complaint = (await live.complain()).json()
    # Standard regime: acknowledge within 5 working days after the day of receipt.
    assert complaint["clocks"]["acknowledgement"]["remaining"] == "5 working days after today"
    read = await live.http.get(
        f"/complaints/{complaint['reference']}", headers=live.as_("complaints_handler")
    )
    assert read.json()["clocks"]["reply"]["remaining"] == "20 working days after today"
