"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from db.models import Role


class Strict(BaseModel):
    """Request bodies refuse fields they do not know, so a typo is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid")


class ComponentHealth(BaseModel):
    status: Literal["up", "down"]
    detail: str


class Health(BaseModel):
    status: Literal["ok", "degraded", "down"]
    database: ComponentHealth
    temporal: ComponentHealth
    worker: ComponentHealth


class Me(BaseModel):
    key_id: int
    name: str
    role: Role
    account_id: int | None


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    account_id: int | None
    prefix: str = Field(description="The start of the secret, to recognise a key in a list")
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    role: Role
    account_id: int | None = Field(None, description="Required for, and only for, customer keys")


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The key itself. It is shown this once and never again.")


class SystemCheckOut(BaseModel):
    check_id: str
    worker_identity: str
    requested_at: datetime
    recorded_at: datetime
    round_trip_ms: float
