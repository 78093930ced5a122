"""Quarterly business reviews: proposed, moved, cancelled, their invitations and packs.

services/reviews.py asks the reviews' workflows and reads back what they wrote; these routes
are its HTTP face. Temporal unreachable is a 503 with nothing stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from api.auth import StaffOrCustomer, SuccessManager
from api.deps import AppSettings, Session, Temporal
from api.downloads import content_disposition
from api.errors import responses
from api.schemas import (
    OutcomeIn,
    RecommendationsIn,
    RescheduleRequest,
    ReviewActionOut,
    ReviewCreate,
    ReviewOut,
)
from db.models import Review, ReviewAction
from services import reviews

router = APIRouter(tags=["reviews"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retrying with the same key answers with what the first request made",
    ),
]


@router.post(
    "/accounts/{account_id}/reviews",
    response_model=ReviewOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409, 503),
)
async def propose_review(
    account_id: int,
    body: ReviewCreate,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: SuccessManager,
    idempotency_key: IdempotencyKey = None,
) -> Review:
    """Propose a review of the quarter before the meeting, inside the account's working hours
    (422 otherwise); the invitation goes out at once."""
    return await reviews.propose_review(
        session, client, settings, principal, account_id, body, idempotency_key
    )


@router.get(
    "/accounts/{account_id}/reviews", response_model=list[ReviewOut], responses=responses(403, 404)
)
async def list_reviews(
    account_id: int, session: Session, principal: StaffOrCustomer
) -> list[Review]:
    """The account's reviews, soonest first."""
    return await reviews.list_reviews(session, principal, account_id)


@router.post(
    "/reviews/{review_id}/reschedule",
    response_model=ReviewOut,
    responses=responses(403, 404, 409, 503),
)
async def reschedule_review(
    review_id: int,
    body: RescheduleRequest,
    session: Session,
    client: Temporal,
    principal: SuccessManager,
) -> Review:
    """Move the meeting, inside the account's working hours (422 otherwise): the invitation
    goes again with its SEQUENCE raised."""
    return await reviews.reschedule_review(session, client, principal, review_id, body)


@router.post(
    "/reviews/{review_id}/cancel", response_model=ReviewOut, responses=responses(403, 404, 409, 503)
)
async def cancel_review(
    review_id: int, session: Session, client: Temporal, principal: SuccessManager
) -> Review:
    """Cancel the meeting: every attendee gets the iCalendar CANCEL."""
    return await reviews.cancel_review(session, client, principal, review_id)


@router.put(
    "/reviews/{review_id}/recommendations",
    response_model=ReviewOut,
    responses=responses(403, 404, 409, 503),
)
async def set_recommendations(
    review_id: int,
    body: RecommendationsIn,
    session: Session,
    client: Temporal,
    principal: SuccessManager,
) -> Review:
    """The success manager's recommendations, for the pack (made a few working days before)."""
    return await reviews.set_recommendations(session, client, principal, review_id, body)


@router.get(
    "/reviews/{review_id}/invite.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}, **responses(403, 404)},
)
async def review_invite(
    review_id: int, session: Session, settings: AppSettings, principal: StaffOrCustomer
) -> Response:
    """The invitation as it stands (REQUEST, or CANCEL once cancelled)."""
    ics, method = await reviews.review_invite(session, settings, principal, review_id)
    return Response(
        ics,
        media_type=f"text/calendar; charset=utf-8; method={method}",
        headers=content_disposition(f"review-{review_id}.ics"),
    )


@router.get(
    "/reviews/{review_id}/pack",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **responses(403, 404)},
)
async def review_pack(review_id: int, session: Session, principal: StaffOrCustomer) -> Response:
    """The review pack (PDF), once made: a few working days before the meeting."""
    report = await reviews.review_pack(session, principal, review_id)
    return Response(
        report.content,
        media_type="application/pdf",
        headers=content_disposition(report.filename),
    )


@router.post(
    "/reviews/{review_id}/outcome",
    response_model=list[ReviewActionOut],
    status_code=status.HTTP_201_CREATED,
    responses=responses(403, 404, 409, 503),
)
async def record_outcome(
    review_id: int,
    body: OutcomeIn,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    principal: SuccessManager,
    idempotency_key: IdempotencyKey = None,
) -> list[ReviewAction]:
    """After the meeting: what was agreed, and the actions, each tracked to done."""
    return await reviews.record_outcome(
        session, client, settings, principal, review_id, body, idempotency_key
    )


@router.get(
    "/reviews/{review_id}/actions",
    response_model=list[ReviewActionOut],
    responses=responses(403, 404),
)
async def list_actions(
    review_id: int, session: Session, principal: StaffOrCustomer
) -> list[ReviewAction]:
    """The actions agreed at the review, soonest due first."""
    return await reviews.list_actions(session, principal, review_id)


@router.post(
    "/review-actions/{action_id}/done",
    response_model=ReviewActionOut,
    responses=responses(403, 404, 409, 503),
)
async def action_done(
    action_id: int, session: Session, client: Temporal, principal: SuccessManager
) -> ReviewAction:
    """Mark an agreed action done; the review's tracking ends when all are."""
    return await reviews.mark_action_done(session, client, principal, action_id)
