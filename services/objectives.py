"""Onboarding objectives, the measurements that decide them, and the plan they become.

The onboarding workflow writes objectives and readings (its activities do); these ask it to,
by update-with-start on account-<id>-onboarding, then read what it wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy

import sla
from api.auth import Principal
from api.errors import Conflict, InvalidInput, NotFound
from api.received import CLOCK_SKEW
from api.references import fingerprint
from api.schemas import MeasurementCreate, ObjectiveCreate
from api.workflow_writes import request_key, update_with_start
from db.models import Account, AccountPlan, Measurement, Objective
from services import terms
from services.accounts import load_account
from services.roles import STAFF_OR_CUSTOMER, SUCCESS_MANAGERS, allow
from settings import Settings
from workflows.onboarding import OnboardingWorkflow, workflow_id
from workflows.onboarding_messages import MeasurementRequest, ObjectiveRequest, OnboardingStart


def account_today(account: Account) -> datetime:
    """Now, in the account's time zone: its dates are its own."""
    calendar = sla.get_policy(account.policy).calendar(account.calendar)
    return datetime.now(UTC).astimezone(ZoneInfo(calendar.timezone))


async def _ask_onboarding(
    client: Client,
    session: AsyncSession,
    settings: Settings,
    account: Account,
    update: object,
    request: object,
    noun: str,
) -> int:
    """Have the account's onboarding record something, starting a run when none is going
    (a new one after a plan): answers the id of the row it wrote."""
    return int(
        await update_with_start(
            client,
            session,
            workflow_id=workflow_id(account.id),
            run=OnboardingWorkflow.run,
            start=OnboardingStart(
                account_id=account.id,
                policy=account.policy,
                calendar=account.calendar,
                terms=sla.PolicySnapshot.of(terms.account_policy(account.policy, account.calendar)),
            ),
            update=update,
            request=request,
            task_queue=settings.temporal_task_queue,
            noun=noun,
            finished=f"Account {account.id}'s onboarding has just ended; try again",
            reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
    )


async def _written(session: AsyncSession, model: type, row_id: int) -> object:
    """The row the workflow wrote, read in a fresh transaction."""
    await session.commit()
    row = await session.get(model, row_id, populate_existing=True)
    assert row is not None, f"{model.__name__} {row_id} was reported written"
    return row


async def add_objective(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    account_id: int,
    body: ObjectiveCreate,
    idempotency_key: str | None = None,
) -> Objective:
    """Set a measurable objective with the customer; onboarding keeps it to its date."""
    allow(principal, *SUCCESS_MANAGERS)
    account = await load_account(session, account_id, principal)
    policy = sla.get_policy(account.policy)
    if not policy.entitlements(account.edition.value).onboarding_objectives:
        raise Conflict(
            f"The {account.edition.value} edition under policy {policy.key!r} does not include "
            "onboarding objectives"
        )
    if body.target is None:
        raise InvalidInput.for_field(
            "body.target", "an objective needs a measurable target: the value its metric must reach"
        )
    today = account_today(account).date()
    if body.due_on <= today:
        raise InvalidInput.for_field(
            "body.due_on", f"{body.due_on.isoformat()} is not after today ({today.isoformat()})"
        )
    request = ObjectiveRequest(
        account_id=account.id,
        key=request_key("objective", principal.key_prefix, idempotency_key),
        fingerprint=fingerprint(
            body.model_dump(mode="json") | {"by": principal.key_id, "account": account.id}
        ),
        name=body.name,
        metric=body.metric,
        target=body.target,
        direction=body.direction,
        due_on=body.due_on,
        owner_name=body.owner.name,
        owner_email=body.owner.email,
        created_by=principal.name,
    )
    objective_id = await _ask_onboarding(
        client, session, settings, account, OnboardingWorkflow.add_objective, request, "objective"
    )
    return await _written(session, Objective, objective_id)  # type: ignore[return-value]


async def list_objectives(
    session: AsyncSession, principal: Principal, account_id: int
) -> list[Objective]:
    """The account's objectives, soonest due first, with how each went."""
    allow(principal, *STAFF_OR_CUSTOMER)
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(Objective)
            .where(Objective.account_id == account_id)
            .order_by(Objective.due_on, Objective.id)
        )
    )


async def record_measurement(
    session: AsyncSession,
    client: Client,
    settings: Settings,
    principal: Principal,
    account_id: int,
    body: MeasurementCreate,
    idempotency_key: str | None = None,
) -> Measurement:
    """Record a reading of one of the account's metrics; an open objective on it whose
    target the reading reaches is achieved there and then."""
    allow(principal, *SUCCESS_MANAGERS)
    account = await load_account(session, account_id, principal)
    now = datetime.now(UTC)
    if body.at is not None and body.at > now + CLOCK_SKEW:
        raise InvalidInput.for_field("body.at", f"{body.at.isoformat()} is in the future")
    request = MeasurementRequest(
        account_id=account.id,
        key=request_key("measurement", principal.key_prefix, idempotency_key),
        fingerprint=fingerprint(
            body.model_dump(mode="json") | {"by": principal.key_id, "account": account.id}
        ),
        name=body.name,
        value=body.value,
        at=min(body.at, now) if body.at else now,
        recorded_by=principal.name,
    )
    measurement_id = await _ask_onboarding(
        client,
        session,
        settings,
        account,
        OnboardingWorkflow.record_measurement,
        request,
        "measurement",
    )
    return await _written(session, Measurement, measurement_id)  # type: ignore[return-value]


async def list_measurements(
    session: AsyncSession, principal: Principal, account_id: int, name: str | None = None
) -> list[Measurement]:
    """The account's readings, oldest first; of one metric when named."""
    allow(principal, *STAFF_OR_CUSTOMER)
    await load_account(session, account_id, principal)
    query = select(Measurement).where(Measurement.account_id == account_id)
    if name is not None:
        query = query.where(Measurement.name == name)
    return list(await session.scalars(query.order_by(Measurement.at, Measurement.id)))


async def latest_plan(
    session: AsyncSession, principal: Principal, account_id: int
) -> AccountPlan | None:
    """The account management plan the latest onboarding ended with; None before one has."""
    allow(principal, *STAFF_OR_CUSTOMER)
    await load_account(session, account_id, principal)
    return await session.scalar(
        select(AccountPlan)
        .where(AccountPlan.account_id == account_id)
        .order_by(AccountPlan.created_at.desc(), AccountPlan.id.desc())
    )


async def account_plan(session: AsyncSession, principal: Principal, account_id: int) -> AccountPlan:
    """The latest plan; 404 while onboarding has not ended with one."""
    plan = await latest_plan(session, principal, account_id)
    if plan is None:
        raise NotFound(f"Account {account_id} has no plan yet: it comes when onboarding ends")
    return plan
