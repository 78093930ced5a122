"""The complaints board and a complaint's page, worked through their forms with a real worker:
what the forms change is read back through the JSON API."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from markupsafe import escape
from pypdf import PdfReader

from tests.api.conftest import Live
from tests.waiting import eventually
from web.console.desk_words import week_bounds

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _json(live: Live, reference: str) -> dict:
    response = await live.http.get(f"/complaints/{reference}", headers=live.as_("admin"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_board_views_select_the_right_complaints(live: Live) -> None:
    handler = f"Handler {secrets.token_hex(3)}"
    fresh = (await live.complain(handler={"name": handler})).json()
    late = (
        await live.complain(received_at="2026-03-02T10:00:00Z", handler={"name": handler})
    ).json()
    hers = {"handler": handler}
    assert late["overdue"] is True and fresh["overdue"] is False
    closing = (await live.complain(handler={"name": handler}, regime="sar")).json()
    for action, body in (("reply", {"body": "Here is your data."}), ("close", None)):
        done = await live.http.post(
            f"/complaints/{closing['reference']}/{action}",
            json=body,
            headers=live.as_("complaints_handler"),
        )
        assert done.status_code == 200, done.text

    async def board(**query: str) -> str:
        response = await live.http.get(
            "/console/complaints",
            params={**hers, **query},
            headers=live.as_("complaints_handler"),
        )
        assert response.status_code == 200, response.text
        return response.text

    everything = {c["reference"] for c in (fresh, late, closing)}

    def shown(page: str) -> set[str]:
        return {reference for reference in everything if f">{reference}</a>" in page}

    assert shown(await board()) == {fresh["reference"], late["reference"]}  # open ones
    assert shown(await board(view="overdue")) == {late["reference"]}
    assert shown(await board(view="all")) == everything
    assert shown(await board(view="all", status="closed")) == {closing["reference"]}
    assert shown(await board(view="all", regime="sar")) == {closing["reference"]}
    _, week_end = week_bounds(datetime.now(UTC))
    due_this_week = {
        c["reference"] for c in (fresh, late) if datetime.fromisoformat(c["next_due"]) < week_end
    }
    assert late["reference"] in due_this_week  # overdue is due this week too
    assert shown(await board(view="week")) == due_this_week
    # Every view says how many it holds; overdue ones are flagged from any view.
    counts = await live.http.get("/console/complaints", headers=live.as_("complaints_handler"))
    overdue = 0
    for status in ("received", "acknowledged", "reopened"):
        listed = await live.http.get(
            "/complaints",
            params={"status": status, "overdue": "true", "limit": 1},
            headers=live.as_("complaints_handler"),
        )
        overdue += listed.json()["total"]
    assert overdue >= 1
    assert f'Overdue <span class="count bad">({overdue})</span>' in counts.text
    # The dues, each a <time> with the exact instant on hover.
    page = await board(view="overdue")
    due = datetime.fromisoformat(late["reply_due"]).astimezone(UTC)
    # A day's deadline keeps its day, wherever the viewer is: the console's script leaves it.
    assert due.astimezone(ZoneInfo("Europe/London")).time() == time(0)
    assert (
        f'<time datetime="{due.isoformat()}" title="{due:%Y-%m-%d %H:%M:%S} UTC" data-keep>'
        f"end of " in page
    )


async def test_acknowledge_and_extend_through_the_forms(live: Live) -> None:
    complaint = (await live.complain()).json()
    reference = complaint["reference"]
    headers = {**live.as_("complaints_handler"), **FORM}

    acknowledged = await live.http.post(
        f"/console/complaints/{reference}/acknowledge",
        data={"note": "By the book"},
        headers=headers,
    )
    assert acknowledged.status_code == 303, acknowledged.text
    assert acknowledged.headers["location"] == f"/console/complaints/{reference}?done=acknowledge"
    after = await _json(live, reference)
    assert after["status"] == "acknowledged"
    assert after["clocks"]["acknowledgement"]["state"] == "met"

    reply_due = datetime.fromisoformat(after["reply_due"])
    new_last_day = (reply_due + timedelta(days=14)).date()
    extended = await live.http.post(
        f"/console/complaints/{reference}/extend",
        data={"reason": "We are waiting for the bank's records", "new_reply_by": str(new_last_day)},
        headers=headers,
    )
    assert extended.status_code == 303, extended.text
    after = await _json(live, reference)
    [extension] = after["extensions"]
    assert extension["reason"] == "We are waiting for the bank's records"
    assert datetime.fromisoformat(after["reply_due"]) > reply_due

    async def both_letters() -> dict | None:
        found = await _json(live, reference)
        return found if len(found["letters"]) == 2 else None

    after = await eventually(both_letters, 15, what="the acknowledgement and holding letters")
    page = await live.http.get(
        f"/console/complaints/{reference}?done=extend", headers=live.as_("complaints_handler")
    )
    assert page.status_code == 200
    assert "The holding response was sent with the new reply date." in page.text
    assert "We are waiting for the bank&#39;s records" in page.text
    assert "Holding response (extension)" in page.text and "by e-mail" in page.text
    number = after["letters"][1]["id"].rpartition(":")[2]
    link = f"/console/complaints/{reference}/letters/{number}"
    assert f'href="{link}"' in page.text
    pdf = await live.http.get(link, headers=live.as_("complaints_handler"))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "bank" in words


async def test_a_refused_action_shows_the_apis_reason_and_keeps_what_was_typed(
    live: Live,
) -> None:
    complaint = (await live.complain()).json()
    reference = complaint["reference"]
    headers = {**live.as_("complaints_handler"), **FORM}

    # Reopening an open complaint: 409, in the API's words.
    api = await live.http.post(
        f"/complaints/{reference}/reopen", json={"note": "x"}, headers=live.as_("admin")
    )
    assert api.status_code == 409
    page = await live.http.post(
        f"/console/complaints/{reference}/reopen", data={"note": "Typed by me"}, headers=headers
    )
    assert page.status_code == 409
    assert escape(api.json()["detail"]) in page.text
    assert 'value="Typed by me"' in page.text

    # A reply date before the one already owed: 422 beside the date, the reason kept.
    earlier = (datetime.fromisoformat(complaint["reply_due"]) - timedelta(days=3)).date()
    body = {"reason": "Still looking", "new_reply_by": str(earlier)}
    api = await live.http.post(
        f"/complaints/{reference}/extend", json=body, headers=live.as_("admin")
    )
    assert api.status_code == 422, api.text
    page = await live.http.post(
        f"/console/complaints/{reference}/extend", data=body, headers=headers
    )
    assert page.status_code == 422
    assert escape(api.json()["errors"][0]["message"]) in page.text
    assert 'id="extend-new_reply_by-error"' in page.text
    assert ">Still looking</textarea>" in page.text
    assert f'value="{earlier}"' in page.text
    # Nothing changed.
    assert (await _json(live, reference))["extensions"] == []

    # The form's own check: an empty reason never reaches the API.
    page = await live.http.post(
        f"/console/complaints/{reference}/extend",
        data={"reason": "", "new_reply_by": str(date.today() + timedelta(days=60))},
        headers=headers,
    )
    assert page.status_code == 422
    assert 'id="extend-reason-error"' in page.text


async def test_log_a_postal_only_complaint_through_the_form(live: Live) -> None:
    headers = {**live.as_("complaints_handler"), **FORM}
    form = {
        "complainant.name": "Edith Post",
        "complainant.email": "",
        "complainant.postal_address": "3 Mill Lane\nGuildford\nGU1 2AB",
        "summary": "My letter went unanswered",
        "channel": "letter",
        "regime": "standard",
        "jurisdiction": "england-and-wales",
        "received_at": "2026-11-23T09:30",  # UK wall-clock time, GMT in November
        "account_id": "",
        "handler.name": "Priya Shah",
        "handler.email": "",
        "handler.job_title": "Complaints Officer",
    }
    refused = await live.http.post(
        "/console/complaints/new",
        data={**form, "complainant.postal_address": ""},
        headers=headers,
    )
    assert refused.status_code == 422
    assert "needs an e-mail address or a postal address" in refused.text
    assert (
        'value="Edith Post"' in refused.text
        and ">My letter went unanswered</textarea>" in refused.text
    )

    logged = await live.http.post("/console/complaints/new", data=form, headers=headers)
    assert logged.status_code == 303, logged.text
    reference = logged.headers["location"].split("/")[3].split("?")[0]
    complaint = await _json(live, reference)
    assert complaint["complainant"] == {
        "name": "Edith Post",
        "email": None,
        "postal_address": "3 Mill Lane\nGuildford\nGU1 2AB",
    }
    assert complaint["handler"]["job_title"] == "Complaints Officer"
    assert complaint["received_at"] == "2026-11-23T09:30:00+00:00"
    page = await live.http.get(logged.headers["location"], headers=live.as_("complaints_handler"))
    assert "None: letters are posted" in page.text
    assert "3 Mill Lane<br>Guildford<br>GU1 2AB" in page.text
    assert "Standard complaints procedure" in page.text  # the regime in words
