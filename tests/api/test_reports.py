"""Monthly reports on demand, end to end: every figure in the PDF is the API's figure."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from pypdf import PdfReader

from reports.dates import duration
from tests.api.conftest import Live, customer_key
from tests.conftest import Inbox
from tests.workflows.tickets import eventually


def pdf_text(content: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text)


def in_time(figure: dict) -> str:
    """As the report writes a share met in time: "3 of 4 (75%)", a dash when none decided."""
    decided = figure["met"] + figure["breached"]
    return f"{figure['met']} of {decided} ({figure['attainment'] * 100:.0f}%)" if decided else "–"


async def test_a_report_on_demand_says_what_the_metrics_say(live: Live, inbox: Inbox) -> None:
    account = await live.account(
        "e-shot", success_manager_name="Sam Success", success_manager_email="sam@pledge.example.com"
    )
    rep = await live.contact(account["id"], is_representative=True)
    agent = live.as_("agent")
    references = []
    for priority in ("p1", "p3", "p3"):
        opened = await live.open(account_id=account["id"], contact_id=rep["id"], priority=priority)
        assert opened.status_code == 201, opened.text
        references.append(opened.json()["reference"])
    for reference in references[:2]:
        answer = await live.http.post(
            f"/tickets/{reference}/responses", json={"body": "On it"}, headers=agent
        )
        assert answer.status_code == 200
    await live.http.post(f"/tickets/{references[0]}/resolve", json={}, headers=agent)

    period = datetime.now(UTC).astimezone().strftime("%Y-%m")
    manager = live.as_("success_manager")
    response = await live.http.post(
        f"/accounts/{account['id']}/reports", json={"period": period, "send": True}, headers=manager
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["kind"] == "monthly" and report["period"] == period
    assert sorted(report["emailed_to"]) == sorted([rep["email"], "sam@pledge.example.com"])

    pdf = await live.http.get(report["url"], headers=manager)
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    figures = (
        await live.http.get(
            "/metrics/sla", params={"account_id": account["id"], "period": period}, headers=manager
        )
    ).json()
    overall = figures["overall"]
    assert account["name"] in text and "Monthly report" in text
    assert f"Tickets opened {overall['tickets']}" in text
    assert "Tickets resolved 1" in text
    fr, res = overall["first_response"], overall["resolution"]
    assert f"First response in time {in_time(fr)}" in text
    assert f"Resolution in time {in_time(res)}" in text
    assert f"Median first response {duration(overall['median_first_response_seconds'])}" in text
    for row in figures["by_priority"]:
        decided = row["first_response"]["met"] + row["first_response"]["breached"]
        assert f"{row['first_response']['met']} of {decided}" in text
    assert "The month is not over" in text  # the current month is reported to date

    mail = await inbox.wait_for(
        lambda m: m["To"] == rep["email"] and "Monthly report" in m["Subject"]
    )
    [attachment] = list(mail[0].iter_attachments())
    assert attachment.get_filename() == report["filename"]
    assert attachment.get_content() == pdf.content

    listed = await live.http.get(f"/accounts/{account['id']}/reports", headers=manager)
    assert [r["id"] for r in listed.json()] == [report["id"]]


async def test_customers_see_their_own_reports_only(live: Live, engine) -> None:  # type: ignore[no-untyped-def]
    mine = await live.account("web-agency", edition="enterprise")
    theirs = await live.account("web-agency", edition="enterprise")
    period = datetime.now(UTC).strftime("%Y-%m")
    made = {}
    for account in (mine, theirs):
        response = await live.http.post(
            f"/accounts/{account['id']}/reports", json={"period": period},
            headers=live.as_("success_manager"),
        )  # fmt: skip
        assert response.status_code == 201, response.text
        assert response.json()["emailed_to"] == []  # not asked to send
        made[account["id"]] = response.json()["id"]
    key = await customer_key(engine, mine["id"])
    assert (await live.http.get(f"/reports/{made[mine['id']]}/pdf", headers=key)).status_code == 200
    other = await live.http.get(f"/reports/{made[theirs['id']]}/pdf", headers=key)
    assert other.status_code == 404
    assert (
        await live.http.get(f"/accounts/{theirs['id']}/reports", headers=key)
    ).status_code == 403
    made_by_customer = await live.http.post(
        f"/accounts/{mine['id']}/reports", json={"period": period}, headers=key
    )
    assert made_by_customer.status_code == 403


async def test_bad_periods_are_422_naming_the_field(live: Live) -> None:
    account = await live.account("e-shot")
    for period, words in [
        ("2026-13", "is not a month like 2026-11"),
        ("last month", "is not a month like 2026-11"),
        ("2099-01", "has not begun"),
    ]:
        response = await live.http.post(
            f"/accounts/{account['id']}/reports", json={"period": period},
            headers=live.as_("success_manager"),
        )  # fmt: skip
        assert response.status_code == 422, response.text
        [problem] = response.json()["errors"]
        assert problem["field"] == "body.period" and words in problem["message"]
    missing = await live.http.post(
        "/accounts/987654/reports", json={"period": "2026-10"}, headers=live.as_("admin")
    )
    assert missing.status_code == 404


async def test_editions_decide_the_services_and_can_change(live: Live) -> None:
    account = await live.account("essensys", edition="standard")
    assert account["services"]["monthly_reporting"] is False
    manager = live.as_("success_manager")
    refused = await live.http.patch(
        f"/accounts/{account['id']}", json={"success_manager_name": "Sam"}, headers=manager
    )
    assert refused.status_code == 422
    assert "no customer success manager" in refused.json()["errors"][0]["message"]
    upgraded = await live.http.patch(
        f"/accounts/{account['id']}",
        json={"edition": "enterprise", "success_manager_name": "Sam",
              "success_manager_email": "sam@pledge.example.com"},
        headers=manager,
    )  # fmt: skip
    assert upgraded.status_code == 200, upgraded.text
    body = upgraded.json()
    assert body["edition"] == "enterprise" and body["success_manager_name"] == "Sam"
    assert all(
        body["services"][name]
        for name in ("customer_success_manager", "quarterly_business_review",
                     "incident_reporting", "monthly_reporting")
    )  # fmt: skip
    cleared = await live.http.patch(
        f"/accounts/{account['id']}", json={"edition": None}, headers=manager
    )
    assert cleared.status_code == 422


async def _incidents(live: Live, account_id: int) -> list[dict]:
    listed = await live.http.get(
        f"/accounts/{account_id}/reports", headers=live.as_("success_manager")
    )
    return [r for r in listed.json() if r["kind"] == "incident"]


async def test_resolving_a_top_priority_ticket_sends_an_incident_report(
    live: Live, inbox: Inbox
) -> None:
    account = await live.account("essensys", edition="enterprise")
    rep = await live.contact(account["id"], is_representative=True)
    opened = await live.open(account_id=account["id"], contact_id=rep["id"], priority="p1")
    assert opened.status_code == 201, opened.text
    reference = opened.json()["reference"]
    agent = live.as_("agent")
    await live.http.post(
        f"/tickets/{reference}/responses", json={"body": "Investigating"}, headers=agent
    )
    resolved = await live.http.post(
        f"/tickets/{reference}/resolve",
        json={
            "note": "Access restored",
            "impact": "Members could not open the front doors at two sites for 40 minutes.",
            "cause": "An expired certificate on the door controller gateway.",
            "actions": ["Renewed the certificate", "Added expiry monitoring"],
        },
        headers=agent,
    )
    assert resolved.status_code == 200, resolved.text

    async def sent() -> list[dict]:
        return [r for r in await _incidents(live, account["id"]) if r["emailed_to"]]

    [report] = await eventually(sent)
    assert report["period"] == reference and report["emailed_to"] == [rep["email"]]
    pdf = await live.http.get(report["url"], headers=live.as_("success_manager"))
    text = pdf_text(pdf.content)
    assert f"Incident report, {reference}" in text
    assert "expired certificate on the door controller gateway" in text
    assert "Added expiry monitoring" in text and "40 minutes" in text
    # The timeline in sentences the customer can read, none of the internal steps.
    assert "Casey Contact reported the problem by phone." in text
    assert "We replied." in text and "We resolved the problem." in text
    history = (await live.http.get(f"/tickets/{reference}", headers=agent)).json()["events"]
    assert any(e["kind"] == "clock_met" for e in history)
    internal = {"opened", "clock_met", "clock_met_late", "warning", "breach", "routed"}
    for event in (e for e in history if e["kind"] in internal):
        assert re.sub(r"\s+", " ", event["summary"]) not in text, event["summary"]
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1
    mail = await inbox.wait_for(
        lambda m: m["To"] == rep["email"] and "Incident report" in m["Subject"]
    )
    assert [a.get_filename() for a in mail[0].iter_attachments()] == [report["filename"]]


async def test_no_incident_report_below_top_priority_or_without_the_entitlement(
    live: Live,
) -> None:
    standard = await live.account("essensys", edition="standard")
    enterprise = await live.account("essensys", edition="enterprise")
    agent = live.as_("agent")
    for account, priority in ((standard, "p1"), (enterprise, "p3")):
        rep = await live.contact(account["id"], is_representative=True)
        opened = await live.open(account_id=account["id"], contact_id=rep["id"], priority=priority)
        reference = opened.json()["reference"]
        resolved = await live.http.post(
            f"/tickets/{reference}/resolve", json={"cause": "x"}, headers=agent
        )
        assert resolved.status_code == 200
    # The p1 on standard ran its report workflow, which found no entitlement; give the p3 the
    # same time and look: neither has a report.
    probe = await live.open(
        account_id=enterprise["id"],
        contact_id=(await live.contact(enterprise["id"], is_representative=True))["id"],
        priority="p1",
    )
    await live.http.post(f"/tickets/{probe.json()['reference']}/resolve", json={}, headers=agent)
    await eventually(lambda: _incidents(live, enterprise["id"]))  # the probe's arrives...
    assert [r["period"] for r in await _incidents(live, enterprise["id"])] == [
        probe.json()["reference"]
    ]  # ...and only the probe's
    assert await _incidents(live, standard["id"]) == []
