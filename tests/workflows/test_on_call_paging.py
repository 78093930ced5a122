"""An emergency out of hours pages the person on call, at a real SMTP listener; one in hours
pages nobody; with nobody on call the team address is paged. On the time-skipping server."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from db.models import OnCallWeek, User
from db.types import utcnow
from sla.team import monday_of
from tests.conftest import Inbox
from tests.workflows.tickets import (
    LONDON,
    events,
    eventually,
    make_account,
    next_weekday_at,
    open_ticket,
)
from worker import build_worker

TEAM = "team@pledge.example.com"


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


async def put_on_call(engine: AsyncEngine, at: datetime) -> User:
    """A member of staff on call in the week of `at` (as PUT /on-call writes it)."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        user = User(
            email=f"priya-{secrets.token_hex(3)}@pledge.example.com",
            full_name="Priya Patel",
            roles=["agent"],
            prefix=secrets.token_hex(4),
        )
        user.email_key = user.email
        session.add(user)
        await session.flush()
        monday = monday_of(at.astimezone(LONDON).date())
        await session.merge(
            OnCallWeek(monday=monday, user_id=user.id, set_by="Ada Admin", set_at=utcnow())
        )
    return user


async def test_an_emergency_at_23_00_on_saturday_pages_the_person_on_call(
    env: WorkflowEnvironment, engine: AsyncEngine, activity_deps: ActivityDeps, inbox: Inbox
) -> None:
    now = await env.get_current_time()
    saturday_night = next_weekday_at(now, 5, 23)
    person = await put_on_call(engine, saturday_night)
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client,
        activity_deps.settings.temporal_task_queue,
        account,
        contact,
        priority="p1",
        received_at=saturday_night,
        channel="emergency",
        calendar="emergency",  # as the API chooses for the emergency line
    )
    ref = view.reference
    pages = await inbox.wait_for(
        lambda m: m["X-Pledge-Ticket"] == ref and m["X-Pledge-Notice"] == "page"
    )
    assert len(pages) == 1
    page = pages[0]
    assert person.email in page["X-Envelope-To"]
    assert "Emergency out of hours" in page["Subject"] and account.name in page["Subject"]
    text = page.get_content().replace("\r\n", "\n")
    # Greeted by their full name, the page's times in the words the rest of Pledge uses.
    assert text.startswith("Hello Priya Patel,\n\nYou are on call this week.\n"), text
    assert "GMT" not in text and "BST" not in text and "London time" not in text
    assert f"Ticket:   {ref}" in text and "Campaign will not send" in text
    # 23:00 London on a Saturday; first response within 1 hour on the 24/7 calendar.
    day = saturday_night.strftime("%A %-d %B %Y")
    assert f"came in out of hours at {day} at 23:00 UK time." in text
    assert "First response by Sunday" in text and "at 00:00 UK time" in text
    assert f"/console/tickets/{ref}" in text

    async def paged() -> list[str]:
        return [e.summary for e in await events(engine, ref) if e.kind == "paged"]

    summaries = await eventually(paged, timeout=15)
    assert summaries == [f"Paged Priya Patel (on call) at {person.email}"]


async def test_an_emergency_in_hours_pages_nobody(
    env: WorkflowEnvironment, engine: AsyncEngine, activity_deps: ActivityDeps, inbox: Inbox
) -> None:
    now = await env.get_current_time()
    tuesday_morning = next_weekday_at(now, 1, 10)
    await put_on_call(engine, tuesday_morning)
    account, contact = await make_account(engine, "e-shot")
    view = await open_ticket(
        env.client,
        activity_deps.settings.temporal_task_queue,
        account,
        contact,
        priority="p1",
        received_at=tuesday_morning,
        channel="emergency",
        calendar="emergency",  # as the API chooses for the emergency line
    )
    ref = view.reference
    # The confirmation to the customer comes; a page never does.
    await inbox.wait_for(lambda m: m["X-Pledge-Ticket"] == ref)
    await env.sleep(timedelta(minutes=5))
    assert [m for m in inbox.about(ref) if m["X-Pledge-Notice"] == "page"] == []
    assert "paged" not in [e.kind for e in await events(engine, ref)]


async def test_with_nobody_on_call_the_team_address_is_paged_and_the_history_says_so(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    activity_deps: ActivityDeps,
    inbox: Inbox,
) -> None:
    deps = ActivityDeps(
        **{**activity_deps.__dict__, "settings": activity_deps.settings.model_copy(
            update={"team_email": TEAM}
        )}
    )  # fmt: skip
    env = time_skipping_env
    now = await env.get_current_time()
    # A Sunday afternoon more than a year ahead: no week of the rota is set so far off.
    sunday = next_weekday_at(now + timedelta(days=400), 6, 15)
    account, contact = await make_account(engine, "e-shot")
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(env.client, deps, executor):
            view = await open_ticket(
                env.client,
                deps.settings.temporal_task_queue,
                account,
                contact,
                priority="p2",
                received_at=sunday,
                channel="phone",
                calendar="emergency",
            )
            ref = view.reference
            pages = await inbox.wait_for(
                lambda m: m["X-Pledge-Ticket"] == ref and m["X-Pledge-Notice"] == "page"
            )
            assert TEAM in pages[0]["X-Envelope-To"]
            words = pages[0].get_content().replace("\r\n", "\n")
            assert words.startswith(
                "Hello,\n\nNobody is on call this week, so this page comes to the team address."
            )

            async def paged() -> list[str]:
                return [e.summary for e in await events(engine, ref) if e.kind == "paged"]

            assert await eventually(paged, timeout=15) == [
                f"Nobody was on call: paged the team address {TEAM}"
            ]
