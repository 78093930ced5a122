"""Calendars and complaint regimes in the console, beside policies (web/console/policies.py).

A calendar's page says its hours, holidays, closures and the days they close; admins save a
new version from a form (or from an iCalendar file's all-day events). A regime's page says its
clocks in words; admins save a new version from its JSON. Staff read both, as in the API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.auth import Principal
from api.deps import Session
from api.errors import Conflict, InvalidInput, NotFound
from services import policies, policy_usage
from web.console.terms_pages import (
    PATHS,
    blank_form,
    done_words,
    edit_page,
    posted_form,
    read_posted,
    refuse,
    version_page,
)
from web.viewer import staff_page

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, staff_page(*policies.READERS)]
Admin = Annotated[Principal, staff_page()]
TEMPLATES = {
    "calendar": ("console/policies/calendar.html", "console/policies/calendar_edit.html"),
    "regime": ("console/policies/regime.html", "console/policies/regime_edit.html"),
}
# An exported calendar of a few years' closures is a few kilobytes.
MAX_ICS_BYTES = 1024 * 1024


@router.get("/console/calendars")
async def calendars_list(viewer: Reader) -> RedirectResponse:
    return RedirectResponse("/console/policies#calendars-heading", status_code=303)


@router.get("/console/regimes")
async def regimes_list(viewer: Reader) -> RedirectResponse:
    return RedirectResponse("/console/policies#regimes-heading", status_code=303)


async def _page(
    request: Request,
    session: Session,
    viewer: Principal,
    kind: str,
    key: str,
    version: int | None,
    **extra: object,
) -> HTMLResponse:
    usage = policy_usage.Usage()
    if kind == "regime":
        usage = (await policy_usage.regime_usage(session)).get(key) or usage
    return await version_page(
        request, session, viewer, kind, key, version,
        template=TEMPLATES[kind][0], usage=usage, **extra,
    )  # fmt: skip


def _routes(kind: str) -> None:
    """The pages of one kind: read, read a version, edit, delete a version."""
    base = PATHS[kind]

    @router.get(f"{base}/{{key}}", response_class=HTMLResponse, name=f"{kind}_page")
    async def newest(
        request: Request, key: str, session: Session, viewer: Reader, done: str = "", v: str = ""
    ) -> HTMLResponse:
        return await _page(request, session, viewer, kind, key, None, flash=done_words(done, v))

    @router.get(f"{base}/{{key}}/versions/{{version}}", response_class=HTMLResponse)
    async def one(
        request: Request, key: str, version: int, session: Session, viewer: Reader
    ) -> HTMLResponse:
        return await _page(request, session, viewer, kind, key, version)

    @router.get(f"{base}/{{key}}/edit", response_class=HTMLResponse)
    async def edit(request: Request, key: str, session: Session, viewer: Admin) -> HTMLResponse:
        found = await policies.stored(session, kind, key)
        return edit_page(
            request, viewer, blank_form(kind, found.row.body), key=key,
            based_on=found.row.version, template=TEMPLATES[kind][1],
        )  # fmt: skip

    @router.post(f"{base}/{{key}}/edit", response_model=None)
    async def save(request: Request, key: str, session: Session, viewer: Admin) -> Response:
        typed = await read_posted(request)
        form, read = posted_form(kind, typed)
        based_on = int(typed["based_on"]) if typed.get("based_on", "").isdigit() else None
        status = 422
        if read.data is not None and not form.errors:
            body = {**read.data, "key": key}
            if based_on is not None:
                body["version"] = based_on
            try:
                saved = await policies.save_version(session, viewer, kind, key, body)
            except (InvalidInput, Conflict) as exc:
                status = refuse(form, read, exc)
            else:
                done = "unchanged" if saved["version"] == based_on else "saved"
                return RedirectResponse(
                    f"{base}/{key}?done={done}&v={saved['version']}", status_code=303
                )
        return edit_page(
            request, viewer, form, key=key, based_on=based_on,
            template=TEMPLATES[kind][1], status_code=status,
        )  # fmt: skip

    @router.post(f"{base}/{{key}}/versions/{{version}}/delete", response_model=None)
    async def delete(
        request: Request, key: str, version: int, session: Session, viewer: Admin
    ) -> Response:
        try:
            await policies.delete_version(session, viewer, kind, key, version)
        except Conflict as exc:
            await session.rollback()
            return await _page(
                request, session, viewer, kind, key, None,
                row_errors={version: exc.detail}, status_code=409,
            )  # fmt: skip
        try:
            await policies.stored(session, kind, key)
        except NotFound:
            return RedirectResponse("/console/policies", status_code=303)
        return RedirectResponse(f"{base}/{key}?done=deleted&v={version}", status_code=303)


_routes("calendar")
_routes("regime")


@router.post("/console/calendars/{key}/closures.ics", response_model=None)
async def import_file(request: Request, key: str, session: Session, viewer: Admin) -> Response:
    """A new version closed on the all-day events of an uploaded iCalendar file."""
    form = await request.form()
    upload = form.get("file")
    problem = ""
    if not isinstance(upload, UploadFile) or not upload.filename:
        problem = "Choose an iCalendar file (.ics) to upload."
    else:
        raw = await upload.read(MAX_ICS_BYTES + 1)
        if len(raw) > MAX_ICS_BYTES:
            problem = "This file is larger than 1 MB: is it a calendar?"
        else:
            try:
                saved = await policies.import_ical(
                    session, viewer, key, raw.decode("utf-8", errors="replace")
                )
            except InvalidInput as exc:
                problem = (
                    "; ".join(p.message[:1].upper() + p.message[1:] for p in exc.errors or [])
                    or exc.detail
                )
            else:
                return RedirectResponse(
                    f"/console/calendars/{key}?done=imported&v={saved['version']}", status_code=303
                )
    return await _page(
        request, session, viewer, "calendar", key, None, import_problem=problem, status_code=422
    )
