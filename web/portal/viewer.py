"""Who is looking at a portal page: a customer signed in by an e-mailed link, or nobody.

`PortalViewer` is the one dependency every portal page takes. It answers with the customer
`Principal` (role customer, their account_id and contact_id) that every service already
scopes by: a portal page reads and changes only the session's account, and there is no
portal route that takes an account id from the browser. Without a session the page
redirects to /portal/login and comes back afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.deps import Session
from db.models import Account, Contact
from services import portal_access
from services.raising import may_raise
from sla import get_policy
from web import banners, sessions
from web.pages import page
from web.portal.support_words import frame_line
from web.viewer import return_path


class PortalSignInRequired(Exception):
    """Raised by portal pages when nobody has signed in; answered with a redirect."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def portal_sign_in_redirect(request: Request, exc: PortalSignInRequired) -> Response:
    target = f"/portal/login?next={quote(exc.next_path, safe='/')}"
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


async def signed_in(request: Request, session: AsyncSession) -> Principal | None:
    """The customer behind the request's portal cookie, while they may still sign in."""
    token = sessions.session_token(request, sessions.PORTAL)
    if token is None:
        return None
    row = await sessions.current(session, token, request.app.state.settings, sessions.PORTAL)
    if row is None:
        return None
    return await portal_access.contact_principal(session, row.contact_id)  # type: ignore[union-attr]


async def portal_viewer(request: Request, session: Session) -> Principal:
    principal = await signed_in(request, session)
    # As for the console: a page that changes things must not hold SQLite's write lock while
    # it waits on Temporal for a workflow whose activities need it.
    await session.commit()
    if principal is None:
        raise PortalSignInRequired(return_path(request, "/portal"))
    return principal


PortalViewer = Annotated[Principal, Depends(portal_viewer)]


async def portal_page(
    request: Request,
    session: AsyncSession,
    viewer: Principal,
    template: str,
    *,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    """A portal page in its frame: the organisation, the viewer's name and account, whether
    support is open now for them, and the portal's sections (templates extend portal/base.html
    and name theirs in `section`)."""
    assert viewer.account_id is not None and viewer.contact_id is not None
    account = await session.get(Account, viewer.account_id)
    contact = await session.get(Contact, viewer.contact_id)
    assert account is not None
    policy = get_policy(account.policy)
    zone = policy.calendar(account.calendar).timezone
    return page(
        template,
        status_code=status_code,
        organisation=request.app.state.settings.organisation_name,
        viewer=viewer,
        account=account,
        contact=contact,
        # Pure calendar maths on a cached policy: cheap enough for every page.
        support_now=frame_line(account.policy, account.calendar, datetime.now(UTC)),
        can_raise=may_raise(policy, contact),
        portal_banners=await banners.portal_banners(session, account, zone),
        **context,
    )


async def portal_not_found(
    request: Request, session: AsyncSession, viewer: Principal
) -> HTMLResponse:
    """The one answer to a reference that is unknown or another account's: the two must not
    be told apart."""
    return await portal_page(request, session, viewer, "portal/not_found.html", status_code=404)


def public_page(
    request: Request, template: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    """A portal page seen before signing in (sign-in, its links): the frame without a person."""
    return page(
        template,
        status_code=status_code,
        organisation=request.app.state.settings.organisation_name,
        viewer=None,
        **context,
    )
