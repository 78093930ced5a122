"""Jinja2 for the pages: one environment, autoescaped, templates from web/templates."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports.words import possessive
from web import uptime_view

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["possessive"] = possessive
# What the uptime macros (_uptime.html) draw, prepared from db.uptime's days and raw probes.
_ENV.globals["uptime_bars"] = uptime_view.bars
# A page someone reached by a private link: never cached, never indexed, and the link (its
# token) is not passed on to sites it links to. The pages' CSP comes with their sign-in.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def page(template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    html = _ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PRIVATE_HEADERS)
