"""Complaint letters rendered as the worker renders them, and read back as a person would."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace

from pypdf import PdfReader

from activities.complaints import LETTER_KINDS, ComplaintActivities, LetterRequest
from reports.render import Renderer
from settings import Settings

MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT_MM = 297
# Where a DL window envelope shows an A4 letter folded in three (docs/letters.md): 20 to 110 mm
# from the left edge, 45 to 90 mm from the top.
DL_WINDOW = (20.0, 45.0, 110.0, 90.0)

ADDRESS = "Flat 3\n12 Acacia Avenue\nHeadingley\nLeeds\nWest Yorkshire\nLS2 9ZZ"
REGIMES = ("standard", "housing-stage-1", "housing-stage-2", "fca", "sar")
KINDS = tuple(LETTER_KINDS)


def activities(**settings: str) -> ComplaintActivities:
    values = {"organisation_name": "Acme Homes", "organisation_address": "1 High Street, Leeds"}
    deps = SimpleNamespace(settings=Settings(**(values | settings)), renderer=Renderer())
    return ComplaintActivities(deps)  # type: ignore[arg-type]


def request(regime: str, kind: str, **changes: object) -> LetterRequest:
    values: dict[str, object] = {
        "letter_id": "C-7KQ2-M4ZX:3",
        "reference": "C-7KQ2-M4ZX",
        "kind": kind,
        "complainant_name": "Jane Doe",
        "complainant_address": ADDRESS,
        "summary": "The repair to my boiler took six weeks",
        "regime": regime,
        "received_at": datetime(2026, 11, 16, 10, tzinfo=UTC),
        "sent_at": datetime(2026, 11, 24, 23, 30, tzinfo=UTC),  # 24th in UTC, 24th in London
        "reply_due": datetime(2026, 12, 16, tzinfo=UTC),
        "previous_due": datetime(2026, 12, 2, tzinfo=UTC) if kind == "holding_response" else None,
        "reason": "We are waiting for the contractor's report.",
        "body": "We have looked into what happened.\n\nWe uphold it and apologise.",
        "signatory": "Priya Shah",
        "signatory_title": "Customer Relations Manager",
        "reply_days": 10 if regime.startswith("housing") else None,
    }
    return LetterRequest(**(values | changes))  # type: ignore[arg-type]


def render(req: LetterRequest, acts: ComplaintActivities | None = None) -> bytes:
    acts = acts or activities()
    template, _ = LETTER_KINDS[req.kind]
    return acts._deps.renderer.pdf(template, **acts.letter_context(req))


def text(pdf: bytes) -> str:
    """The letter's words, with line breaks undone (a phrase may wrap anywhere)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


@dataclass(frozen=True)
class Run:
    text: str
    left_mm: float
    top_mm: float  # from the top edge of the page to the text's baseline


def first_page_runs(pdf: bytes) -> list[Run]:
    """Every run of text on the first page with where it sits, in millimetres from the
    page's top-left corner (pypdf gives the text matrix, from the bottom-left)."""
    runs: list[Run] = []

    def visit(found: str, cm: list[float], tm: list[float], *_: object) -> None:
        if found.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            runs.append(Run(found.strip(), x / MM, A4_HEIGHT_MM - y / MM))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return runs
