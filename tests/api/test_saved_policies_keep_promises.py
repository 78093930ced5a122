"""The seeds' promises hold for policies written through the API, read back from the database.

tests/sla/test_preset_*.py check every promise of the five seeds by hand: weekends, bank
holidays, Electric Putty's Christmas closure, the clock changes, essensys's US hours with their
shorter Friday. Here each of those tests runs again, unchanged, on the preset's JSON as
`GET /policies/{key}` returns it, sent to `POST /policies` under a new key and read back from
the database twice: as the API reads it when a ticket is opened (services.terms.current, with
nothing cached), and as a worker revives the snapshot the ticket carries. A property test then
draws receipts, priorities and calendars at random. Never a new version of a preset's own key:
the database is shared by the whole session.
"""

from __future__ import annotations

import inspect
import itertools
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from db import policy_versions
from services import policies, terms
from sla import Policy, PolicySnapshot, compute_deadlines, get_policy
from sla.loader import PRESET_KEYS
from tests.sla import (
    test_preset_e_shot,
    test_preset_electric_putty,
    test_preset_essensys,
    test_preset_spotler,
    test_preset_web_agency,
)

# Each preset's hand-checked tests, and the name of the fixture that hands them its policy.
CHECKED: dict[str, tuple[ModuleType, str]] = {
    "e-shot": (test_preset_e_shot, "eshot"),
    "spotler": (test_preset_spotler, "spotler"),
    "web-agency": (test_preset_web_agency, "agency"),
    "electric-putty": (test_preset_electric_putty, "putty"),
    "essensys": (test_preset_essensys, "essensys"),
}


PARAM = type(pytest.param())


