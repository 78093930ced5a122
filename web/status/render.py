"""Rendering the public status pages: the pages' Jinja environment, with headers fit for a
public page (no private link in it: cacheable by nobody, but indexable)."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import HTMLResponse

from reports.status_words import (
    IMPACT_WORDS,
    OVERALL_WORDS,
    STATE_WORDS,
    STATUS_WORDS,
    STATUS_ZONE,
    service_name,
    services_words,
    status_time,
    zone_named,
)
from web.pages import _ENV

PUBLIC_HEADERS = {"Cache-Control": "no-cache"}


def iso(at: datetime) -> str:
    return at.isoformat()


def public_status_page(
    request: Request, template: str, status_code: int = 200, **context: object
) -> HTMLResponse:
    html = _ENV.get_template(template).render(
        organisation=request.app.state.settings.organisation_name,
        status_words=STATUS_WORDS,
        impact_words=IMPACT_WORDS,
        state_words=STATE_WORDS,
        overall_words=OVERALL_WORDS,
        service_name=service_name,
        services_words=services_words,
        status_time=status_time,
        zone_named=zone_named,
        zone=STATUS_ZONE,
        iso=iso,
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=PUBLIC_HEADERS)
