"""/console/inbox: mail read from the support mailboxes that waits for an agent. Unmatched
mail (a sender who is no account's contact) is given its account here, which opens its
ticket; mail held for review (a sender opening too many in an hour) is let through; either
may be discarded (spam). The work is services/mailboxes.py's, as for POST /inbox/{id}/assign,
/release and /discard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.auth import Principal
from api.deps import Session, Temporal
from api.errors import PledgeError
from api.schemas import MailAssignment, MailDiscard
from db.models import Role
from services import mailboxes, tickets
from web.console.desk_words import problem_errors, validation_errors, when
from web.forms import posted
from web.pages import page
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Staff = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]
FLASH = {
    "assigned": "The ticket was opened for the account you named.",
    "released": "The mail was let through and acted on as if it had just come.",
    "discarded": "The mail was discarded: nothing was opened and nobody was answered.",
}


async def _inbox_page(
    session: Session,
    viewer: Principal,
    *,
    mail_id: str = "",
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str = "",
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    waiting = await mailboxes.inbox(session, viewer, mailboxes.InboxQuery())
    names = await tickets.account_names(session)
    return page(
        "console/inbox/inbox.html",
        status_code=status_code,
        viewer=viewer,
        waiting=waiting,
        accounts=[("", "Choose an account")]
        + sorted(((str(i), n) for i, n in names.items()), key=lambda p: p[1].lower()),
        refused_id=mail_id,
        typed=typed or {},
        errors=errors or {},
        problem=problem,
        flash=FLASH.get(done, ""),
        when=when,
    )


async def _refused(
    session: Session,
    viewer: Principal,
    mail_id: str,
    typed: dict[str, str],
    exc: ValidationError | PledgeError,
    words: dict[str, str],
) -> HTMLResponse:
    """The inbox again with the refusal beside the mail's form: the form's own fields in the
    page's `words`, or the service's reason."""
    if isinstance(exc, ValidationError):
        errors = validation_errors(exc)
        errors.update({name: said for name, said in words.items() if name in errors})
        problem, status_code = "; ".join(errors.values()), 422
    else:
        errors, problem, status_code = problem_errors(exc), exc.detail, exc.status_code
    return await _inbox_page(
        session, viewer, mail_id=mail_id, typed=typed, errors=errors,
        problem=problem, status_code=status_code,
    )  # fmt: skip


@router.get("/console/inbox", response_class=HTMLResponse)
async def inbox_page(session: Session, viewer: Staff, done: str = "") -> HTMLResponse:
    return await _inbox_page(session, viewer, done=done)


@router.post("/console/inbox/{mail_id}/assign", response_model=None)
async def assign_from_form(
    mail_id: str, request: Request, session: Session, client: Temporal, viewer: Staff
) -> Response:
    typed = await posted(request)
    try:
        body = MailAssignment(
            account_id=typed.get("account_id") or None,  # type: ignore[arg-type]
            add_contact=typed.get("add_contact") == "yes",
        )
        await mailboxes.assign(session, client, viewer, mail_id, body)
    except (ValidationError, PledgeError) as exc:
        words = {"account_id": "Choose the account this mail is from."}
        return await _refused(session, viewer, mail_id, typed, exc, words)
    return RedirectResponse("/console/inbox?done=assigned", status_code=303)


@router.post("/console/inbox/{mail_id}/release", response_model=None)
async def release_from_form(
    mail_id: str, session: Session, client: Temporal, viewer: Staff
) -> Response:
    try:
        await mailboxes.release(session, client, viewer, mail_id)
    except PledgeError as exc:
        return await _inbox_page(
            session, viewer, mail_id=mail_id, problem=exc.detail, status_code=exc.status_code
        )
    return RedirectResponse("/console/inbox?done=released", status_code=303)


@router.post("/console/inbox/{mail_id}/discard", response_model=None)
async def discard_from_form(
    mail_id: str, request: Request, session: Session, client: Temporal, viewer: Staff
) -> Response:
    typed = await posted(request)
    try:
        body = MailDiscard(reason=typed.get("reason") or None)
        await mailboxes.discard(session, client, viewer, mail_id, body)
    except (ValidationError, PledgeError) as exc:
        words = {"reason": "Keep the reason to 500 characters or fewer."}
        return await _refused(session, viewer, mail_id, typed, exc, words)
    return RedirectResponse("/console/inbox?done=discarded", status_code=303)
