"""Policies, calendars and complaint regimes as versioned data, through the API: what GET
returns goes back in as a new policy or a new version, versions never change, and a refusal
names the field and the problem."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Account, Edition, Role
from sla import compute_deadlines, get_policy
from sla.loader import PRESET_KEYS
from tests.conftest import bearer

VERSION_FIELDS = ("key", "version", "created_at", "created_by", "digest")

# Receipt instants over weekends, bank holidays, the Christmas closure, both London clock
# changes and both US ones, Thanksgiving.
RECEIPTS = [
    "2026-03-27T16:45:00Z",  # Friday before the clocks go forward in London
    "2026-03-29T00:59:00Z",  # a minute before they do
    "2026-03-06T22:00:00Z",  # Friday night before the US change
    "2026-10-23T17:15:00Z",  # Friday before the clocks go back in London
    "2026-10-30T21:00:00Z",  # Friday night before the US change
    "2026-11-21T10:00:00Z",  # Saturday
    "2026-11-25T20:00:00Z",  # the eve of Thanksgiving
    "2026-12-23T16:30:00Z",  # before Christmas and the Christmas closure
    "2026-12-28T12:00:00Z",  # Boxing Day's substitute
    "2027-04-02T09:00:00Z",  # Good Friday
]


def without(data: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in fields}


async def read(client: httpx.AsyncClient, headers: dict, path: str) -> dict[str, Any]:
    response = await client.get(path, params={"years": [2026, 2027]}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def copy_of(
    client: httpx.AsyncClient, headers: dict, key: str, new_key: str, **changes: Any
) -> httpx.Response:
    body = await read(client, headers, f"/policies/{key}")
    body["key"] = new_key
    body.update(changes)
    return await client.post("/policies", json=body, headers=headers)


async def preview(
    client: httpx.AsyncClient, headers: dict, path: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_what_get_returns_can_be_posted_back_as_a_new_policy(
    client: httpx.AsyncClient, admin_headers: dict
) -> None:
    original = await read(client, admin_headers, "/policies/e-shot")
    assert original["version"] == 1 and original["created_by"] == "Pledge (shipped preset)"
    made = await copy_of(client, admin_headers, "e-shot", "e-shot-bespoke")
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1
    again = await read(client, admin_headers, "/policies/e-shot-bespoke")
    assert without(again, *VERSION_FIELDS) == without(original, *VERSION_FIELDS)
    assert again["digest"] != original["digest"]  # the key is part of what is digested
    # And what the copy returns goes round again unchanged.
    third = await copy_of(client, admin_headers, "e-shot-bespoke", "e-shot-third")
    assert third.status_code == 201, third.text
    assert without(third.json(), *VERSION_FIELDS) == without(original, *VERSION_FIELDS)


@pytest.mark.parametrize("key", PRESET_KEYS)
async def test_every_preset_saved_through_the_api_keeps_its_promises(
    client: httpx.AsyncClient, admin_headers: dict, key: str
) -> None:
    made = await copy_of(client, admin_headers, key, f"{key}-saved")
    assert made.status_code == 201, made.text
    preset = get_policy(key)
    for received in RECEIPTS:
        at = datetime.fromisoformat(received)
        for calendar in preset.calendars:
            for priority in preset.priorities:
                expected = compute_deadlines(preset, priority, at, calendar=calendar).to_json()
                got = await preview(
                    client,
                    admin_headers,
                    f"/policies/{key}-saved/preview",
                    received_at=received,
                    priority=priority,
                    calendar=calendar,
                )
                assert got == {**expected, "policy": f"{key}-saved"}, (
                    key,
                    calendar,
                    priority,
                    received,
                )


async def test_a_new_version_leaves_the_old_one_as_it_was(
    client: httpx.AsyncClient, admin_headers: dict
) -> None:
    made = await copy_of(client, admin_headers, "spotler", "spotler-contract")
    assert made.status_code == 201, made.text
    v1 = await read(client, admin_headers, "/policies/spotler-contract")
    edited = copy.deepcopy(v1)
    edited["priorities"]["high"]["targets"]["resolution"]["amount"] = 4
    saved = await client.put("/policies/spotler-contract", json=edited, headers=admin_headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2
    assert saved.json()["priorities"]["high"]["targets"]["resolution"]["amount"] == 4

    versions = await client.get("/policies/spotler-contract/versions", headers=admin_headers)
    assert [v["version"] for v in versions.json()] == [1, 2]
    assert await read(client, admin_headers, "/policies/spotler-contract/versions/1") == v1
    newest = await read(client, admin_headers, "/policies/spotler-contract")
    assert newest["version"] == 2 and newest["digest"] != v1["digest"]

    # The preview counts from what was saved, at once; version 1 still previews as before.
    received = {"received_at": "2026-11-19T09:00:00Z", "priority": "high"}
    now = await preview(client, admin_headers, "/policies/spotler-contract/preview", **received)
    before = await preview(
        client, admin_headers, "/policies/spotler-contract/versions/1/preview", **received
    )
    assert now["resolution_due"] == "2026-11-19T13:00:00+00:00"  # 4 business hours
    assert before["resolution_due"] == "2026-11-19T17:00:00+00:00"  # 8 business hours


async def test_saving_the_same_version_again_saves_nothing(
    client: httpx.AsyncClient, admin_headers: dict
) -> None:
    assert (await copy_of(client, admin_headers, "web-agency", "agency-copy")).status_code == 201
    v1 = await read(client, admin_headers, "/policies/agency-copy")
    again = await client.put("/policies/agency-copy", json=v1, headers=admin_headers)
    assert again.status_code == 200 and again.json()["version"] == 1
    versions = await client.get("/policies/agency-copy/versions", headers=admin_headers)
    assert len(versions.json()) == 1


async def test_an_edit_of_an_old_version_is_refused_not_overwritten(
    client: httpx.AsyncClient, admin_headers: dict
) -> None:
    assert (await copy_of(client, admin_headers, "e-shot", "e-shot-race")).status_code == 201
    v1 = await read(client, admin_headers, "/policies/e-shot-race")
    mine, theirs = copy.deepcopy(v1), copy.deepcopy(v1)
    theirs["name"] = "Theirs"
    mine["name"] = "Mine"
    first = await client.put("/policies/e-shot-race", json=theirs, headers=admin_headers)
    assert first.status_code == 200 and first.json()["version"] == 2
    second = await client.put("/policies/e-shot-race", json=mine, headers=admin_headers)
    assert second.status_code == 409
    assert "version 2 is the newest" in second.json()["detail"]
    assert (await read(client, admin_headers, "/policies/e-shot-race"))["name"] == "Theirs"


async def test_keys_taken_unknown_or_mismatched(
    client: httpx.AsyncClient, admin_headers: dict
) -> None:
    taken = await copy_of(client, admin_headers, "e-shot", "spotler")
    assert taken.status_code == 409 and "PUT /policies/spotler" in taken.json()["detail"]
    body = await read(client, admin_headers, "/policies/e-shot")
    elsewhere = await client.put(
        "/policies/spotler", json=without(body, "version"), headers=admin_headers
    )
    assert elsewhere.status_code == 422
    [problem] = elsewhere.json()["errors"]
    assert problem["field"] == "body.key" and "POST it to /policies" in problem["message"]
    unknown = await client.put("/policies/nobody", json=body, headers=admin_headers)
    assert unknown.status_code == 404 and "e-shot" in unknown.json()["detail"]
    missing = await client.get("/policies/e-shot/versions/7", headers=admin_headers)
    assert missing.status_code == 404 and "version 1 only" in missing.json()["detail"]


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data[part]
    if value is None:
        del data[last]
    else:
        data[last] = value


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (
            "calendars.support.hours",
            {"mon-fri": ["08:30-13:00", "12:00-18:00"]},
            "body.calendars.support.hours.mon-fri",
            "overlap on mon",
        ),
        (
            "calendars.support.hours",
            {"mon-fri": ["18:00-08:30"]},
            "body.calendars.support.hours.mon-fri",
            "ends before it starts",
        ),
        (
            "calendars.support.timezone",
            "Europe/Londres",
            "body.calendars.support.timezone",
            "unknown time zone",
        ),
        (
            "calendars.support.holidays",
            [{"country": "GB", "subdivisions": ["YRK"]}],
            "body.calendars.support.holidays.0.subdivisions",
            "unknown holiday subdivision 'YRK' of GB",
        ),
        (
            "calendars.support.closures",
            [{"name": "Christmas", "start": "12-24", "end": "12-20"}],
            "body.calendars.support.closures.0",
            '"Christmas" would close 362 days every year',
        ),
        (
            "calendars.support.holidays",
            [{"country": "XX"}],
            "body.calendars.support.holidays.0.country",
            "unknown holiday country",
        ),
        (
            "priorities.p1.targets.first_response.amount",
            0,
            "body.priorities.p1.targets.first_response.amount",
            "must be positive",
        ),
        (
            "priorities.p2.targets.first_response",
            None,
            "body.priorities.p2.targets.first_response",
            "every priority promises a first response",
        ),
        (
            "priorities.p3.targets.first_response.amount",
            10**9,
            "body.priorities.p3.targets.first_response.amount",
            "must be at most 260 working_days (about a year)",
        ),
        (
            "attainment_goals",
            {"first_response": 85},
            "body.attainment_goals.first_response",
            "(85% is 0.85)",
        ),
        (
            "attainment_goals",
            {"first_response": 1.5},
            "body.attainment_goals.first_response",
            "a goal is a share between 0 and 1",
        ),
    ],
)
async def test_a_policy_that_cannot_be_kept_is_422_naming_the_field(
    client: httpx.AsyncClient, admin_headers: dict, path: str, value: Any, field: str, words: str
) -> None:
    body = await read(client, admin_headers, "/policies/e-shot")
    body["key"] = "e-shot-broken"
    _set(body, path, value)
    for response in (
        await client.post("/policies", json=body, headers=admin_headers),
        await client.put("/policies/e-shot", json={**body, "key": "e-shot"}, headers=admin_headers),
    ):
        assert response.status_code == 422, response.text
        problems = response.json()["errors"]
        assert any(p["field"] == field and words in p["message"] for p in problems), problems
    # Nothing was kept.
    assert (await client.get("/policies/e-shot-broken", headers=admin_headers)).status_code == 404
    versions = await client.get("/policies/e-shot/versions", headers=admin_headers)
    assert [v["version"] for v in versions.json()] == [1]


async def test_only_admins_write_and_staff_read(
    client: httpx.AsyncClient, session: AsyncSession, admin_headers: dict
) -> None:
    agent = await bearer(session, Role.AGENT)
    body = await read(client, admin_headers, "/policies/e-shot")
    refused = await client.post("/policies", json={**body, "key": "by-agent"}, headers=agent)
    assert refused.status_code == 403 and "admin" in refused.json()["detail"]
    assert (await client.put("/policies/e-shot", json=body, headers=agent)).status_code == 403
    for path in ("/calendars", "/calendars/e-shot-support", "/regimes", "/regimes/fca/versions"):
        assert (await client.get(path, headers=agent)).status_code == 200, path
    account = Account(name="Policy reader", policy="e-shot", edition=Edition.STANDARD)
    session.add(account)
    await session.flush()
    customer = await bearer(session, Role.CUSTOMER, account_id=account.id)
    assert (await client.get("/calendars", headers=customer)).status_code == 403
    assert (await client.get("/policies/e-shot/versions", headers=customer)).status_code == 200


# -- calendars ---------------------------------------------------------------------------------

US_OFFICE = {
    "key": "us-office",
    "name": "US office",
    "timezone": "America/New_York",
    "hours": {"mon-thu": ["08:00-12:00", "13:00-17:00", "22:00-24:00"], "fri": ["08:00-15:00"]},
    "holidays": [{"country": "US", "subdivisions": ["NY"]}],
    "closures": [{"name": "Stocktake", "start": "2026-07-02", "end": "2026-07-02"}],
}

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:1@example.invalid\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20270102\r\n"
    "SUMMARY:Christmas shutdown\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


async def test_a_calendar_round_trips_and_takes_closures_from_an_icalendar_file(
    client: httpx.AsyncClient, admin_headers: dict
) -> None:
    made = await client.post("/calendars", json=US_OFFICE, headers=admin_headers)
    assert made.status_code == 201, made.text
    read_back = await read(client, admin_headers, "/calendars/us-office")
    assert read_back["hours"]["mon"] == ["08:00-12:00", "13:00-17:00", "22:00-24:00"]
    assert read_back["hours"]["fri"] == ["08:00-15:00"] and read_back["hours"]["sat"] == []
    closed = read_back["closed_days"]["2026"]
    assert closed["2026-11-26"] == "Thanksgiving Day" and closed["2026-07-02"] == "Stocktake"
    copied = await client.post(
        "/calendars", json={**read_back, "key": "us-office-2"}, headers=admin_headers
    )
    assert copied.status_code == 201, copied.text
    assert without(copied.json(), *VERSION_FIELDS) == without(read_back, *VERSION_FIELDS)

    imported = await client.post(
        "/calendars/us-office/closures.ics",
        content=ICS.encode(),
        headers={**admin_headers, "Content-Type": "text/calendar"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["version"] == 2
    assert imported.json()["closures"][1] == {
        "name": "Christmas shutdown",
        "start": "2026-12-24",
        "end": "2027-01-01",
        "note": "imported from an iCalendar file",
    }
    v1 = await read(client, admin_headers, "/calendars/us-office/versions/1")
    assert v1 == read_back


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"hours": {"mon": ["09:00-13:00", "12:00-17:00"]}}, "body.hours.mon", "overlap"),
        ({"hours": {"mon": ["17:00-09:00"]}}, "body.hours.mon", "ends before it starts"),
        ({"timezone": "America/Gotham"}, "body.timezone", "unknown time zone"),
        ({"holidays": [{"country": "US", "subdivisions": ["ZZ"]}]}, "body.holidays.0", "ZZ"),
    ],
)
async def test_a_calendar_that_cannot_be_kept_is_422_naming_the_field(
    client: httpx.AsyncClient, admin_headers: dict, change: dict, field: str, words: str
) -> None:
    response = await client.post("/calendars", json={**US_OFFICE, **change}, headers=admin_headers)
    assert response.status_code == 422, response.text
    problems = response.json()["errors"]
    assert any(p["field"].startswith(field) and words in p["message"] for p in problems), problems


async def test_an_icalendar_file_of_timed_events_is_422(
    client: httpx.AsyncClient, admin_headers: dict
) -> None:
    timed = ICS.replace("DTSTART;VALUE=DATE:20261224", "DTSTART:20261224T090000Z").replace(
        "DTEND;VALUE=DATE:20270102", "DTEND:20261224T170000Z"
    )
    response = await client.post(
        "/calendars/e-shot-support/closures.ics", content=timed.encode(), headers=admin_headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.events.0"
    versions = await client.get("/calendars/e-shot-support/versions", headers=admin_headers)
    assert len(versions.json()) == 1


# -- regimes -----------------------------------------------------------------------------------


async def test_a_regime_round_trips_and_versions(
    client: httpx.AsyncClient, admin_headers: dict
) -> None:
    standard = await read(client, admin_headers, "/regimes/standard")
    assert standard["reply"]["amount"] == 20 and standard["version"] == 1
    made = await client.post(
        "/regimes", json={**standard, "key": "standard-15"}, headers=admin_headers
    )
    assert made.status_code == 201, made.text
    edited = copy.deepcopy(made.json())
    edited["reply"]["amount"] = 15
    saved = await client.put("/regimes/standard-15", json=edited, headers=admin_headers)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    v1 = await read(client, admin_headers, "/regimes/standard-15/versions/1")
    assert v1["reply"]["amount"] == 20
    zero = copy.deepcopy(edited)
    zero["reply"]["amount"] = 0
    refused = await client.put(
        "/regimes/standard-15", json=without(zero, "version"), headers=admin_headers
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "field": "body.reply.amount",
        "message": "must be positive",
    }
    listed = await client.get("/regimes", headers=admin_headers)
    assert [r["key"] for r in listed.json()][:5] == [
        "standard",
        "housing-stage-1",
        "housing-stage-2",
        "fca",
        "sar",
    ]


async def test_a_saved_policy_is_listed(client: httpx.AsyncClient, admin_headers: dict) -> None:
    assert (await copy_of(client, admin_headers, "essensys", "essensys-emea")).status_code == 201
    listed = await client.get("/policies", headers=admin_headers)
    assert "essensys-emea" in [p["key"] for p in listed.json()]
