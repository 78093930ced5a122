"""Onboarding objectives, the measurements that decide them, and the plan they become.

services/objectives.py asks the account's onboarding workflow to write them and reads back
what it wrote; these routes are its HTTP face.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from api.auth import StaffOrCustomer, SuccessManager
from api.deps import AppSettings, Session, Temporal
from api.errors import responses
from api.schemas import (
    MeasurementCreate,
    MeasurementOut,
    ObjectiveCreate,
    ObjectiveOut,
    PlanOut,
)
from db.models import AccountPlan, Measurement, Objective
from services import objectives

router = APIRouter(tags=["objectives"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retrying with the same key answers with what the first request made",
    ),
]


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
    idempotency_key: IdempotencyKey = None,
) -> Objective:
    """Set a measurable objective with the customer; onboarding keeps it to its date."""
    return await objectives.add_objective(
        session, client, settings, principal, account_id, body, idempotency_key
    )


@router.get(
    "/accounts/{account_id}/objectives",
    response_model=list[ObjectiveOut],
    responses=responses(403, 404),
)
async def list_objectives(
    account_id: int, session: Session, principal: StaffOrCustomer
) -> list[Objective]:
    """The account's objectives, soonest due first, with how each went."""
    return await objectives.list_objectives(session, principal, account_id)


@router.post(
    "/accounts/{account_id}/metrics",
    response_model=MeasurementOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409, 503),
)
async def record_measurement(
    account_id: int,
    body: MeasurementCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: SuccessManager,
    idempotency_key: IdempotencyKey = None,
) -> Measurement:
    """Record a reading of one of the account's metrics; an open objective on it whose
    target the reading reaches is achieved there and then."""
    return await objectives.record_measurement(
        session, client, settings, principal, account_id, body, idempotency_key
    )


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
    return await objectives.list_measurements(session, principal, account_id, name)


@router.get("/accounts/{account_id}/plan", response_model=PlanOut, responses=responses(403, 404))
async def account_plan(
    account_id: int, session: Session, principal: StaffOrCustomer
) -> AccountPlan:
    """The account management plan the latest onboarding ended with."""
    return await objectives.account_plan(session, principal, account_id)
