"""Nobody is left uninformed: every warning and breach reaches a person, and reports reach the
account's report recipients; real timers, real database, real SMTP."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.testing import WorkflowEnvironment

import sla
from activities.deps import ActivityDeps
from activities.recipients import escalation_roles, team_is_needed
from db.models import Contact
from settings import Settings
from sla.periods import next_monthly_run
from sla.reviews import proposed_time
from tests.conftest import Inbox
from tests.workflows.test_review import invite, new_review
from tests.workflows.tickets import eventually, make_account, notifications, open_ticket
from worker import build_worker
from workflows.account_success import AccountSuccessStart, AccountSuccessWorkflow, workflow_id
from workflows.report_messages import ReviewStart
from workflows.review import ReviewWorkflow

TEAM = "support-team@example.com"
PRESETS = Path(sla.__file__).parent / "presets"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"team_email": TEAM})


@pytest.fixture
async def env(
    time_skipping_env: WorkflowEnvironment, activity_deps: ActivityDeps
) -> AsyncIterator[WorkflowEnvironment]:
    with ThreadPoolExecutor(4) as executor:
        async with build_worker(time_skipping_env.client, activity_deps, executor):
            yield time_skipping_env


@pytest.fixture
def e_shot_team(tmp_path: Path) -> Iterator[str]:
    """The presets with e-shot naming its own team address, in use for this test."""
    presets = tmp_path / "presets"
    shutil.copytree(PRESETS, presets)
    policy = presets / "e-shot.toml"
    address = "eshot-success@example.com"
    text = policy.read_text()
    assert "has_account_managers = false\n" in text
    policy.write_text(
        text.replace(
            "has_account_managers = false\n",
            f'has_account_managers = false\nteam_email = "{address}"\n',
            1,
        )
    )
    sla.use_data_dirs(presets)
    try:
        assert sla.get_policy("e-shot").team_email == address
        yield address
    finally:
        sla.use_data_dirs(None)


async def next_open_day(env: WorkflowEnvironment, policy: str, hour: int) -> datetime:
    """hh:00 local on the policy calendar's next working day, at least a day ahead."""
    calendar = sla.get_policy(policy).calendar()
    now = await env.get_current_time()
    day = (now + timedelta(days=1)).astimezone(calendar._tz).date()  # noqa: SLF001
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=calendar._tz)  # noqa: SLF001


async def breach_unassigned_p1(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, **account: object
) -> tuple[str, Contact]:
    """An unassigned e-shot P1 opened at 09:00, taken past its first response (1 hour)."""
    opened_at = await next_open_day(env, "e-shot", 9)
    await env.sleep(opened_at - await env.get_current_time())
    made, contact = await make_account(engine, "e-shot", **account)  # type: ignore[arg-type]
    assert made.account_manager_email is None  # e-shot names none
    view = await open_ticket(
        env.client, settings.temporal_task_queue, made, contact, priority="p1",
        received_at=opened_at,
    )  # fmt: skip
    await env.sleep(timedelta(hours=1, minutes=1))
    return view.reference, contact


def subjects_to(inbox: Inbox, address: str, reference: str) -> list[str]:
    return sorted(str(m["Subject"]) for m in inbox.about(reference) if m["To"] == address)


async def told(engine: AsyncEngine, reference: str, kind: str) -> list[tuple[str, str]]:
    found = await notifications(engine, reference)
    return sorted((n.role, n.recipient) for n in found if n.kind == kind and n.channel == "email")


