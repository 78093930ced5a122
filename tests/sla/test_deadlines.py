"""compute_deadlines: pauses, re-grading, calendars, and the JSON the API and workflows carry."""

from __future__ import annotations

import json
from datetime import timedelta

from pydantic import TypeAdapter

from sla import (
    TicketDeadlines,
    Unit,
    compute_deadlines,
    due_with_pauses,
    get_policy,
    target_deadline,
)

from .conftest import Z


def test_pauses_apply_to_every_clock() -> None:
    policy = get_policy("e-shot")
    received = Z(2026, 11, 16, 9)
    pauses = [(Z(2026, 11, 16, 9, 30), Z(2026, 11, 16, 11, 30))]
    d = compute_deadlines(policy, "p1", received, pauses=pauses)
    cal = policy.calendar()
    assert (
        d.first_response_due
        == Z(2026, 11, 16, 12)
        == due_with_pauses(cal, received, 1, Unit.BUSINESS_HOURS, pauses)
    )
    assert (
        d.resolution_due
        == Z(2026, 11, 17, 11)
        == due_with_pauses(cal, received, 1, Unit.WORKING_DAYS, pauses)
    )
    # The warning moves with the pause too: 45 minutes of clock time, 30 before and 15 after it.
    assert d.deadlines["first_response"].warnings == (Z(2026, 11, 16, 11, 45),)


def test_a_running_pause_leaves_dues_open() -> None:
    d = compute_deadlines(
        get_policy("e-shot"), "p1", Z(2026, 11, 16, 9), pauses=[(Z(2026, 11, 16, 9, 30), None)]
    )
    assert d.first_response_due is None and d.resolution_due is None
    assert d.deadlines["first_response"].warnings == ()


def test_priority_change_recomputes_from_receipt_excluding_pauses() -> None:
    spotler = get_policy("spotler")
    received = Z(2026, 11, 16, 9)
    pauses = [(Z(2026, 11, 16, 10), Z(2026, 11, 16, 12))]
    high = compute_deadlines(spotler, "high", received, pauses=pauses)
    medium = compute_deadlines(spotler, "medium", received, pauses=pauses)
    # Monday gives 7 unpaused hours (09-10, 12-18); the rest runs from Tuesday's 08:30 opening.
    assert high.resolution_due == Z(2026, 11, 17, 9, 30)
    assert medium.resolution_due == Z(2026, 11, 17, 17, 30)
    assert medium.received_at == high.received_at == received


def test_target_deadline_on_any_calendar() -> None:
    policy = get_policy("e-shot")
    target = policy.priorities["p2"].targets["first_response"]
    due, warnings, out_of_hours = target_deadline(policy.calendar(), Z(2026, 11, 21, 10), target)
    assert (due, out_of_hours) == (Z(2026, 11, 21, 14), True)
    assert warnings == (Z(2026, 11, 21, 13),)


def test_preview_json() -> None:
    d = compute_deadlines(get_policy("e-shot"), "p2", Z(2026, 11, 21, 10))
    data = d.to_json()
    json.dumps(data)
    assert data["first_response_due"] == "2026-11-21T14:00:00+00:00"
    assert data["resolution_due"] == "2026-11-25T08:30:00+00:00"
    assert data["final_resolution_due"] is None
    assert data["deadlines"]["first_response"]["out_of_hours"] is True
    assert data["deadlines"]["final_resolution"]["status"] == "release"


def test_deadlines_round_trip_through_pydantic() -> None:
    # FastAPI and the Temporal pydantic data converter both serialise through a TypeAdapter.
    adapter = TypeAdapter(TicketDeadlines)
    d = compute_deadlines(get_policy("spotler"), "high", Z(2026, 11, 16, 9))
    again = adapter.validate_json(adapter.dump_json(d))
    assert again == d
    assert again.resolution_due == Z(2026, 11, 16, 17)
    assert again.resolution_due.utcoffset() == timedelta(0)
