"""What the API, the review workflows and their activities say to each other, beyond the
start inputs in report_messages: proposals, outcomes, actions done, and the versioned state
the actions workflow carries across continue-as-new."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

# The shape of ActionsCarry this code writes; a run reads every older one it knows.
ACTIONS_CARRY_VERSION = 1


class ReviewProposal(BaseModel):
    """A review not yet recorded: the workflow writes its row (key: the workflow id)."""

    quarter: str
    created_by: str
    fingerprint: str | None = None  # the request's, to tell a retry from a reused key


class NewReview(BaseModel):
    key: str
    account_id: int
    quarter: str
    starts_at: datetime
    duration_minutes: int
    created_by: str


class Proposed(BaseModel):
    """The answer to POST /accounts/{id}/reviews (and to its retries)."""

    fingerprint: str | None = None


class Recommendations(BaseModel):
    actor: str
    text: str


class AgreedAction(BaseModel):
    description: str
    owner_name: str
    owner_email: str | None
    due_on: date


class Outcome(BaseModel):
    """What was agreed at a held review, for the actions workflow to record and track."""

    outcome: str
    actions: list[AgreedAction]
    recorded_by: str
    fingerprint: str


class RecordOutcome(BaseModel):
    review_id: int
    outcome: Outcome


class OutcomeAsked(BaseModel):
    fingerprint: str


class OutcomeRecorded(BaseModel):
    action_ids: list[int]


class ActionDone(BaseModel):
    action_id: int
    actor: str


class CarriedAction(BaseModel):
    action_id: int
    due_on: date
    reminded: bool
    overdue: bool
    done: bool


class ActionsCarry(BaseModel):
    """Everything a review-actions run hands to the next at continue-as-new."""

    version: int = ACTIONS_CARRY_VERSION
    actions: list[CarriedAction]
    fingerprint: str | None = None  # the outcome request's, so its retries still answer
