"""The complaints API end to end: HTTP -> Temporal dev server -> worker -> database -> HTTP."""

from __future__ import annotations

import io
import re
import secrets
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.keys import hash_secret, mint_key
from db.models import Account, ApiKey, Complaint, ComplaintEvent, Edition, Role
from tests.api.conftest import Live
from tests.conftest import Inbox
from tests.workflows.tickets import eventually

REFERENCE = re.compile(r"^C-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def Z(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def complaint_count(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(Complaint)) or 0)


async def event_count(engine: AsyncEngine) -> int:
    async with AsyncSession(engine) as session:
        return int(await session.scalar(select(func.count()).select_from(ComplaintEvent)) or 0)


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# -- logging -----------------------------------------------------------------------------------


async def test_logging_a_complaint_answers_its_deadlines_and_history(live: Live) -> None:
    # docs/deadlines.md's example: received Monday 16 November 2026 at 10:00; working days 17-20 and
    # 23 November make the acknowledgement due at midnight ending Monday 23rd, and 20 working
    # days the reply at midnight ending Monday 14 December.
    response = await live.complain(received_at="2026-11-16T10:00:00Z")
    assert response.status_code == 201, response.text
    complaint = response.json()
    assert REFERENCE.match(complaint["reference"])
    assert complaint["regime"] == "standard"
    assert complaint["jurisdiction"] == "england-and-wales"
    assert instant(complaint["acknowledgement_due"]) == Z(2026, 11, 24)
    assert instant(complaint["reply_due"]) == Z(2026, 12, 15)
    assert complaint["reply_due"].endswith("+00:00")
    assert set(complaint["clocks"]) == {"acknowledgement", "reply"}
    assert complaint["clocks"]["reply"]["due"] == complaint["reply_due"]
    # The key names no person, so nobody is its handler yet (never the key's name).
    assert complaint["handler"] is None

    detail = await live.http.get(
        f"/complaints/{complaint['reference']}", headers=live.as_("complaints_handler")
    )
    assert detail.status_code == 200
    body = detail.json()
    assert body["events"][0]["kind"] == "received"
    assert body["reply_due"] == complaint["reply_due"]
    assert body["complainant"]["postal_address"] == "14 Acacia Avenue\nLeeds LS1 4AB"


async def test_scotland_and_a_subject_access_request(live: Live) -> None:
    # St Andrew's Day (Monday 30 November 2026) is a bank holiday in Scotland only. Received
    # Friday 20th: working days 23-27 November make both acknowledgements due at the end of
    # the 27th; the twentieth working day is Friday 18 December in England and, a day skipped
    # and a weekend between, Monday 21 December in Scotland.
    scottish = (
        await live.complain(received_at="2026-11-20T10:00:00Z", jurisdiction="scotland")
    ).json()
    english = (await live.complain(received_at="2026-11-20T10:00:00Z")).json()
    assert instant(scottish["acknowledgement_due"]) == Z(2026, 11, 28)
    assert instant(english["acknowledgement_due"]) == Z(2026, 11, 28)
    assert instant(english["reply_due"]) == Z(2026, 12, 19)
    assert instant(scottish["reply_due"]) == Z(2026, 12, 22)

    sar = (await live.complain(received_at="2026-10-31T12:00:00Z", regime="sar")).json()
    # 31 October: November has no 31st, so the month ends on the 30th.
    assert sar["acknowledgement_due"] is None
    assert set(sar["clocks"]) == {"reply"}
    assert instant(sar["reply_due"]) == Z(2026, 12, 1)


async def test_a_complaint_logged_after_its_deadlines_is_overdue_at_once(live: Live) -> None:
    response = await live.complain(received_at="2026-03-02T10:00:00Z")
    complaint = response.json()
    assert instant(complaint["acknowledgement_due"]) == Z(2026, 3, 10)
    assert instant(complaint["reply_due"]) == Z(2026, 3, 30, 23)  # midnight BST
    assert complaint["overdue"] is True
    assert {c["state"] for c in complaint["clocks"].values()} == {"breached"}

    async def recorded() -> bool:
        detail = await live.http.get(
            f"/complaints/{complaint['reference']}", headers=live.as_("complaints_handler")
        )
        return [e["kind"] for e in detail.json()["events"]].count("breach") == 2

    await eventually(recorded)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("jurisdiction", "wales", "'england-and-wales', 'scotland', 'northern-ireland'"),
        (
            "regime",
            "ombudsman",
            "no regime 'ombudsman' (known: standard, housing-stage-1, housing-stage-2, fca, sar",
        ),
        ("received_at", "2070-01-01T09:00:00Z", "is in the future"),
        ("received_at", "1999-01-01T09:00:00Z", "earliest date"),
        ("received_at", "2026-11-16T10:00:00", "timezone"),
        ("channel", "pigeon", "'letter'"),
        ("account_id", 987654321, "no account with id 987654321"),
    ],
)
async def test_bad_complaints_are_422_naming_the_field_and_store_nothing(
    live: Live, engine: AsyncEngine, field: str, value: object, words: str
) -> None:
    before = await complaint_count(engine)
    response = await live.complain(**{field: value})
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert problem["field"] == f"body.{field}"
    assert words in problem["message"]
    assert await complaint_count(engine) == before


