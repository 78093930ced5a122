"""Onboarding objectives, the measurements that decide them, and the plan they become."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, status
from sqlalchemy import select
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError

import sla
from api.auth import StaffOrCustomer, SuccessManager
from api.deps import AppSettings, Session, Temporal
from api.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable, responses
from api.received import CLOCK_SKEW
from api.routes.accounts import load_account
from api.schemas import (
    MeasurementCreate,
    MeasurementOut,
    ObjectiveCreate,
    ObjectiveOut,
    PlanOut,
)
from api.temporal_calls import signal_if_running
from db.models import Account, AccountPlan, Measurement, Objective
from settings import Settings
from workflows.onboarding import OnboardingWorkflow, workflow_id
from workflows.onboarding_messages import Measured, ObjectiveAdded, OnboardingStart

router = APIRouter(tags=["objectives"])


def _zone_today(account: Account) -> datetime:
    calendar = sla.get_policy(account.policy).calendar(account.calendar)
    return datetime.now(UTC).astimezone(ZoneInfo(calendar.timezone))


async def _tell_onboarding(
    client: Client, settings: Settings, account: Account, signal: str, arg: object
) -> None:
    """Signal the account's onboarding, starting it when none runs (a new one after a plan)."""
    try:
        await client.start_workflow(
            OnboardingWorkflow.run,
            OnboardingStart(
                account_id=account.id, policy=account.policy, calendar=account.calendar
            ),
            id=workflow_id(account.id),
            task_queue=settings.temporal_task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            start_signal=signal,
            start_signal_args=[arg],
        )
    except RPCError as exc:
        raise ServiceUnavailable(f"Temporal did not accept the objective: {exc.message}") from None


@router.post(
    "/accounts/{account_id}/objectives",
    response_model=ObjectiveOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409, 503),
)
async def add_objective(
    account_id: int,
    body: ObjectiveCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: SuccessManager,
) -> Objective:
    """Set a measurable objective with the customer; onboarding keeps it to its date."""
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
    today = _zone_today(account).date()
    if body.due_on <= today:
        raise InvalidInput.for_field(
            "body.due_on", f"{body.due_on.isoformat()} is not after today ({today.isoformat()})"
        )
    objective = Objective(
        account_id=account.id,
        name=body.name,
        metric=body.metric,
        target=body.target,
        direction=body.direction,
        due_on=body.due_on,
        owner_name=body.owner.name,
        owner_email=body.owner.email,
        status="open",
        created_by=principal.name,
        created_at=datetime.now(UTC),
    )
    session.add(objective)
    await session.flush()
    # Committed before the workflow can act on it: it decides the row by id.
    await session.commit()
    await _tell_onboarding(
        client,
        settings,
        account,
        "objective_added",
        ObjectiveAdded(
            objective_id=objective.id,
            name=objective.name,
            metric=objective.metric,
            target=objective.target,
            direction=body.direction,
            due_on=objective.due_on,
        ),
    )
    return objective


@router.get(
    "/accounts/{account_id}/objectives",
    response_model=list[ObjectiveOut],
    responses=responses(403, 404),
)
async def list_objectives(
    account_id: int, session: Session, principal: StaffOrCustomer
) -> list[Objective]:
    """The account's objectives, soonest due first, with how each went."""
    await load_account(session, account_id, principal)
    return list(
        await session.scalars(
            select(Objective)
            .where(Objective.account_id == account_id)
            .order_by(Objective.due_on, Objective.id)
        )
    )


@router.post(
    "/accounts/{account_id}/metrics",
    response_model=MeasurementOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 503),
)
async def record_measurement(
    account_id: int,
    body: MeasurementCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: SuccessManager,
) -> Measurement:
    """Record a reading of one of the account's metrics; an open objective on it whose
    target the reading reaches is achieved there and then."""
    account = await load_account(session, account_id, principal)
    now = datetime.now(UTC)
    if body.at is not None and body.at > now + CLOCK_SKEW:
        raise InvalidInput.for_field("body.at", f"{body.at.isoformat()} is in the future")
    measurement = Measurement(
        account_id=account.id,
        name=body.name,
        value=body.value,
        at=min(body.at, now) if body.at else now,
        recorded_by=principal.name,
    )
    session.add(measurement)
    await session.flush()
    await session.commit()
    open_objectives = await session.scalar(
        select(Objective.id).where(
            Objective.account_id == account.id,
            Objective.metric == body.name,
            Objective.status == "open",
        )
    )
    if open_objectives is not None:
        await signal_if_running(
            client,
            workflow_id(account.id),
            OnboardingWorkflow.measured,
            Measured(name=measurement.name, value=measurement.value, at=measurement.at),
        )
    return measurement


@router.get(
    "/accounts/{account_id}/metrics",
    response_model=list[MeasurementOut],
    responses=responses(403, 404),
)
async def list_measurements(
    account_id: int,
    session: Session,
    principal: StaffOrCustomer,
    name: Annotated[str | None, Query(max_length=100)] = None,
) -> list[Measurement]:
    """The account's readings, oldest first; of one metric when named."""
    await load_account(session, account_id, principal)
    query = select(Measurement).where(Measurement.account_id == account_id)
    if name is not None:
        query = query.where(Measurement.name == name)
    return list(await session.scalars(query.order_by(Measurement.at, Measurement.id)))


@router.get("/accounts/{account_id}/plan", response_model=PlanOut, responses=responses(403, 404))
async def account_plan(
    account_id: int, session: Session, principal: StaffOrCustomer
) -> AccountPlan:
    """The account management plan the latest onboarding ended with."""
    await load_account(session, account_id, principal)
    plan = await session.scalar(
        select(AccountPlan)
        .where(AccountPlan.account_id == account_id)
        .order_by(AccountPlan.created_at.desc(), AccountPlan.id.desc())
    )
    if plan is None:
        raise NotFound(f"Account {account_id} has no plan yet: it comes when onboarding ends")
    return plan
