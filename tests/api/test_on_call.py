"""/on-call: admins set who answers out-of-hours pages per week; staff read the rota; bad weeks
and people are refused naming the field, with nothing written."""

from __future__ import annotations

import secrets

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OnCallWeek, Role, User
from db.types import utcnow
from tests.conftest import bearer


async def staff(session: AsyncSession, name: str, *roles: str, removed: bool = False) -> User:
    user = User(
        email=f"{name.split()[0].lower()}-{secrets.token_hex(3)}@pledge.example.com",
        full_name=name,
        roles=list(roles),
        prefix=secrets.token_hex(4),
        removed_at=utcnow() if removed else None,
    )
    user.email_key = user.email.lower()
    session.add(user)
    await session.commit()
    return user


async def _rows(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(OnCallWeek)) or 0)


async def test_an_admin_sets_a_week_and_staff_read_it_with_its_bank_holidays(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    priya = await staff(session, "Priya Patel", "agent")
    sam = await staff(session, "Sam Jones", "success_manager")
    # The week of Christmas 2026, by its Monday; the next by its ISO week.
    put = await client.put(
        "/on-call/2026-12-21",
        json={"user_id": priya.id, "holiday_user_id": sam.id},
        headers=admin_headers,
    )
    assert put.status_code == 200, put.text
    week = put.json()
    assert week["week"] == "2026-W52"
    assert week["person"]["name"] == "Priya Patel"
    assert week["holiday_cover"]["name"] == "Sam Jones"
    assert week["bank_holidays"] == [{"date": "2026-12-25", "name": "Christmas Day"}]
    # Monday 00:00 in London (GMT in December).
    assert week["starts_at"] == "2026-12-21T00:00:00+00:00"
    assert week["ends_at"] == "2026-12-28T00:00:00+00:00"
    again = await client.put("/on-call/2026-W53", json={"user_id": sam.id}, headers=admin_headers)
    assert again.status_code == 200, again.text
    agent = await bearer(session, Role.AGENT)
    rota = await client.get("/on-call?from=2026-W52&weeks=3", headers=agent)
    assert rota.status_code == 200, rota.text
    weeks = rota.json()
    assert [w["week"] for w in weeks] == ["2026-W52", "2026-W53", "2027-W01"]
    assert weeks[1]["person"]["name"] == "Sam Jones" and weeks[1]["holiday_cover"] is None
    assert [h["date"] for h in weeks[1]["bank_holidays"]] == ["2026-12-28", "2027-01-01"]
    assert weeks[2]["person"] is None
    # Replacing and clearing.
    swap = await client.put("/on-call/2026-W52", json={"user_id": sam.id}, headers=admin_headers)
    assert swap.json()["person"]["name"] == "Sam Jones" and swap.json()["holiday_cover"] is None
    gone = await client.delete("/on-call/2026-W52", headers=admin_headers)
    assert gone.status_code == 204
    after = await client.get("/on-call?from=2026-W52&weeks=1", headers=agent)
    assert after.json()[0]["person"] is None


REFUSED = [
    ("2026-11-18", {}, "path.week", "Wednesday; a week starts on a Monday (2026-11-16"),
    ("2025-W53", {}, "path.week", "2025 has no week 53"),
    ("soon", {}, "path.week", "ISO week such as 2026-W47"),
    # Far weeks: once a 500 (their Monday 00:00 overflowed) or stored with a wrong offset.
    ("9999-12-27", {}, "path.week", "9999-W52 is not a week the rota covers: 2000-W01"),
    ("9999-W52", {}, "path.week", "is not a week the rota covers"),
    ("0001-01-01", {}, "path.week", "0001-W01 is not a week the rota covers"),
    ("2100-W01", {}, "path.week", "to 2099-W53 (Mon 28 Dec 2099)"),
    ("1999-W52", {}, "path.week", "is not a week the rota covers"),
    ("2026-W47", {"user_id": 2**31 - 1}, "body.user_id", "no user with id"),
    ("2026-W47", {"user_id": "removed"}, "body.user_id", "no longer works here"),
    ("2026-W47", {"user_id": "handler"}, "body.user_id", "does not answer tickets"),
    ("2026-W47", {"holiday_user_id": 2**31 - 1}, "body.holiday_user_id", "no user with id"),
    ("2026-W47", {"user_id": None}, "body.user_id", None),
    ("2026-W47", {"colour": "red"}, "body.colour", None),
]


@pytest.mark.parametrize(("week", "change", "field", "words"), REFUSED)
async def test_a_bad_week_or_person_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    admin_headers: dict[str, str],
    week: str,
    change: dict[str, object],
    field: str,
    words: str | None,
) -> None:
    people = {
        "ok": await staff(session, "Alex Agent", "agent"),
        "removed": await staff(session, "Rita Left", "agent", removed=True),
        "handler": await staff(session, "Hal Handler", "complaints_handler"),
    }
    body: dict[str, object] = {"user_id": people["ok"].id, **change}
    for key in ("user_id", "holiday_user_id"):
        if isinstance(body.get(key), str):
            body[key] = people[body[key]].id  # type: ignore[index]
    before = await _rows(session)
    response = await client.put(f"/on-call/{week}", json=body, headers=admin_headers)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    if words:
        assert words in problem["detail"]
    assert await _rows(session) == before


async def test_only_admins_set_the_rota_and_complaints_handlers_do_not_read_it(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    alex = await staff(session, "Alex Agent", "agent")
    before = await _rows(session)  # other tests' weeks may be committed in this database
    for role in (Role.AGENT, Role.SUCCESS_MANAGER, Role.COMPLAINTS_HANDLER):
        headers = await bearer(session, role)
        put = await client.put("/on-call/2026-W47", json={"user_id": alex.id}, headers=headers)
        assert put.status_code == 403, (role, put.text)
    handler = await bearer(session, Role.COMPLAINTS_HANDLER)
    assert (await client.get("/on-call", headers=handler)).status_code == 403
    agent = await bearer(session, Role.AGENT)
    assert (await client.get("/on-call?weeks=54", headers=agent)).status_code == 422
    assert await _rows(session) == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=9999-W52&weeks=5", "query.from"),
        ("from=9999-12-27", "query.from"),
        ("from=0001-01-01", "query.from"),
        ("from=0001-W01&weeks=53", "query.from"),
        ("from=2099-W50&weeks=5", "query.weeks"),
    ],
)
async def test_the_rota_is_not_read_outside_the_weeks_it_covers(
    client: httpx.AsyncClient, session: AsyncSession, query: str, field: str
) -> None:
    agent = await bearer(session, Role.AGENT)
    response = await client.get(f"/on-call?{query}", headers=agent)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert "2000-W01 (Mon 3 Jan 2000) to 2099-W53" in response.json()["detail"]


async def test_the_first_and_last_weeks_the_rota_covers_are_read_and_cleared(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict[str, str]
) -> None:
    agent = await bearer(session, Role.AGENT)
    last = await client.get("/on-call?from=2099-W50&weeks=4", headers=agent)
    assert last.status_code == 200, last.text
    assert last.json()[-1]["week"] == "2099-W53"
    assert [h["name"] for h in last.json()[2]["bank_holidays"]] == ["Christmas Day"]
    first = await client.get("/on-call?from=2000-01-03&weeks=1", headers=agent)
    assert first.json()[0]["starts_at"] == "2000-01-03T00:00:00+00:00"
    for week in ("9999-12-27", "0001-01-01"):
        gone = await client.delete(f"/on-call/{week}", headers=admin_headers)
        assert gone.status_code == 422, gone.text
        assert [e["field"] for e in gone.json()["errors"]] == ["path.week"]
