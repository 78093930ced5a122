"""What the API, the onboarding workflow and its activities say to each other."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from sla.objectives import Direction


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


class OnboardingStart(BaseModel):
    account_id: int
    policy: str
    calendar: str | None
    carry: list[TrackedObjective] = []  # from the previous run, after continue-as-new


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


OnboardingStart.model_rebuild()
