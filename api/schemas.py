"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

import sla
from db.models import Role


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


# Every instant the API answers with: UTC, ISO 8601 with an explicit +00:00 offset.
Instant = Annotated[AwareDatetime, PlainSerializer(_utc_iso, return_type=str, when_used="json")]


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
    created_at: Instant
    revoked_at: Instant | None


class ApiKeyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    role: Role
    account_id: int | None = Field(None, description="Required for, and only for, customer keys")


class ApiKeyCreated(ApiKeyOut):
    secret: str = Field(description="The key itself. It is shown this once and never again.")


class SystemCheckOut(BaseModel):
    check_id: str
    worker_identity: str
    requested_at: Instant
    recorded_at: Instant
    round_trip_ms: float


class PrioritySummary(BaseModel):
    key: str
    name: str


class PolicySummary(BaseModel):
    key: str
    name: str
    source: str
    default_calendar: str
    calendars: list[str]
    priorities: list[PrioritySummary]
    request_types: list[str]

    @classmethod
    def of(cls, policy: sla.Policy) -> PolicySummary:
        return cls(
            key=policy.key,
            name=policy.name,
            source=policy.source,
            default_calendar=policy.default_calendar,
            calendars=list(policy.calendars),
            priorities=[
                PrioritySummary(key=key, name=priority.name)
                for key, priority in policy.priorities.items()
            ],
            request_types=list(policy.request_types),
        )


class PreviewRequest(Strict):
    received_at: AwareDatetime = Field(
        description="When the ticket arrived, ISO 8601 with an offset",
        examples=["2026-11-19T17:00:00Z"],
    )
    priority: str | None = Field(
        None,
        description="A priority key of the policy; may be left out where the policy triages "
        "by campaign_scheduled_at (Spotler)",
        examples=["p2"],
    )
    calendar: str | None = Field(
        None, description="The account's calendar (region), e.g. `us-pst` for essensys"
    )
    request_type: str | None = Field(
        None,
        description="A request type of the policy; enhancement requests and advice carry no clock",
    )
    campaign_scheduled_at: AwareDatetime | None = Field(
        None, description="When the customer's campaign is due to go out (triage)"
    )


class DeadlineDetail(BaseModel):
    name: str
    status: Literal["clock", "release", "not_promised", "no_clock"]
    target: dict[str, Any] | None
    out_of_hours: bool
    calendar: str | None
    due: Instant | None
    warnings: list[Instant]
    attainment_goal: float | None


class DeadlinePreview(BaseModel):
    """The dues as `<target>_due` (null where the target has no clock), then the details."""

    model_config = ConfigDict(extra="allow")

    first_response_due: Instant | None
    resolution_due: Instant | None
    policy: str
    priority: str
    received_at: Instant
    calendar: str
    open_at_receipt: bool
    request_type: str | None
    deadlines: dict[str, DeadlineDetail]
