"""Input the database or the deadline engine cannot take is 422 naming the field, never a 500,
on both backends, and nothing stored changes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, ApiKey, Edition, Report, Role
from reports.filenames import file_slug
from tests.conftest import bearer


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def problem(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json", response.text
    [error] = body["errors"]
    return response.status_code, error["field"], error["message"]


# -- NUL characters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "role", "body", "field"),
    [
        ("/accounts", Role.SUCCESS_MANAGER, {"name": "Acme\x00", "policy": "e-shot"}, "body.name"),
        (
            "/accounts",
            Role.SUCCESS_MANAGER,
            {"name": "Acme", "policy": "e-shot", "account_manager_name": "Al\x00"},
            "body.account_manager_name",
        ),
        (
            "/complaints",
            Role.COMPLAINTS_HANDLER,
            {
                "complainant": {"name": "Jane\x00Doe", "email": "jane@example.com"},
                "summary": "s",
                "channel": "letter",
            },
            "body.complainant.name",
        ),
        (
            "/tickets",
            Role.AGENT,
            {"account_id": 1, "subject": "s", "description": "a\x00b", "channel": "web"},
            "body.description",
        ),
        (
            "/releases/R-1/tickets",
            Role.AGENT,
            {"references": ["T-0000-0000", "T\x00"]},
            "body.references",
        ),
        ("/keys", Role.ADMIN, {"name": "\x00", "role": "agent"}, "body.name"),
    ],
)
async def test_nul_in_any_body_text_is_422_naming_the_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    path: str,
    role: Role,
    body: dict[str, object],
    field: str,
) -> None:
    headers = await bearer(session, role)
    accounts, keys = await count(session, Account), await count(session, ApiKey)
    response = await client.post(path, json=body, headers=headers)
    assert problem(response) == (422, field, "must not contain NUL characters (\\u0000)")
    assert (await count(session, Account), await count(session, ApiKey)) == (accounts, keys)


@pytest.mark.parametrize(
    ("url", "headers", "field"),
    [
        ("/tickets/T-0000%000000", {}, "path.reference"),
        ("/complaints/C-0000-0000%00", {}, "path.reference"),
        ("/complaints?handler=Hana%00", {}, "query.handler"),
        ("/accounts/1/metrics?name=a%00", {}, "query.name"),
        ("/complaints", {"Idempotency-Key": "retry\x00"}, "header.idempotency-key"),
    ],
)
async def test_nul_in_a_path_query_or_header_is_422_naming_it(
    client: httpx.AsyncClient,
    session: AsyncSession,
    url: str,
    headers: dict[str, str],
    field: str,
) -> None:
    key = await bearer(session, Role.ADMIN)
    method = "POST" if headers else "GET"
    response = await client.request(method, url, headers={**key, **headers}, json={})
    assert problem(response) == (422, field, "must not contain NUL characters (\\u0000)")


# -- ids beyond what the database holds ----------------------------------------------------------


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64 + 1, 10**30, -(2**63)])
@pytest.mark.parametrize(
    ("method", "template", "field"),
    [
        ("GET", "/accounts/{n}", "path.account_id"),
        ("GET", "/reports/{n}/pdf", "path.report_id"),
        ("GET", "/reviews/{n}/invite.ics", "path.review_id"),
        ("POST", "/keys/{n}/revoke", "path.key_id"),
        ("GET", "/complaints/C-0000-0000/letters/{n}", "path.number"),
        ("GET", "/metrics/sla?period=2026-10&account_id={n}", "query.account_id"),
        ("GET", "/tickets?limit=10&offset={n}", "query.offset"),
    ],
)
async def test_ids_too_large_for_the_database_are_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    method: str,
    template: str,
    field: str,
    number: int,
) -> None:
    headers = await bearer(session, Role.ADMIN)
    response = await client.request(method, template.format(n=number), headers=headers)
    status, named, message = problem(response)
    assert (status, named) == (422, field), response.text
    assert "2147483647" in message


async def test_the_largest_id_the_database_holds_is_simply_not_found(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = await bearer(session, Role.ADMIN)
    for url in (
        "/accounts/2147483647",
        "/reports/2147483647/pdf",
        "/reviews/2147483647/invite.ics",
        "/metrics/sla?period=2026-10&account_id=2147483647",
    ):
        response = await client.get(url, headers=headers)
        assert response.status_code == 404, f"{url}: {response.text}"


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64 + 1])
@pytest.mark.parametrize(
    ("path", "role", "body", "field"),
    [
        (
            "/tickets",
            Role.AGENT,
            {"account_id": "N", "subject": "s", "description": "d", "channel": "web"},
            "body.account_id",
        ),
        (
            "/tickets",
            Role.AGENT,
            {
                "account_id": 1,
                "contact_id": "N",
                "subject": "s",
                "description": "d",
                "channel": "web",
            },
            "body.contact_id",
        ),  # fmt: skip
        (
            "/complaints",
            Role.COMPLAINTS_HANDLER,
            {
                "complainant": {"name": "Jane", "email": "jane@example.com"},
                "summary": "s",
                "channel": "letter",
                "account_id": "N",
            },
            "body.account_id",
        ),
        (
            "/keys",
            Role.ADMIN,
            {"name": "c", "role": "customer", "account_id": "N"},
            "body.account_id",
        ),
    ],
)
async def test_ids_too_large_in_a_body_are_422(
    client: httpx.AsyncClient,
    session: AsyncSession,
    path: str,
    role: Role,
    body: dict[str, object],
    field: str,
    number: int,
) -> None:
    headers = await bearer(session, role)
    given = {key: number if value == "N" else value for key, value in body.items()}
    keys = await count(session, ApiKey)
    status, named, message = problem(await client.post(path, json=given, headers=headers))
    assert (status, named) == (422, field)
    assert message == "Input should be less than or equal to 2147483647"
    assert await count(session, ApiKey) == keys


# -- dates the deadline engine cannot count ------------------------------------------------------

LATE = "is after 2079-12-31, the latest date Pledge counts deadlines from or to"
EARLY = "is before 2001-01-01, the earliest date Pledge counts deadlines from"


@pytest.mark.parametrize(
    ("received_at", "message"),
    [
        ("2081-01-01T09:00:00Z", LATE),
        ("2080-12-20T09:00:00Z", LATE),
        ("9999-12-31T23:59:59Z", LATE),
        ("0001-01-01T00:00:00+01:00", EARLY),
        ("2000-06-01T09:00:00Z", EARLY),
    ],
)
async def test_preview_instants_outside_the_supported_years_are_422(
    client: httpx.AsyncClient, session: AsyncSession, received_at: str, message: str
) -> None:
    headers = await bearer(session, Role.AGENT)
    for body in (
        {"received_at": received_at, "priority": "p2"},
        {"received_at": "2026-11-19T17:00:00Z", "campaign_scheduled_at": received_at},
    ):
        response = await client.post("/policies/e-shot/preview", json=body, headers=headers)
        field = "body.received_at" if "priority" in body else "body.campaign_scheduled_at"
        assert problem(response) == (422, field, message)


async def test_the_last_supported_day_still_previews(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    headers = await bearer(session, Role.AGENT)
    response = await client.post(
        "/policies/e-shot/preview",
        json={"received_at": "2079-12-31T17:00:00Z", "priority": "p3"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["first_response_due"].startswith("2080-01-0")


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "field"),
    [
        ("POST", "/accounts/1/reviews", Role.SUCCESS_MANAGER,
         {"starts_at": "2081-03-01T10:00:00Z"}, "body.starts_at"),
        ("POST", "/reviews/1/reschedule", Role.SUCCESS_MANAGER,
         {"starts_at": "2090-03-01T10:00:00Z"}, "body.starts_at"),
        ("POST", "/accounts/1/objectives", Role.SUCCESS_MANAGER,
         {"name": "Grow", "metric": "subscribers", "target": 5, "due_on": "2081-01-31",
          "owner": {"name": "Olu"}}, "body.due_on"),
        ("POST", "/complaints/C-0000-0000/extend", Role.COMPLAINTS_HANDLER,
         {"reason": "Waiting for logs", "new_reply_by": "2081-01-05"}, "body.new_reply_by"),
        ("POST", "/tickets", Role.AGENT,
         {"account_id": 1, "subject": "s", "description": "d", "channel": "phone",
          "received_at": "2081-01-01T09:00:00Z"}, "body.received_at"),
        ("POST", "/complaints", Role.COMPLAINTS_HANDLER,
         {"complainant": {"name": "Jane", "email": "jane@example.com"}, "summary": "s",
          "channel": "letter", "received_at": "2999-01-01T09:00:00Z"}, "body.received_at"),
        ("POST", "/accounts/1/metrics", Role.SUCCESS_MANAGER,
         {"name": "subscribers", "value": 3, "at": "2085-01-01T00:00:00Z"}, "body.at"),
    ],
)  # fmt: skip
async def test_dates_the_engine_cannot_count_are_refused_at_the_api(
    client: httpx.AsyncClient,
    session: AsyncSession,
    method: str,
    path: str,
    role: Role,
    body: dict[str, object],
    field: str,
) -> None:
    headers = await bearer(session, role)
    response = await client.request(method, path, json=body, headers=headers)
    assert problem(response) == (422, field, LATE)


# -- downloads named after accounts in any script ------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("Łódź Digital", "lodz-digital-monthly-report-2026-10.pdf"),
        ('Acme "Best" Ltd', "acme-best-ltd-monthly-report-2026-10.pdf"),
        ("東京 Kōgyō", "kogyo-monthly-report-2026-10.pdf"),
    ],
)
async def test_pdf_downloads_carry_an_rfc_6266_filename(
    client: httpx.AsyncClient, session: AsyncSession, name: str, fallback: str
) -> None:
    account = Account(
        name=f"{name} {secrets.token_hex(2)}", policy="e-shot", edition=Edition.ENTERPRISE
    )
    session.add(account)
    await session.flush()
    filename = f"{file_slug(name)}-monthly-report-2026-10.pdf"
    report = Report(
        key=f"boundaries-{secrets.token_hex(4)}",
        account_id=account.id,
        kind="monthly",
        period="2026-10",
        title="Monthly report, October 2026",
        filename=filename,
        content=b"%PDF-1.7 not really",
        figures={},
        requested_by="test",
        created_at=datetime.now(UTC),
        emailed_to=[],
    )
    session.add(report)
    await session.commit()
    headers = await bearer(session, Role.CUSTOMER, account_id=account.id)
    response = await client.get(f"/reports/{report.id}/pdf", headers=headers)
    assert response.status_code == 200, response.text
    assert response.content == b"%PDF-1.7 not really"
    assert response.headers["content-disposition"] == (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    )
    assert '"' not in filename


def test_a_file_slug_keeps_letters_and_drops_what_a_header_or_a_disk_misreads() -> None:
    assert file_slug("Łódź Digital") == "łódź-digital"
    assert file_slug('Acme "Best" Ltd/UK\\..') == "acme-best-ltd-uk"
    assert file_slug("\r\n\x00") == "file"


@pytest.mark.parametrize("path", ["/tickets", "/complaints"])
@pytest.mark.parametrize("given", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+01:00"])
async def test_instants_with_no_utc_equivalent_are_422_in_queries(
    client: httpx.AsyncClient, session: AsyncSession, path: str, given: str
) -> None:
    headers = await bearer(session, Role.ADMIN)
    response = await client.get(path, params={"due_before": given}, headers=headers)
    assert problem(response) == (
        422,
        "query.due_before",
        "is outside the years 1 to 9999 once converted to UTC",
    )
    # Far, but representable, is simply a filter.
    wide = await client.get(path, params={"due_before": "9999-12-31T00:00:00Z"}, headers=headers)
    assert wide.status_code == 200, wide.text