def _parametrizations(check: Callable[..., Any]) -> Iterator[dict[str, Any]]:
    """Every set of arguments the test's own @pytest.mark.parametrize marks give it."""
    tables = []
    for mark in getattr(check, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = []
        for value in values:
            if isinstance(value, PARAM):
                value = value.values
            elif len(names) == 1:
                value = (value,)
            rows.append(dict(zip(names, value, strict=True)))
        tables.append(rows)
    for combination in itertools.product(*tables):
        yield {k: v for row in combination for k, v in row.items()}


def _checked_cases() -> Iterator[Any]:
    for key, (module, fixture) in CHECKED.items():
        checks = [
            (name, check)
            for name, check in vars(module).items()
            if name.startswith("test_") and inspect.isfunction(check)
        ]
        assert checks, f"no tests in {module.__name__}"
        for name, check in checks:
            taken = set(inspect.signature(check).parameters)
            for i, arguments in enumerate(_parametrizations(check)):
                # A test that needs anything but its policy and its table cannot run here.
                assert taken == {fixture, *arguments}, (module.__name__, name, taken)
                yield pytest.param(key, fixture, check, arguments, id=f"{key}-{name}-{i}")


CASES = list(_checked_cases())


async def save_copy(client: httpx.AsyncClient, headers: dict[str, str], key: str) -> str:
    """Preset `key` as GET returns it, POSTed as a policy of its own; its new key."""
    read = await client.get(f"/policies/{key}", headers=headers)
    assert read.status_code == 200, read.text
    new_key = f"{key}-saved-{secrets.token_hex(3)}"
    made = await client.post("/policies", json={**read.json(), "key": new_key}, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1
    return new_key


async def read_back(session: AsyncSession, key: str) -> tuple[Policy, Policy]:
    """The saved policy from the database with nothing this process holds: as the API reads it
    for a ticket opened now, and as a worker revives the snapshot that ticket carries."""
    session.expunge_all()  # the row is read again from the database, not the one just added
    row = await policy_versions.latest(session, "policy", key)
    assert row is not None and row.version == 1
    # The worker's revival of the snapshot a ticket carries, from the stored body (its digest
    # is new: nothing is cached under it yet).
    from_row = PolicySnapshot(key=key, digest=row.digest, data=row.body)
    revived = PolicySnapshot.model_validate_json(from_row.model_dump_json()).policy()
    # The model the save cached, dropped: a process that did not save it (the API after a
    # restart, another API process) validates the stored body.
    policies._MODELS.pop(("policy", row.digest), None)  # noqa: SLF001
    current = await terms.current(session, "policy", key)
    assert current.version == 1 and current.model.key == key
    assert current.model is not revived
    # What a ticket opened now carries is that very version.
    assert PolicySnapshot.of(current.model).digest == row.digest
    return current.model, revived


@pytest.mark.parametrize(("key", "fixture", "check", "arguments"), CASES)
async def test_a_hand_checked_case_holds_for_the_preset_saved_through_the_api(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session: AsyncSession,
    key: str,
    fixture: str,
    check: Callable[..., None],
    arguments: dict[str, Any],
) -> None:
    saved = await save_copy(client, admin_headers, key)
    for policy in await read_back(session, saved):
        check(**{fixture: policy}, **arguments)


def test_every_preset_and_its_hand_checked_tests_are_run_again() -> None:
    assert set(CHECKED) == set(PRESET_KEYS)
    for key, (module, _) in CHECKED.items():
        names = {n for n in vars(module) if n.startswith("test_")}
        ran = {case.values[2].__name__ for case in CASES if case.values[0] == key}
        assert ran == names, (key, names - ran)
    assert len(CASES) > 60


async def test_the_hand_checked_dues_come_back_through_the_preview(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """A few of the worked cases through POST /policies/{key}/preview of the saved copies."""
    cases = [
        # e-shot P2 out of hours: 4 calendar hours (Christmas Day).
        ("e-shot", "p2", "2026-12-25T09:00:00Z", None, "first_response_due", "2026-12-25T13:00"),
        # Electric Putty: the Christmas closure, then the weekend.
        ("electric-putty", "normal", "2026-12-23T11:00:00Z", None, "first_response_due",
         "2027-01-05T11:00"),
        # Electric Putty: the late summer bank holiday.
        ("electric-putty", "critical", "2026-08-28T15:30:00Z", None, "first_response_due",
         "2026-09-01T08:30"),
        # essensys US Pacific: 17:00 Friday close, the clocks going forward.
        ("essensys", "p1", "2026-03-06T23:00:00Z", "us-pacific", "resolution_due",
         "2026-03-09T09:00"),
        ("essensys", "p1", "2026-11-13T21:50:00Z", "us-pacific", "resolution_due",
         "2026-11-16T08:50"),
        # Spotler Low: 10 working days.
        ("spotler", "low", "2026-11-18T10:15:00Z", None, "resolution_due", "2026-12-02T10:15"),
        # The agency: user support after 17:00 counts from the next morning.
        ("web-agency", "user-support", "2026-11-16T17:30:00Z", None, "first_response_due",
         "2026-11-20T09:00"),
    ]  # fmt: skip
    saved = {key: await save_copy(client, admin_headers, key) for key in {c[0] for c in cases}}
    for key, priority, received, calendar, field, due in cases:
        body = {"received_at": received, "priority": priority, "calendar": calendar}
        response = await client.post(
            f"/policies/{saved[key]}/preview", json=body, headers=admin_headers
        )
        assert response.status_code == 200, response.text
        assert response.json()[field] == f"{due}:00+00:00", (key, priority, received)


# -- any receipt, any priority -------------------------------------------------------------------

LEVELS = [
    (key, priority, calendar)
    for key in PRESET_KEYS
    for priority in get_policy(key).priorities
    for calendar in [None, *get_policy(key).calendars]
]


def outcome(
    policy: Policy, priority: str, at: datetime, calendar: str | None, request_type: str | None
) -> dict[str, Any]:
    """The deadlines as the API shows them, or the refusal (a calendar a level cannot use)."""
    try:
        return compute_deadlines(
            policy, priority, at, calendar=calendar, request_type=request_type
        ).to_json()
    except Exception as exc:  # noqa: BLE001 - the same refusal is the same outcome
        return {"refused": type(exc).__name__, "why": str(exc).replace(policy.key, "<key>")}


async def test_any_receipt_gets_the_same_deadlines_from_a_policy_saved_and_read_back(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    """Each preset saved through the API and read back from the database (both ways) gives
    what the preset gives, for random receipts, priorities, calendars and request types."""
    saved = {}
    for key in PRESET_KEYS:
        new_key = await save_copy(client, admin_headers, key)
        saved[key] = (new_key, await read_back(session, new_key))

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        level=st.sampled_from(LEVELS),
        at=st.datetimes(
            min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
        ),
        data=st.data(),
    )
    def same_deadlines(level: tuple[str, str, str | None], at: datetime, data: Any) -> None:
        key, priority, calendar = level
        preset = get_policy(key)
        request_type = data.draw(st.sampled_from([None, *preset.request_types]))
        expected = outcome(preset, priority, at, calendar, request_type)
        new_key, read = saved[key]
        want = expected if "refused" in expected else {**expected, "policy": new_key}
        for policy in read:
            got = outcome(policy, priority, at, calendar, request_type)
            assert got == want, (key, priority, calendar, request_type, at)

    same_deadlines()
