"""The huddle workflow on the time-skipping server: at the next working morning's 09:00 London
time it mails the digest, listing a breached ticket and a down monitor, to the team address."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from db.models import Account, Edition
from db.types import utcnow
from sla.team import next_huddle, team_calendar
from tests.conftest import Inbox
from tests.web.test_team_pages import (
    breached_ticket,
    complaint_row,
    local_midnight,
    missed_first_response,
    monitor_row,
)
from worker import build_worker
from workflows.huddle import HuddleStart, HuddleWorkflow

TEAM = "huddle-team@pledge.example.com"


async def test_the_morning_digest_lists_a_breached_ticket_and_a_down_monitor(
    time_skipping_env: WorkflowEnvironment,
    engine: AsyncEngine,
    activity_deps: ActivityDeps,
    inbox: Inbox,
) -> None:
    env = time_skipping_env
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        account = Account(
            name=f"Harbour Cafe {secrets.token_hex(3)}", policy="e-shot", edition=Edition.STANDARD
        )
        session.add(account)
        await session.flush()
        ticket = breached_ticket(account)
        monitor = monitor_row(account, "Harbour shop")
        session.add_all([ticket, monitor])
        await session.flush()
        missed = utcnow().replace(second=0, microsecond=0) - timedelta(hours=26)
        session.add(missed_first_response(ticket, missed))
        late = complaint_row("Olive Late", local_midnight(-32), utcnow() + timedelta(days=40))
        session.add(late)
    settings = activity_deps.settings.model_copy(update={"team_email": TEAM})
    deps = ActivityDeps(**{**activity_deps.__dict__, "settings": settings})
    start = HuddleStart(calendar="e-shot:support", at=time(9, 0))
    now = await env.get_current_time()
    due = next_huddle(team_calendar(start.calendar), now, start.at)
    with ThreadPoolExecutor(2) as executor:
        async with build_worker(env.client, deps, executor):
            await env.client.start_workflow(
                HuddleWorkflow.run,
                start,
                id=f"huddle-{secrets.token_hex(3)}",
                task_queue=settings.temporal_task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
            await env.sleep(due - now + timedelta(minutes=1))
            mails = await inbox.wait_for(
                lambda m: m["X-Pledge-Notice"] == "huddle" and TEAM in m["X-Envelope-To"]
            )
    digest = mails[-1]
    body = digest.get_content()
    assert digest["Subject"].startswith("Huddle for ")
    assert "down" in digest["Subject"]  # "1 site down", or more with other tests' sites
    breached = body.split("Breached, still open")[1].split("Due today")[0]
    assert ticket.reference in breached and account.name in breached
    line = breached.split(ticket.reference)[1].split("\n")[0]
    local = missed.astimezone(ZoneInfo("Europe/London"))
    assert f"first response missed {local:%a} {local.day} {local:%b %Y}, {local:%H:%M}" in line
    assert "; next due " in line
    complaints = body.split("Complaints due this week")[1].split("Reviews this week")[0]
    day = (local_midnight(-32) - timedelta(days=1)).astimezone(ZoneInfo("Europe/London"))
    assert (
        f"{late.reference}  Olive Late: acknowledgement overdue since end of "
        f"{day:%a} {day.day} {day:%b %Y}"
    ) in complaints
    # Overdue first: no line saying "due" comes before it.
    assert " due " not in complaints.split(late.reference)[0]
    down = body.split("Sites and services down")[1].split("Maintenance tonight")[0]
    assert "Harbour shop" in down and account.name in down
    assert "Maintenance tonight: none" in body
    assert "/console/huddle" in body
