"""GET /system/failures: admins list what could not be done, newest first; nobody else can."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Failure

PROBLEM = "application/problem+json"


async def test_admins_list_failures_newest_first(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    # Far in the future, so these are the newest whatever other tests have left.
    base = datetime(2079, 1, 1, tzinfo=UTC)
    tag = uuid.uuid4().hex[:8]
    for minutes, what in ((0, "the acknowledgement letter"), (5, "the breach e-mail"),
                          (2, "the incident report")):  # fmt: skip
        session.add(
            Failure(
                id=f"complaint-C-{tag}:{minutes}",
                at=base + timedelta(minutes=minutes),
                workflow_id=f"complaint-C-{tag}",
                kind="letter",
                subject=f"C-{tag}",
                what=what,
                error="TemplateNotFound: letters/acknowledgement.html",
                attempts=12,
            )
        )
    await session.commit()

    response = await client.get("/system/failures?limit=3", headers=admin_headers)
    assert response.status_code == 200
    listed = response.json()
    assert [f["what"] for f in listed] == [
        "the breach e-mail",
        "the incident report",
        "the acknowledgement letter",
    ]
    assert listed[0] == {
        "id": f"complaint-C-{tag}:5",
        "at": "2079-01-01T00:05:00+00:00",
        "workflow_id": f"complaint-C-{tag}",
        "kind": "letter",
        "subject": f"C-{tag}",
        "what": "the breach e-mail",
        "error": "TemplateNotFound: letters/acknowledgement.html",
        "attempts": 12,
    }
    second = await client.get("/system/failures?limit=1&offset=1", headers=admin_headers)
    assert [f["what"] for f in second.json()] == ["the incident report"]


async def test_only_admins_see_failures(
    client: httpx.AsyncClient, agent_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    forbidden = await client.get("/system/failures", headers=agent_headers)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith(PROBLEM)
    anonymous = await client.get("/system/failures")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith(PROBLEM)
    bad = await client.get("/system/failures?limit=0", headers=admin_headers)
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith(PROBLEM)
