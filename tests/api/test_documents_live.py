"""What customers receive, through the running API: the rules of reports and reviews, and the
figures a release meets read the same in GET /metrics/sla, the PDF and its mail."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta

from pypdf import PdfReader

import sla
from sla.periods import at_local, local_date, quarter_of, working_day_after
from tests.api.conftest import Live
from tests.conftest import Inbox
from tests.workflows.tickets import eventually

ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))


async def test_a_report_on_demand_for_an_edition_without_monthly_reporting_is_409(
    live: Live,
) -> None:
    account = await live.account("essensys", edition="standard")
    assert account["services"]["monthly_reporting"] is False
    period = datetime.now(UTC).strftime("%Y-%m")
    response = await live.http.post(
        f"/accounts/{account['id']}/reports", json={"period": period},
        headers=live.as_("success_manager"),
    )  # fmt: skip
    assert response.status_code == 409, response.text
    assert "standard edition" in response.json()["detail"]
    assert "monthly reporting" in response.json()["detail"]
    listed = await live.http.get(
        f"/accounts/{account['id']}/reports", headers=live.as_("success_manager")
    )
    assert listed.json() == []


async def test_a_review_covers_the_quarter_before_its_meeting(live: Live) -> None:
    calendar = sla.get_policy("essensys").calendar()
    today = local_date(calendar, datetime.now(UTC))
    # A meeting early in the next quarter reviews this one, whenever it is proposed.
    quarter_month = 3 * ((today.month - 1) // 3) + 1
    next_quarter = date(today.year + (quarter_month + 3 > 12), (quarter_month + 2) % 12 + 1, 1)
    meeting = at_local(calendar, working_day_after(calendar, next_quarter, 5), time(10))
    account = await live.account("essensys", edition="enterprise")
    created = await live.http.post(
        f"/accounts/{account['id']}/reviews", json={"starts_at": meeting.isoformat()},
        headers=live.as_("success_manager"),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["quarter"] == quarter_of(today)
    assert created.json()["quarter"] == quarter_of(next_quarter - timedelta(days=1))


async def test_a_review_outside_the_accounts_working_hours_is_refused(live: Live) -> None:
    calendar = sla.get_policy("essensys").calendar("us-pacific")
    account = await live.account("essensys", edition="enterprise", calendar="us-pacific")
    manager = live.as_("success_manager")
    day = working_day_after(calendar, local_date(calendar, datetime.now(UTC)), 10)
    while day.weekday() == 4:  # Friday closes early in Pacific time; keep to a full day
        day = working_day_after(calendar, day, 1)
    at = f"/accounts/{account['id']}/reviews"
    night = at_local(calendar, day, time(2))  # the desk is open; its people are asleep
    refused = await live.http.post(at, json={"starts_at": night.isoformat()}, headers=manager)
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert problem["field"] == "body.starts_at"
    assert "02:00 P" in problem["message"] and "working hours" in problem["message"]
    created = await live.http.post(
        at, json={"starts_at": at_local(calendar, day, time(10)).isoformat()}, headers=manager
    )
    assert created.status_code == 201, created.text
    review = created.json()
    moved = await live.http.post(
        f"/reviews/{review['id']}/reschedule",
        json={"starts_at": at_local(calendar, day, time(2)).isoformat()},
        headers=manager,
    )
    assert moved.status_code == 422, moved.text
    assert "working hours" in moved.json()["errors"][0]["message"]
    [kept] = (await live.http.get(at, headers=manager)).json()
    assert (kept["sequence"], kept["starts_at"]) == (0, review["starts_at"])


async def test_targets_met_by_a_release_are_counted_apart_everywhere(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account(
        "e-shot", success_manager_name="Sam Success", success_manager_email="sam@pledge.example.com"
    )
    rep = await live.contact(account["id"], is_representative=True)
    agent = live.as_("agent")
    opened = await live.open(account_id=account["id"], contact_id=rep["id"], priority="p3")
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]
    release = await live.http.post(
        "/releases",
        json={"name": "Maintenance 26.12", "kind": "maintenance", "policy": "e-shot",
              "planned_for": (date.today() + timedelta(days=1)).isoformat()},
        headers=agent,
    )  # fmt: skip
    assert release.status_code == 201, release.text
    release_id = release.json()["id"]
    linked = await live.http.post(
        f"/releases/{release_id}/tickets", json={"references": [reference]}, headers=agent
    )
    assert linked.status_code == 200, linked.text
    shipped = await live.http.post(f"/releases/{release_id}/ship", headers=agent)
    assert shipped.status_code == 200, shipped.text
    manager = live.as_("success_manager")
    period = datetime.now(UTC).strftime("%Y-%m")

    async def met_by_release() -> dict | None:
        figures = await live.http.get(
            "/metrics/sla", params={"account_id": account["id"], "period": period},
            headers=manager,
        )  # fmt: skip
        overall = figures.json()["overall"]
        return overall if overall["resolution"]["met_by_release"] == 1 else None

    overall = await eventually(met_by_release)
    resolution = overall["resolution"]
    # Nothing had a time to be met in: no share "in time", and no ticket resolved by hand.
    assert (resolution["met"], resolution["breached"], resolution["attainment"]) == (0, 0, None)

    made = await live.http.post(
        f"/accounts/{account['id']}/reports", json={"period": period, "send": True},
        headers=manager,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    pdf = await live.http.get(made.json()["url"], headers=manager)
    text = pdf_text(pdf.content)
    assert "Tickets resolved 0" in text
    assert "Resolution in time – 1 met by release" in text
    assert "100%" not in text.split("Resolution in time")[1][:40]
    assert "Medium" in text and not re.search(r"\bp[1-4]\b", text)
    assert not ISO_INSTANT.search(text)
    for internal in ("/tickets/", "/accounts/", "/reports/", "/metrics/", "Pledge"):
        assert internal not in text, internal

    [mail] = await inbox.wait_for(
        lambda m: m["To"] == rep["email"] and "Monthly report" in m["Subject"]
    )
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert body.count("Hello") == 1
    assert f"the monthly report for {account['name']}, covering" in body
    assert "Sam Success" in body and "/reports/" not in body and not ISO_INSTANT.search(body)
