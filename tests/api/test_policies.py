"""The policy routes: the five presets as data, and deadline previews through HTTP."""

from __future__ import annotations

import httpx
import pytest

PRESETS = {
    "e-shot": ["p1", "p2", "p3", "p4"],
    "spotler": ["high", "medium", "low"],
    "web-agency": ["mission-critical", "bug-fix", "user-support"],
    "electric-putty": ["critical", "normal", "low"],
    "essensys": ["p1", "p2", "p3", "p4"],
}


async def preview(client: httpx.AsyncClient, headers: dict, policy: str, **body) -> httpx.Response:
    return await client.post(f"/policies/{policy}/preview", json=body, headers=headers)


async def test_lists_the_five_presets(client: httpx.AsyncClient, agent_headers) -> None:
    response = await client.get("/policies", headers=agent_headers)
    assert response.status_code == 200
    listed = {p["key"]: [level["key"] for level in p["priorities"]] for p in response.json()}
    # Admins may have added policies of their own (tests/api/test_policy_versions.py).
    assert {key: sorted(listed[key]) for key in PRESETS if key in listed} == {
        key: sorted(levels) for key, levels in PRESETS.items()
    }
    assert list(listed)[:5] == list(PRESETS)  # the presets first, in the order they shipped


async def test_a_policy_as_data_with_its_closed_days(
    client: httpx.AsyncClient, agent_headers
) -> None:
    response = await client.get("/policies/electric-putty?years=2026", headers=agent_headers)
    assert response.status_code == 200
    policy = response.json()
    support = policy["calendars"][policy["default_calendar"]]
    closed = support["closed_days"]["2026"]
    assert "2026-12-28" in closed  # Boxing Day (substitute day)
    assert "2026-12-24" in closed and "2026-12-31" in closed  # the Christmas closure
    assert policy["priorities"]["critical"]["targets"]["first_response"] == {
        **policy["priorities"]["critical"]["targets"]["first_response"],
        "amount": 1,
        "unit": "business_hours",
    }


async def test_unknown_policy_is_404_naming_the_known_ones(
    client: httpx.AsyncClient, agent_headers
) -> None:
    for response in (
        await client.get("/policies/zendesk", headers=agent_headers),
        await preview(
            client, agent_headers, "zendesk", priority="p1", received_at="2026-11-19T17:00:00Z"
        ),
    ):
        assert response.status_code == 404
        assert "'zendesk'" in response.json()["detail"] and "spotler" in response.json()["detail"]


@pytest.mark.parametrize(
    ("policy", "priority", "received_at", "first_response", "resolution"),
    [
        # docs/deadlines.md: 8 business hours from Thu 17:00Z is Fri 15:30Z; 1 business hour from
        # 17:00Z runs out exactly at closing time, 18:00Z, the same day.
        (
            "spotler",
            "high",
            "2026-11-19T17:00:00Z",
            "2026-11-19T18:00:00+00:00",
            "2026-11-20T15:30:00+00:00",
        ),
        # docs/deadlines.md: 10 working days from Wed 2026-11-18 10:15Z.
        (
            "spotler",
            "low",
            "2026-11-18T10:15:00Z",
            "2026-11-18T11:15:00+00:00",
            "2026-12-02T10:15:00+00:00",
        ),
        # Summer time: 08:30-18:00 London is 07:30-17:00Z.
        (
            "spotler",
            "high",
            "2026-07-16T16:00:00+01:00",
            "2026-07-16T16:00:00+00:00",
            "2026-07-17T13:30:00+00:00",
        ),
        # e-shot P2 received on a Saturday: 4 calendar hours, not 2 business hours.
        (
            "e-shot",
            "p2",
            "2026-11-21T10:00:00Z",
            "2026-11-21T14:00:00+00:00",
            "2026-11-25T08:30:00+00:00",
        ),
        # Electric Putty: support hours 09:00-17:00, closed from Christmas Eve to New Year's Day.
        ("electric-putty", "critical", "2026-12-23T16:30:00Z", "2027-01-04T09:30:00+00:00", None),
    ],
)
async def test_preview_holds_the_promises(
    client: httpx.AsyncClient,
    agent_headers,
    policy,
    priority,
    received_at,
    first_response,
    resolution,
) -> None:
    response = await preview(
        client, agent_headers, policy, priority=priority, received_at=received_at
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["first_response_due"], body["resolution_due"]) == (first_response, resolution)