async def test_an_idempotency_key_returns_the_same_complaint(
    live: Live, engine: AsyncEngine
) -> None:
    headers = {**live.as_("complaints_handler"), "Idempotency-Key": secrets.token_hex(8)}
    body = {
        "complainant": {"name": "Ann", "email": "ann@example.com"},
        "summary": "Billed twice",
        "channel": "email",
    }
    first = await live.http.post("/complaints", json=body, headers=headers)
    before = await complaint_count(engine)
    again = await live.http.post("/complaints", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["reference"] == first.json()["reference"]
    assert await complaint_count(engine) == before
    changed = await live.http.post(
        "/complaints", json={**body, "summary": "Billed three times"}, headers=headers
    )
    assert changed.status_code == 409
    assert "Idempotency-Key" in changed.json()["detail"]


# -- working a complaint -----------------------------------------------------------------------


async def test_acknowledge_extend_reply_close_reopen_with_letters(
    live: Live, inbox: Inbox, engine: AsyncEngine
) -> None:
    complainant = f"jo-{secrets.token_hex(3)}@example.com"
    complaint = (
        await live.complain(complainant={"name": "Jo Bloggs", "email": complainant})
    ).json()
    reference = complaint["reference"]
    handler = live.as_("complaints_handler")
    at = f"/complaints/{reference}"

    acknowledged = await live.http.post(f"{at}/acknowledge", headers=handler)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    assert acknowledged.json()["clocks"]["acknowledgement"]["state"] == "met"
    twice = await live.http.post(f"{at}/acknowledge", headers=handler)
    assert twice.status_code == 409
    assert "already" in twice.json()["detail"]

    reply_due = instant(acknowledged.json()["reply_due"])
    assert reply_due is not None
    events_before = await event_count(engine)
    earlier = (reply_due - timedelta(days=3)).date().isoformat()
    refused = await live.http.post(
        f"{at}/extend", json={"reason": "Waiting on logs", "new_reply_by": earlier}, headers=handler
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.new_reply_by"
    assert "later than the current one" in refused.json()["errors"][0]["message"]
    assert await event_count(engine) == events_before

    new_by = reply_due.date() + timedelta(days=14)
    extended = await live.http.post(
        f"{at}/extend",
        json={
            "reason": "We are waiting for our provider's delivery logs.",
            "new_reply_by": str(new_by),
        },
        headers=handler,
    )
    assert extended.status_code == 200, extended.text
    view = extended.json()
    assert view["extensions"][0]["in_time"] is True
    assert instant(view["original_reply_due"]) == reply_due
    assert [letter["kind"] for letter in view["letters"]] == ["acknowledgement", "holding_response"]

    holding = await live.http.get(view["letters"][1]["url"], headers=handler)
    assert holding.status_code == 200
    assert holding.headers["content-type"] == "application/pdf"
    text = pdf_text(holding.content)
    assert f"by {new_by:%A} {new_by.day} {new_by:%B %Y}" in text
    assert "delivery logs" in text and reference in text and "Jo Bloggs" in text
    mails = await inbox.wait_for(lambda m: m["To"] == complainant and reference in m["Subject"])
    assert mails

    replied = await live.http.post(
        f"{at}/reply", json={"body": "We have fixed the suppression list."}, headers=handler
    )
    assert replied.json()["status"] == "replied"
    closed = await live.http.post(f"{at}/close", json={"note": "Accepted"}, headers=handler)
    assert closed.json()["status"] == "closed"

    events_before = await event_count(engine)
    for action, body in [
        ("acknowledge", None),
        ("reply", {"body": "again"}),
        ("extend", {"reason": "x", "new_reply_by": str(new_by + timedelta(days=30))}),
        ("close", None),
    ]:
        response = await live.http.post(f"{at}/{action}", json=body, headers=handler)
        assert response.status_code == 409, f"{action}: {response.text}"
        assert "closed" in response.json()["detail"]
    assert await event_count(engine) == events_before

    reopened = await live.http.post(f"{at}/reopen", headers=handler)
    assert reopened.json()["status"] == "reopened"
    assert reopened.json()["clocks"]["reply"]["state"] == "running"
    detail = (await live.http.get(at, headers=handler)).json()
    assert [e["kind"] for e in detail["events"]] == [
        "received", "acknowledged", "extended", "replied", "closed", "reopened",
    ]  # fmt: skip
    # The extension is kept: reopened before the date it gave, the new reply (20 working days
    # from the reopening would be earlier) is not due before it.
    for extensions in (reopened.json()["extensions"], detail["extensions"]):
        assert [instant(e["new_due"]) for e in extensions] == [instant(detail["reply_due"])]
    assert instant(reopened.json()["reply_due"]) == instant(detail["reply_due"])
    extended_event = detail["events"][2]["summary"]
    assert f"due by the end of {new_by:%A} {new_by.day} {new_by:%B %Y}" in extended_event


async def test_unknown_complaints_and_letters_are_404(live: Live) -> None:
    handler = live.as_("complaints_handler")
    missing = await live.http.post("/complaints/C-0000-0000/acknowledge", headers=handler)
    assert missing.status_code == 404
    assert "C-0000-0000" in missing.json()["detail"]
    complaint = (await live.complain()).json()
    letter = await live.http.get(
        f"/complaints/{complaint['reference']}/letters/99", headers=handler
    )
    assert letter.status_code == 404


# -- the board and the calendar feed -----------------------------------------------------------


async def test_the_board_filters_and_orders_by_the_next_deadline(live: Live) -> None:
    handler_name = f"Board Handler {secrets.token_hex(3)}"
    headers = live.as_("complaints_handler")
    late = (
        await live.complain(received_at="2026-03-02T10:00:00Z", handler={"name": handler_name})
    ).json()
    today = (await live.complain(handler={"name": handler_name})).json()
    sar = (await live.complain(regime="sar", handler={"name": handler_name})).json()
    await live.http.post(f"/complaints/{today['reference']}/acknowledge", headers=headers)

    async def board(**query: object) -> list[str]:
        response = await live.http.get(
            "/complaints", params={"handler": handler_name, **query}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [c["reference"] for c in response.json()["complaints"]]

    # The overdue one first; then by next deadline: the SAR's month against 20 working days.
    everything = await board()
    assert everything[0] == late["reference"]
    assert set(everything) == {late["reference"], today["reference"], sar["reference"]}
    nexts = [
        c["next_due"]
        for c in (
            await live.http.get("/complaints", params={"handler": handler_name}, headers=headers)
        ).json()["complaints"]
    ]
    assert nexts == sorted(nexts)
    assert await board(overdue="true") == [late["reference"]]
    assert await board(status="acknowledged") == [today["reference"]]
    assert late["reference"] in await board(due_before="2026-04-01T00:00:00Z")
    assert today["reference"] not in await board(due_before="2026-04-01T00:00:00Z")

    bad = await live.http.get("/complaints", params={"status": "lost"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.status"


async def test_the_calendar_feed_lists_open_deadlines(live: Live, engine: AsyncEngine) -> None:
    headers = live.as_("complaints_handler")
    # Minted by a POST; only its hash is kept, so minting again replaces the address (minted
    # first, while the worker has nothing of this test's to write).
    by_get = await live.http.get("/complaints/feed", headers=headers)
    assert by_get.status_code >= 400 and "url" not in by_get.json()
    replaced = (await live.http.post("/complaints/feed", headers=headers)).json()["url"]
    narrowed = (
        await live.http.post(
            "/complaints/feed", params={"handler": "Feed Handler Ffion"}, headers=headers
        )
    ).json()["url"]
    assert httpx.URL(narrowed).params["handler"] == "Feed Handler Ffion"
    url = str(httpx.URL(narrowed).copy_with(query=None))
    assert url != replaced
    complaint = (await live.complain(received_at="2026-11-16T10:00:00Z")).json()
    replied = (await live.complain()).json()
    await live.http.post(
        f"/complaints/{replied['reference']}/reply", json={"body": "Done."}, headers=headers
    )
    assert (await live.http.get(httpx.URL(replaced).path)).status_code == 401
    path = httpx.URL(url).path
    token = path.removeprefix("/complaints/feed/").removesuffix(".ics")
    async with AsyncSession(engine) as session:
        stored = list(await session.scalars(select(ApiKey.feed_token_hash)))
    assert hash_secret(token) in stored
    assert token not in stored and hash_secret(httpx.URL(replaced).path[17:-4]) not in stored
    response = await live.http.get(path)  # a calendar app sends no API key
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    reference = complaint["reference"]
    ack = events[f"{reference}-acknowledgement@pledge"]
    reply = events[f"{reference}-reply@pledge"]
    # All-day events on the last day: Monday 23 November and Monday 14 December 2026.
    assert ack.decoded("dtstart") == date(2026, 11, 23)
    assert reply.decoded("dtstart") == date(2026, 12, 14)
    assert reference in str(reply["summary"]) and "Jane Doe" in str(reply["summary"])
    assert not [uid for uid in events if uid.startswith(replied["reference"])]

    assert (await live.http.get(path.replace(".ics", "x.ics"))).status_code == 401

    # A handler subscribes to their own complaints only.
    mine = (await live.complain(handler={"name": "Feed Handler Ffion"})).json()
    own = Calendar.from_ical((await live.http.get(httpx.URL(narrowed).raw_path.decode())).content)
    uids = {str(e["uid"]) for e in own.walk("VEVENT")}
    assert f"{mine['reference']}-reply@pledge" in uids
    assert not [uid for uid in uids if uid.startswith(reference)]


# -- figures -----------------------------------------------------------------------------------


def _row(reference: str, **values: object) -> Complaint:
    received = Z(2011, 3, 1, 10)
    row = {
        "reference": reference,
        "complainant_name": "A",
        "complainant_email": "a@example.com",
        "summary": "s",
        "channel": "letter",
        "jurisdiction": "england-and-wales",
        "regime": "standard",
        "status": "replied",
        "received_at": received,
        "opened_at": received,
        "opened_by": "test",
        "acknowledgement_due": Z(2011, 3, 9),
        "reply_due": Z(2011, 3, 30),
        "original_reply_due": Z(2011, 3, 30),
        "acknowledgement_state": "met",
        "reply_state": "met",
        "version": 1,
        "updated_at": received,
    }
    return Complaint(**(row | values))


async def test_complaint_figures_count_extensions_sent_in_time_as_kept(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    tag = secrets.token_hex(2).upper()
    session.add_all(
        [
            # Acknowledged after 1 day, replied after 10: both kept.
            _row(
                f"C-{tag}-AAA1",
                acknowledged_at=Z(2011, 3, 2, 10),
                replied_at=Z(2011, 3, 11, 10),
                reply_kept=True,
            ),
            # Extended in time and replied by the new date: kept.
            _row(
                f"C-{tag}-AAA2",
                acknowledged_at=Z(2011, 3, 4, 10),
                replied_at=Z(2011, 4, 11, 10),
                reply_kept=True,
                extensions=1,
            ),
            # Acknowledged late, replied late.
            _row(
                f"C-{tag}-AAA3",
                acknowledgement_state="breached",
                reply_state="breached",
                acknowledged_at=Z(2011, 3, 11, 10),
                replied_at=Z(2011, 4, 20, 10),
                reply_kept=False,
            ),
            # Still owed, in another regime; and one outside the month.
            _row(
                f"C-{tag}-AAA4",
                regime="sar",
                status="received",
                acknowledgement_due=None,
                acknowledgement_state=None,
                reply_state="running",
            ),  # fmt: skip
            _row(f"C-{tag}-AAA5", received_at=Z(2011, 4, 1, 10)),
        ]
    )
    await session.commit()
    response = await client.get("/metrics/complaints?period=2011-03", headers=admin_headers)
    assert response.status_code == 200, response.text
    figures = response.json()
    overall = figures["overall"]
    assert overall["complaints"] == 4
    assert overall["acknowledged"] == {"in_time": 2, "late": 1, "open": 0, "share": 0.6667}
    assert overall["answered"] == {"in_time": 2, "late": 1, "open": 1, "share": 0.6667}
    assert overall["median_days_to_acknowledge"] == 3.0
    assert overall["median_days_to_reply"] == 41.0
    assert [row["regime"] for row in figures["by_regime"]] == ["sar", "standard"]

    bad = await client.get("/metrics/complaints?period=2011-13", headers=admin_headers)
    assert bad.status_code == 422


# -- confidentiality ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUCCESS_MANAGER, Role.CUSTOMER])
async def test_every_complaint_route_is_403_for_other_roles(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, role: Role
) -> None:
    account = Account(
        name=f"Elsewhere {secrets.token_hex(3)}", policy="e-shot", edition=Edition.STANDARD
    )
    session.add(account)
    await session.flush()
    minted = await mint_key(
        session,
        name=f"not a handler {role.value}",
        role=role,
        account_id=account.id if role is Role.CUSTOMER else None,
    )
    # A feed token such a key could never be given, to prove the feed checks the role too.
    token = secrets.token_urlsafe(16)
    minted.key.feed_token_hash = hash_secret(token)
    await session.commit()
    headers = {"Authorization": f"Bearer {minted.secret}"}
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        if not path.startswith(("/complaints", "/metrics/complaints")):
            continue
        concrete = (
            path.replace("{token}", token)
            .replace("{reference}", "C-0000-0000")
            .replace("{number}", "1")
        )
        for method in operations:
            response = await client.request(method.upper(), concrete, headers=headers)
            assert response.status_code == 403, f"{method} {path}: {response.status_code}"
            assert role.value in response.json()["detail"]
            checked += 1
    assert checked >= 12