async def test_an_unassigned_breach_with_no_account_manager_reaches_the_team(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    reference, _ = await breach_unassigned_p1(env, engine, settings)
    [breach] = await inbox.wait_for(lambda m: m["To"] == TEAM and "breached" in m["Subject"]
                                    and reference in m["Subject"])  # fmt: skip
    # The team is told plainly nobody holds it, by the priority's label, with the console's page.
    said = breach.get_body(("plain",)).get_content()
    assert "not assigned to anyone yet" in said and "Priority Urgent" in said
    assert f"{settings.effective_public_url}/console/tickets/{reference}" in said
    assert "line 1" not in said and "p1" not in said.replace(reference, "")
    warned = await inbox.wait_for(lambda m: m["To"] == TEAM and "Warning" in m["Subject"]
                                  and reference in m["Subject"])  # fmt: skip
    assert len(warned) == 1
    assert await eventually(lambda: told(engine, reference, "breach")) == [("team", TEAM)]
    assert await told(engine, reference, "warning") == [("team", TEAM)]


async def test_the_success_manager_is_told_and_the_team_still_hears_the_breach(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    manager = "sasha.success@example.com"
    reference, _ = await breach_unassigned_p1(env, engine, settings, success_manager_email=manager)
    await inbox.wait_for(lambda m: m["To"] == TEAM and "breached" in m["Subject"]
                         and reference in m["Subject"])  # fmt: skip

    async def breach_told() -> list[tuple[str, str]]:
        found = await told(engine, reference, "breach")
        return found if len(found) == 2 else []

    assert await eventually(breach_told) == [("success_manager", manager), ("team", TEAM)]
    # A warning goes to the first of the chain who is there: the success manager.
    assert await told(engine, reference, "warning") == [("success_manager", manager)]
    assert [s for s in subjects_to(inbox, manager, reference) if "Warning" in s]


async def test_a_policy_team_address_wins_over_the_settings(
    env: WorkflowEnvironment,
    engine: AsyncEngine,
    settings: Settings,
    inbox: Inbox,
    e_shot_team: str,
) -> None:
    reference, _ = await breach_unassigned_p1(env, engine, settings)
    await inbox.wait_for(lambda m: m["To"] == e_shot_team and "breached" in m["Subject"]
                         and reference in m["Subject"])  # fmt: skip
    assert await eventually(lambda: told(engine, reference, "breach")) == [("team", e_shot_team)]
    assert subjects_to(inbox, TEAM, reference) == []


async def test_an_account_manager_hears_it_and_the_team_is_not_troubled(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    opened_at = await next_open_day(env, "spotler", 9)
    await env.sleep(opened_at - await env.get_current_time())
    account, contact = await make_account(engine, "spotler")
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="high",
        received_at=opened_at,
    )  # fmt: skip
    await env.sleep(timedelta(hours=1, minutes=1))

    async def breach_told() -> list[tuple[str, str]]:
        found = await told(engine, view.reference, "breach")
        return found if len(found) == 2 else []

    assert await eventually(breach_told) == [
        ("account_manager", account.account_manager_email),
        ("customer_services_manager", "csm@pledge.example.com"),
    ]
    assert subjects_to(inbox, TEAM, view.reference) == []


async def test_a_removed_contact_is_not_mailed(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    now = await env.get_current_time()
    account, contact = await make_account(engine, "e-shot")
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            update(Contact).where(Contact.id == contact.id).values(removed_at=now)
        )
    # Opened with them just before they left: the confirmation goes out after.
    view = await open_ticket(
        env.client, settings.temporal_task_queue, account, contact, priority="p3", received_at=now
    )
    handle = env.client.get_workflow_handle(f"ticket-{view.reference}")

    async def idle() -> bool:
        description = (await handle.describe()).raw_description
        return not description.pending_activities and not description.HasField(
            "pending_workflow_task"
        )

    await eventually(idle)
    assert inbox.to(contact.email) == []
    assert [n for n in await notifications(engine, view.reference) if n.role == "contact"] == []


async def test_an_e_shot_accounts_report_recipients_receive_the_monthly_report(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, unflagged = await make_account(engine, "e-shot")
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        reader = Contact(
            account_id=account.id, name="Rita Reader", receives_reports=True,
            email=f"rita-{uuid.uuid4().hex[:8]}@example.com",
        )  # fmt: skip
        leaver = Contact(
            account_id=account.id, name="Len Leaver", receives_reports=True,
            email=f"len-{uuid.uuid4().hex[:8]}@example.com",
            removed_at=await env.get_current_time(),
        )  # fmt: skip
        session.add_all([reader, leaver])
    calendar = sla.get_policy("e-shot").calendar()
    await env.client.start_workflow(
        AccountSuccessWorkflow.run,
        AccountSuccessStart(account_id=account.id, policy="e-shot", calendar=None),
        id=workflow_id(account.id),
        task_queue=settings.temporal_task_queue,
    )
    first = next_monthly_run(calendar, await env.get_current_time())
    await env.sleep(first - await env.get_current_time() + timedelta(minutes=1))
    mail = await inbox.wait_for(lambda m: m["To"] == reader.email, timeout=30)
    assert [a.get_content_type() for a in mail[0].iter_attachments()] == ["application/pdf"]
    assert account.name in str(mail[0]["Subject"])
    assert inbox.to(leaver.email) == [] and inbox.to(unflagged.email) == []


def test_the_chain_is_completed_for_warnings_and_breaches_only() -> None:
    spotler, eshot = sla.get_policy("spotler"), sla.get_policy("e-shot")
    chain = ["assignee", "account_manager", "customer_services_manager"]
    assert escalation_roles("breach", chain, spotler) == [
        "assignee", "account_manager", "success_manager", "customer_services_manager", "team"
    ]  # fmt: skip
    assert escalation_roles("warning", ["assignee", "account_manager"], eshot) == [
        "assignee", "success_manager", "team"
    ]  # fmt: skip
    assert escalation_roles("confirmation", ["contact"], eshot) == ["contact"]
    assert escalation_roles("routed", ["account_manager"], spotler) == ["account_manager"]
    people = {"assignee": None, "account_manager": "am@example.com"}
    assert not team_is_needed(people, ["assignee", "account_manager", "team"])
    assert team_is_needed(people, ["assignee", "team"])  # no account-manager step: not there
    assert team_is_needed({"assignee": None, "account_manager": None}, chain)


async def test_an_e_shot_review_invites_the_report_recipients(
    env: WorkflowEnvironment, engine: AsyncEngine, settings: Settings, inbox: Inbox
) -> None:
    account, unflagged = await make_account(engine, "e-shot")
    reader = f"rita-{uuid.uuid4().hex[:8]}@example.com"
    async with AsyncSession(engine) as session, session.begin():
        session.add(
            Contact(account_id=account.id, name="Rita Reader", email=reader, receives_reports=True)
        )
    starts_at = proposed_time(sla.get_policy("e-shot").calendar(), await env.get_current_time())
    review_id = await new_review(engine, account.id, starts_at)
    await env.client.start_workflow(
        ReviewWorkflow.run,
        ReviewStart(review_id=review_id, account_id=account.id, policy="e-shot",
                    calendar=None, starts_at=starts_at, duration_minutes=60),
        id=f"review-test-{review_id}-{uuid.uuid4().hex[:6]}",
        task_queue=settings.temporal_task_queue,
    )  # fmt: skip
    [invitation] = await inbox.wait_for(
        lambda m: m["To"] == reader and "Invitation" in m["Subject"]
    )
    invited = invite(invitation).walk("VEVENT")[0].get("attendee", [])
    invited = invited if isinstance(invited, list) else [invited]
    assert [str(a).lower() for a in invited] == [f"mailto:{reader}"]
    assert inbox.to(unflagged.email) == []