async def test_preview_includes_every_target_the_policy_promises(
    client: httpx.AsyncClient, agent_headers
) -> None:
    body = (
        await preview(
            client, agent_headers, "e-shot", priority="p1", received_at="2026-11-19T09:00:00Z"
        )
    ).json()
    assert body["final_resolution_due"] is None
    assert body["deadlines"]["final_resolution"]["status"] == "release"
    assert body["deadlines"]["final_resolution"]["target"]["release"] == "hotfix"
    assert body["first_response_due"] == "2026-11-19T10:00:00+00:00"
    assert body["deadlines"]["first_response"]["warnings"] == ["2026-11-19T09:45:00+00:00"]


async def test_spotler_triages_by_campaign_date(client: httpx.AsyncClient, agent_headers) -> None:
    soon = await preview(
        client, agent_headers, "spotler",
        received_at="2026-11-19T10:00:00Z", campaign_scheduled_at="2026-11-20T09:00:00Z",
    )  # fmt: skip
    later = await preview(
        client, agent_headers, "spotler",
        received_at="2026-11-19T10:00:00Z", campaign_scheduled_at="2026-11-21T09:00:00Z",
    )  # fmt: skip
    assert (soon.json()["priority"], later.json()["priority"]) == ("high", "medium")


async def test_essensys_counts_in_the_account_region(
    client: httpx.AsyncClient, agent_headers
) -> None:
    # US PST live chat closes at 17:00 on Fridays; a p1 at 16:50 PST carries over the weekend.
    body = (
        await preview(
            client,
            agent_headers,
            "essensys",
            priority="p1",
            received_at="2026-11-20T16:50:00-08:00",
            calendar="us-pacific",
        )  # fmt: skip
    ).json()
    assert body["calendar"] == "us-pacific"
    assert body["first_response_due"] == "2026-11-23T08:05:00+00:00"


async def test_no_clock_for_advice(client: httpx.AsyncClient, agent_headers) -> None:
    body = (
        await preview(
            client,
            agent_headers,
            "spotler",
            priority="low",
            received_at="2026-11-19T10:00:00Z",
            request_type="advice",
        )  # fmt: skip
    ).json()
    assert body["first_response_due"] is None and body["resolution_due"] is None
    assert body["deadlines"]["resolution"]["status"] == "no_clock"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"priority": "urgent", "received_at": "2026-11-19T17:00:00Z"},
            "body.priority",
            "high, medium, low",
        ),
        ({"priority": "high", "received_at": "yesterday"}, "body.received_at", "datetime"),
        (
            {"priority": "high", "received_at": "2026-11-19T17:00:00"},
            "body.received_at",
            "timezone",
        ),
        ({"priority": "high"}, "body.received_at", "is required"),
        ({"received_at": "2026-11-19T17:00:00Z"}, "body.priority", "high, medium, low"),
        (
            {"priority": "high", "received_at": "2026-11-19T17:00:00Z", "calendar": "mars"},
            "body.calendar",
            "support",
        ),
        (
            {"priority": "high", "received_at": "2026-11-19T17:00:00Z", "request_type": "x"},
            "body.request_type",
            "advice",
        ),
    ],
)
async def test_bad_previews_are_422_naming_field_and_allowed_values(
    client: httpx.AsyncClient, agent_headers, body: dict, field: str, words: str
) -> None:
    response = await preview(client, agent_headers, "spotler", **body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    assert words in problem["detail"]
