"""HTML to PDF: Jinja2 templates, one stylesheet parsed once, WeasyPrint with no network."""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from reports import words
from reports.dates import (
    day_and_time,
    day_month_year,
    duration,
    long_date,
    long_instant,
    short_instant,
    spelled_duration,
    zone_name,
)
from reports.words import uptime_percent

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


class LocalOnly(URLFetcher):
    """Fetches data: URIs and files under reports/static, nothing else.

    A report is rendered from data we hold; a template reaching for the network would make
    rendering slow, fragile offline, and a way to leak what the report is about.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("file:"):
            path = Path(url.removeprefix("file://").split("?")[0]).resolve()
            if not path.is_relative_to(STATIC):
                raise FatalURLFetchingError(f"reports may only load files from {STATIC}: {url}")
        elif not url.startswith("data:"):
            raise FatalURLFetchingError(f"reports may not fetch from the network: {url}")
        return super().fetch(url, headers)


class Renderer:
    """Thread-safe for rendering: templates and the stylesheet are read once and shared."""

    def __init__(self, templates: Path | None = None) -> None:
        self._env = Environment(
            loader=FileSystemLoader(templates or TEMPLATES),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["long_date"] = long_date
        self._env.filters["plain_date"] = day_month_year
        self._env.filters["long_instant"] = long_instant
        self._env.filters["duration"] = duration
        self._env.filters["day_and_time"] = day_and_time
        self._env.filters["spelled_duration"] = spelled_duration
        self._env.filters["uptime_percent"] = uptime_percent
        self._env.filters["day_month_year"] = day_month_year
        self._env.filters["zone_name"] = zone_name
        self._env.filters["short_instant"] = short_instant
        self._env.filters["target_name"] = words.target_name
        self._env.filters["release_kind"] = words.release_kind
        self._env.filters["promised"] = words.promised
        self._env.filters["metric_name"] = words.metric_name
        self._env.globals["satisfaction_score"] = words.satisfaction_score
        self._env.globals["satisfaction_short"] = words.satisfaction_short
        # One font configuration per thread, reused: a fresh one per render costs ~10% of
        # the render and leaks native memory on every PDF (bench/reports.py).
        self._local = threading.local()

    @cached_property
    def _stylesheet(self) -> CSS:
        return CSS(filename=str(STATIC / "pledge.css"), url_fetcher=LocalOnly())

    def html(self, template: str, **context: Any) -> str:
        return self._env.get_template(template).render(**context)

    def module(self, template: str, **context: Any) -> Any:
        """A template's macros and top-level variables, bound to `context`: wording kept as
        data in a template (letters/wording/<regime>.html) that letters and mails both read."""
        return self._env.get_template(template).make_module(vars=context)

    def pdf(self, template: str, **context: Any) -> bytes:
        document = HTML(
            string=self.html(template, **context),
            base_url=str(STATIC) + "/",
            url_fetcher=LocalOnly(),
        )
        fonts = getattr(self._local, "fonts", None)
        if fonts is None:
            fonts = self._local.fonts = FontConfiguration()
        return document.write_pdf(stylesheets=[self._stylesheet], font_config=fonts)
