"""The accounts pages of the console: the list, an account's page, and the form to add one.

Staff only (agents, success managers, admins). Every form posts to a route here that calls the
same service as the JSON API (services/accounts.py, reports.py, reviews.py, objectives.py):
on success it redirects back (303) to the account's page with a word of what was done; refused,
it shows the page again with the API's reason beside the field, what was typed kept, and the
API's status (409, 422). Files (a report's PDF, a review's invitation and pack) are served here
too, for a browser signed in without a bearer key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

import sla
from api.auth import Principal
from api.deps import AppSettings, Session, Temporal
from api.downloads import content_disposition
from api.errors import InvalidInput, NotFound, PledgeError
from api.routes.accounts import Resolver
from api.schemas import (
    AccountCreate,
    AccountUpdate,
    ContactCreate,
    ContactUpdate,
    MeasurementCreate,
    ObjectiveCreate,
    OutcomeIn,
    RecommendationsIn,
    ReportCreate,
    RescheduleRequest,
    ReviewCreate,
)
from db.models import Account, Contact, Role
from services import accounts, objectives, reports, reviews, user_mail
from services.raising import may_raise
from sla import get_policy
from sla import stored as sla_stored
from web.console.account_forms import (
    FormState,
    Times,
    blank_to_none,
    build,
    checked,
    given,
    local_instant,
    posted,
    refused,
    svg,
    viewer_zone,
)
from web.console.account_words import DONE, month_words, services_in_words, status_words
from web.pages import page
from web.viewer import staff_page

log = logging.getLogger("pledge.web")

router = APIRouter(include_in_schema=False)

StaffViewer = Annotated[Principal, staff_page(Role.AGENT, Role.SUCCESS_MANAGER)]
# Adding an account is a success manager's (as POST /accounts is).
ManagerViewer = Annotated[Principal, staff_page(Role.SUCCESS_MANAGER)]
# Blank rows offered for an outcome's actions: the form works without JavaScript.
ACTION_ROWS = 3
# Refusals shown on the page; anything else (403, 404, 503 …) answers as the API does.
SHOWN_ON_PAGE = (409, 422)


def _times(request: Request) -> Times:
    return Times(viewer_zone(request))


# -- the list ----------------------------------------------------------------------------------


@router.get("/console/accounts", response_class=HTMLResponse)
async def account_list(
    request: Request, session: Session, viewer: StaffViewer, q: str = ""
) -> HTMLResponse:
    rows = await accounts.account_rows(session, viewer, q[:200])
    return page(
        "console/accounts/list.html",
        rows=rows,
        q=q[:200],
        can_create=viewer.has_role(Role.SUCCESS_MANAGER),
        viewer=viewer,
        times=_times(request),
    )


# -- a new account -----------------------------------------------------------------------------


def _policies() -> list[sla.Policy]:
    return [sla.get_policy(key) for key in sla.policy_keys()]


def _kept_calendars() -> list[Any]:
    """Calendars kept on their own (/calendars), which an account may count in instead."""
    return sla_stored.models("calendar")


def _new_page(viewer: Principal, form: FormState, status_code: int = 200) -> HTMLResponse:
    return page(
        "console/accounts/new.html",
        status_code=status_code,
        form=form,
        policies=_policies(),
        kept_calendars=_kept_calendars(),
        viewer=viewer,
    )


@router.get("/console/accounts/new", response_class=HTMLResponse)
async def new_account(viewer: ManagerViewer) -> HTMLResponse:
    return _new_page(viewer, FormState())


@router.post("/console/accounts", response_class=HTMLResponse)
async def create_account(
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    resolver: Resolver,
    viewer: ManagerViewer,
) -> Response:
    form = await posted(request)
    try:
        body = build(
            AccountCreate,
            {
                "name": form.get("name", "").strip(),
                "policy": form.get("policy", ""),
                "edition": form.get("edition") or "standard",
                "calendar": blank_to_none(form.get("calendar")),
                **{
                    name: blank_to_none(form.get(name))
                    for name in (
                        "account_manager_name",
                        "account_manager_email",
                        "success_manager_name",
                        "success_manager_email",
                        "escalation_name",
                        "escalation_email",
                    )
                },
            },
        )
        created = await accounts.create_account(session, client, settings, resolver, viewer, body)
    except PledgeError as exc:
        if exc.status_code not in SHOWN_ON_PAGE:
            raise
        await session.rollback()
        return _new_page(viewer, refused(form, exc), exc.status_code)
    return _back(created.id, "account_created")


# -- an account's page -------------------------------------------------------------------------


async def _account_page(
    request: Request,
    session: Session,
    viewer: Principal,
    account_id: int,
    forms: dict[str, FormState] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    detail = await accounts.account_detail(session, viewer, account_id)
    policy = sla.get_policy(detail.policy)
    calendar = policy.calendar(detail.calendar)
    month = await accounts.attainment_this_month(session, viewer, account_id)
    forms = forms or {}
    done = request.query_params.get("done", "")
    return page(
        "console/accounts/page.html",
        status_code=status_code,
        account=detail,
        policy=policy,
        calendar_name=detail.calendar or policy.default_calendar,
        account_zone=calendar.timezone,
        entitled=policy.entitlements(detail.edition.value),
        services=services_in_words(policy, detail.edition.value),
        contacts=detail.contacts,
        # The stored rows: their unset choices ("as a representative") and portal invitations.
        contact_rows={c.id: c for c in await accounts.list_contacts(session, viewer, account_id)},
        tickets=await accounts.open_tickets(session, viewer, account_id),
        month=month,
        chart=svg(month.chart_svg),
        reports=await reports.list_reports(session, viewer, account_id),
        reviews=await reviews.list_reviews(session, viewer, account_id),
        actions=await reviews.account_actions(session, viewer, account_id),
        objectives=await objectives.list_objectives(session, viewer, account_id),
        measurements=await objectives.list_measurements(session, viewer, account_id),
        plan=await objectives.latest_plan(session, viewer, account_id),
        form_for=lambda name: forms.get(name) or FormState(),
        refused_any=bool(forms),
        refusal_message=next((state.message for state in forms.values() if state.message), ""),
        refused_form=next(iter(forms), ""),
        done=DONE.get(done, "") if not forms else "",
        can_manage=viewer.has_role(Role.SUCCESS_MANAGER),
        policies=_policies(),
        kept_calendars=_kept_calendars(),
        viewer=viewer,
        action_rows=range(ACTION_ROWS),
        status_words=status_words,
        priority_name=lambda key: policy.priorities[key].name if key in policy.priorities else key,
        times=_times(request),
        this_month=month.period,
        month_words=month_words(month.period),
    )


@router.get("/console/accounts/{account_id}", response_class=HTMLResponse)
async def account_page(
    account_id: int, request: Request, session: Session, viewer: StaffViewer
) -> HTMLResponse:
    return await _account_page(request, session, viewer, account_id)


def _back(account_id: int, done: str) -> RedirectResponse:
    anchor = DONE_ANCHORS.get(done, "")
    return RedirectResponse(
        f"/console/accounts/{account_id}?done={done}" + (f"#{anchor}" if anchor else ""),
        status_code=303,
    )


DONE_ANCHORS = {
    "account_created": "",
    "account_saved": "overview",
    "contact_added": "contacts",
    "contact_saved": "contacts",
    "contact_removed": "contacts",
    "portal_invited": "contacts",
    "portal_unsent": "contacts",
    "portal_withdrawn": "contacts",
    "report_made": "reports",
    "review_proposed": "reviews",
    "review_moved": "reviews",
    "review_cancelled": "reviews",
    "recommendations_saved": "reviews",
    "outcome_recorded": "reviews",
    "action_done": "reviews",
    "objective_added": "objectives",
    "measurement_recorded": "objectives",
}


async def _act(
    request: Request,
    session: Session,
    viewer: Principal,
    account_id: int,
    form_name: str,
    done: str,
    action: Callable[[dict[str, str]], Awaitable[Any]],
) -> Response:
    """Do what a form asks; back to the page on success, the page with the refusal if not."""
    form = await posted(request)
    try:
        await action(form)
    except PledgeError as exc:
        if exc.status_code not in SHOWN_ON_PAGE:
            raise
        # Nothing of a refused request is kept; the page is read afresh.
        await session.rollback()
        return await _account_page(
            request, session, viewer, account_id, {form_name: refused(form, exc)}, exc.status_code
        )
    return _back(account_id, done)


def _account_update(form: dict[str, str]) -> AccountUpdate:
    fields: dict[str, Any] = {"edition": form.get("edition") or None}
    if "policy" in form:
        fields["policy"] = form["policy"] or None
        fields["calendar"] = blank_to_none(form.get("calendar"))
    for name in (
        "success_manager_name",
        "success_manager_email",
        "account_manager_name",
        "account_manager_email",
        "escalation_name",
        "escalation_email",
    ):
        if name in form:  # a policy without account managers shows no such field
            fields[name] = blank_to_none(form[name])
    return build(AccountUpdate, fields)


@router.post("/console/accounts/{account_id}/settings", response_class=HTMLResponse)
async def save_account(
    account_id: int,
    request: Request,
    session: Session,
    settings: AppSettings,
    resolver: Resolver,
    viewer: StaffViewer,
) -> Response:
    async def action(form: dict[str, str]) -> None:
        await accounts.update_account(
            session, settings, resolver, viewer, account_id, _account_update(form)
        )

    return await _act(request, session, viewer, account_id, "account", "account_saved", action)


# -- contacts ----------------------------------------------------------------------------------


def _contact_fields(form: dict[str, str]) -> dict[str, Any]:
    reports_choice = form.get("receives_reports", "")
    return {
        "name": form.get("name", "").strip(),
        "email": form.get("email", "").strip(),
        "phone": blank_to_none(form.get("phone")),
        "login": blank_to_none(form.get("login")),
        "is_representative": checked(form, "is_representative"),
        "administrator": checked(form, "administrator"),
        # "follow": as is_representative says (the API's null).
        "receives_reports": {"yes": True, "no": False}.get(reports_choice),
    }


@router.post("/console/accounts/{account_id}/contacts", response_class=HTMLResponse)
async def add_contact(
    account_id: int, request: Request, session: Session, viewer: StaffViewer
) -> Response:
    async def action(form: dict[str, str]) -> None:
        body = build(ContactCreate, _contact_fields(form))
        await accounts.add_contact(session, viewer, account_id, body)

    return await _act(request, session, viewer, account_id, "contact-new", "contact_added", action)


@router.post("/console/accounts/{account_id}/contacts/{contact_id}", response_class=HTMLResponse)
async def edit_contact(
    account_id: int, contact_id: int, request: Request, session: Session, viewer: StaffViewer
) -> Response:
    async def action(form: dict[str, str]) -> None:
        body = build(ContactUpdate, _contact_fields(form))
        await accounts.update_contact(session, viewer, account_id, contact_id, body)

    return await _act(
        request, session, viewer, account_id, f"contact-{contact_id}", "contact_saved", action
    )


@router.post(
    "/console/accounts/{account_id}/contacts/{contact_id}/remove", response_class=HTMLResponse
)
async def remove_contact(
    account_id: int, contact_id: int, request: Request, session: Session, viewer: StaffViewer
) -> Response:
    async def action(_: dict[str, str]) -> None:
        await accounts.remove_contact(session, viewer, account_id, contact_id)

    return await _act(
        request, session, viewer, account_id, f"contact-{contact_id}", "contact_removed", action
    )


@router.post(
    "/console/accounts/{account_id}/contacts/{contact_id}/portal-invitation",
    response_class=HTMLResponse,
)
async def invite_to_portal(
    account_id: int,
    contact_id: int,
    request: Request,
    session: Session,
    settings: AppSettings,
    viewer: StaffViewer,
) -> Response:
    invited: list[tuple[Contact, Account]] = []

    async def action(_: dict[str, str]) -> None:
        invited.append(await accounts.invite_to_portal(session, viewer, account_id, contact_id))

    answer = await _act(
        request, session, viewer, account_id, f"contact-{contact_id}", "portal_invited", action
    )
    if invited:
        await session.commit()
        contact, account = invited[0]
        subject, body = user_mail.portal_invitation(
            settings,
            contact,
            account,
            viewer.full_name,
            may_raise(get_policy(account.policy), contact),
        )
        try:
            await user_mail.send_mail(settings, contact.email, contact.name, subject, body)
        except Exception:  # noqa: BLE001 - access stands; the page says the mail did not go
            log.exception("the portal invitation to contact %s could not be sent", contact.id)
            return _back(account_id, "portal_unsent")
    return answer


@router.post(
    "/console/accounts/{account_id}/contacts/{contact_id}/portal-withdraw",
    response_class=HTMLResponse,
)
async def withdraw_portal(
    account_id: int, contact_id: int, request: Request, session: Session, viewer: StaffViewer
) -> Response:
    async def action(_: dict[str, str]) -> None:
        body = ContactUpdate(portal_access=False)
        await accounts.update_contact(session, viewer, account_id, contact_id, body)

    return await _act(
        request, session, viewer, account_id, f"contact-{contact_id}", "portal_withdrawn", action
    )


# -- reports -----------------------------------------------------------------------------------


@router.post("/console/accounts/{account_id}/reports", response_class=HTMLResponse)
async def make_report(
    account_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: StaffViewer,
) -> Response:
    async def action(form: dict[str, str]) -> None:
        body = build(
            ReportCreate,
            {"period": form.get("period", "").strip(), "send": checked(form, "send")},
        )
        await reports.make_report(session, client, settings, viewer, account_id, body)

    return await _act(request, session, viewer, account_id, "report", "report_made", action)


@router.get("/console/accounts/{account_id}/reports/{report_id}/pdf")
async def download_report(
    account_id: int, report_id: int, session: Session, viewer: StaffViewer
) -> Response:
    report = await reports.report_pdf(session, viewer, report_id)
    if report.account_id != account_id:
        raise NotFound(f"No report with id {report_id} at account {account_id}")
    return Response(
        report.content, media_type="application/pdf", headers=content_disposition(report.filename)
    )


# -- reviews -----------------------------------------------------------------------------------


async def _review_of(session: Session, viewer: Principal, account_id: int, review_id: int) -> Any:
    """The review, if it is this account's (a page's links never cross accounts)."""
    review, account = await reviews.load_review(session, review_id, viewer)
    if review.account_id != account_id:
        raise NotFound(f"No review with id {review_id} at account {account_id}")
    return review, account


def _zone_of(account: Any) -> str:
    return sla.get_policy(account.policy).calendar(account.calendar).timezone


@router.post("/console/accounts/{account_id}/reviews", response_class=HTMLResponse)
async def propose_review(
    account_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: StaffViewer,
) -> Response:
    async def action(form: dict[str, str]) -> None:
        account = await accounts.load_account(session, account_id, viewer)
        starts_at = local_instant(form.get("starts_at"), _zone_of(account), "starts_at")
        body = build(
            ReviewCreate,
            given(
                {
                    "starts_at": starts_at,
                    "duration_minutes": blank_to_none(form.get("duration_minutes")),
                }
            ),
        )
        await reviews.propose_review(session, client, settings, viewer, account_id, body)

    return await _act(request, session, viewer, account_id, "review-new", "review_proposed", action)


@router.post(
    "/console/accounts/{account_id}/reviews/{review_id}/reschedule", response_class=HTMLResponse
)
async def reschedule_review(
    account_id: int,
    review_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    viewer: StaffViewer,
) -> Response:
    async def action(form: dict[str, str]) -> None:
        _, account = await _review_of(session, viewer, account_id, review_id)
        starts_at = local_instant(form.get("starts_at"), _zone_of(account), "starts_at")
        body = build(RescheduleRequest, given({"starts_at": starts_at}))
        await reviews.reschedule_review(session, client, viewer, review_id, body)

    return await _act(
        request, session, viewer, account_id, f"review-{review_id}-move", "review_moved", action
    )


@router.post(
    "/console/accounts/{account_id}/reviews/{review_id}/cancel", response_class=HTMLResponse
)
async def cancel_review(
    account_id: int,
    review_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    viewer: StaffViewer,
) -> Response:
    async def action(_: dict[str, str]) -> None:
        await _review_of(session, viewer, account_id, review_id)
        await reviews.cancel_review(session, client, viewer, review_id)

    return await _act(
        request,
        session,
        viewer,
        account_id,
        f"review-{review_id}-cancel",
        "review_cancelled",
        action,
    )


@router.post(
    "/console/accounts/{account_id}/reviews/{review_id}/recommendations",
    response_class=HTMLResponse,
)
async def save_recommendations(
    account_id: int,
    review_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    viewer: StaffViewer,
) -> Response:
    async def action(form: dict[str, str]) -> None:
        await _review_of(session, viewer, account_id, review_id)
        body = build(RecommendationsIn, {"text": form.get("text", "")})
        await reviews.set_recommendations(session, client, viewer, review_id, body)

    return await _act(
        request,
        session,
        viewer,
        account_id,
        f"review-{review_id}-recs",
        "recommendations_saved",
        action,
    )


def _outcome(form: dict[str, str]) -> OutcomeIn:
    actions, rows = [], []
    for row in range(ACTION_ROWS):
        fields = {
            name: form.get(f"actions.{row}.{name}", "").strip()
            for name in ("description", "owner.name", "owner.email", "due_on")
        }
        if not any(fields.values()):
            continue  # a row left blank
        rows.append(row)
        actions.append(
            given(
                {
                    "description": fields["description"],
                    "owner": given(
                        {"name": fields["owner.name"], "email": fields["owner.email"] or None}
                    ),
                    "due_on": fields["due_on"] or None,
                }
            )
        )
    try:
        return build(OutcomeIn, {"outcome": form.get("outcome", "").strip(), "actions": actions})
    except InvalidInput as exc:
        # The API counts the actions given; the page its rows, blank ones too.
        for problem in exc.errors or []:
            parts = problem.field.split(".")
            if parts[1:2] == ["actions"] and len(parts) > 2 and parts[2].isdigit():
                parts[2] = str(rows[int(parts[2])])
                problem.field = ".".join(parts)
        raise


@router.post(
    "/console/accounts/{account_id}/reviews/{review_id}/outcome", response_class=HTMLResponse
)
async def record_outcome(
    account_id: int,
    review_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: StaffViewer,
) -> Response:
    async def action(form: dict[str, str]) -> None:
        await _review_of(session, viewer, account_id, review_id)
        await reviews.record_outcome(session, client, settings, viewer, review_id, _outcome(form))

    return await _act(
        request,
        session,
        viewer,
        account_id,
        f"review-{review_id}-outcome",
        "outcome_recorded",
        action,
    )


@router.post("/console/accounts/{account_id}/actions/{action_id}/done", response_class=HTMLResponse)
async def action_done(
    account_id: int,
    action_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    viewer: StaffViewer,
) -> Response:
    async def action(_: dict[str, str]) -> None:
        mine = {a.id for a in await reviews.account_actions(session, viewer, account_id)}
        if action_id not in mine:
            raise NotFound(f"No review action with id {action_id} at account {account_id}")
        await reviews.mark_action_done(session, client, viewer, action_id)

    return await _act(
        request, session, viewer, account_id, f"action-{action_id}", "action_done", action
    )


@router.get("/console/accounts/{account_id}/reviews/{review_id}/invite.ics")
async def review_invite(
    account_id: int,
    review_id: int,
    session: Session,
    settings: AppSettings,
    viewer: StaffViewer,
) -> Response:
    await _review_of(session, viewer, account_id, review_id)
    ics, method = await reviews.review_invite(session, settings, viewer, review_id)
    return Response(
        ics,
        media_type=f"text/calendar; charset=utf-8; method={method}",
        headers=content_disposition(f"review-{review_id}.ics"),
    )


@router.get("/console/accounts/{account_id}/reviews/{review_id}/pack")
async def review_pack(
    account_id: int, review_id: int, session: Session, viewer: StaffViewer
) -> Response:
    await _review_of(session, viewer, account_id, review_id)
    report = await reviews.review_pack(session, viewer, review_id)
    return Response(
        report.content, media_type="application/pdf", headers=content_disposition(report.filename)
    )


# -- objectives and measurements ---------------------------------------------------------------


@router.post("/console/accounts/{account_id}/objectives", response_class=HTMLResponse)
async def add_objective(
    account_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: StaffViewer,
) -> Response:
    async def action(form: dict[str, str]) -> None:
        body = build(
            ObjectiveCreate,
            given(
                {
                    "name": form.get("name", "").strip(),
                    "metric": form.get("metric", "").strip(),
                    "target": blank_to_none(form.get("target")),
                    "direction": form.get("direction") or "at_least",
                    "due_on": blank_to_none(form.get("due_on")),
                    "owner": given(
                        {
                            "name": form.get("owner.name", "").strip(),
                            "email": blank_to_none(form.get("owner.email")),
                        }
                    ),
                }
            ),
        )
        await objectives.add_objective(session, client, settings, viewer, account_id, body)

    return await _act(request, session, viewer, account_id, "objective", "objective_added", action)


@router.post("/console/accounts/{account_id}/measurements", response_class=HTMLResponse)
async def record_measurement(
    account_id: int,
    request: Request,
    session: Session,
    client: Temporal,
    settings: AppSettings,
    viewer: StaffViewer,
) -> Response:
    async def action(form: dict[str, str]) -> None:
        account = await accounts.load_account(session, account_id, viewer)
        body = build(
            MeasurementCreate,
            given(
                {
                    "name": form.get("name", "").strip(),
                    "value": blank_to_none(form.get("value")),
                    "at": local_instant(form.get("at"), _zone_of(account), "at"),
                }
            ),
        )
        await objectives.record_measurement(session, client, settings, viewer, account_id, body)

    return await _act(
        request, session, viewer, account_id, "measurement", "measurement_recorded", action
    )
