"""What the API, the onboarding workflow and its activities say to each other."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from sla.objectives import Direction
from sla.snapshot import PolicySnapshot

# The shape of OnboardingCarry this code writes; a run reads every older one it knows.
CARRY_VERSION = 1


class ObjectiveAdded(BaseModel):
    objective_id: int
    name: str
    metric: str
    target: float
    direction: Direction
    due_on: date


class Measured(BaseModel):
    name: str
    value: float
    at: datetime


class ObjectiveRequest(BaseModel):
    """POST /accounts/{id}/objectives, for the onboarding workflow to record and track."""

    account_id: int
    key: str  # the request's: its Idempotency-Key made unique, or random
    fingerprint: str
    name: str
    metric: str
    target: float
    direction: Direction
    due_on: date
    owner_name: str
    owner_email: str | None
    created_by: str


class ObjectiveRecorded(BaseModel):
    spec: ObjectiveAdded
    status: Literal["open", "achieved", "missed"]


class MeasurementRequest(BaseModel):
    """POST /accounts/{id}/metrics, for the onboarding workflow to record and apply."""

    account_id: int
    key: str
    fingerprint: str
    name: str
    value: float
    at: datetime
    recorded_by: str


class MeasurementRecorded(BaseModel):
    measurement_id: int
    reading: Measured


class CarriedObjective(BaseModel):
    """One objective as a run hands it on: plain fields, not the messages it came in."""

    objective_id: int
    name: str
    metric: str
    target: float
    direction: Direction
    due_on: date
    reminded: bool
    status: Literal["open", "achieved", "missed"]


class CarriedReading(BaseModel):
    name: str
    value: float
    at: datetime


class OnboardingCarry(BaseModel):
    """Everything a run hands to the next at continue-as-new: its objectives and the
    readings it had taken in but not yet applied. Versioned: a new field gets a default, a
    change of meaning a new version that the reading run converts."""

    version: int = CARRY_VERSION
    objectives: list[CarriedObjective] = []
    readings: list[CarriedReading] = []


class OnboardingStart(BaseModel):
    account_id: int
    policy: str
    calendar: str | None
    # From a run before OnboardingCarry existed; read, never written.
    carry: list[TrackedObjective] = []
    state: OnboardingCarry | None = None  # from the previous run, after continue-as-new
    # The policy it counts under (workflows/terms.py); None in runs started before.
    terms: PolicySnapshot | None = None


class TrackedObjective(BaseModel):
    spec: ObjectiveAdded
    reminded: bool = False
    status: Literal["open", "achieved", "missed"] = "open"


class Decision(BaseModel):
    objective_id: int
    status: Literal["achieved", "missed"]
    at: datetime
    value: float | None = None


class PlanRequest(BaseModel):
    account_id: int
    key: str
    # The objectives this run decided; None (runs recorded before): every unplanned one.
    objective_ids: list[int] | None = None


OnboardingStart.model_rebuild()
