"""Documents as customers receive them, made from gathered content alone (no database, no
Temporal): the fixtures of tests/reports, and `python -m tests.reports.documents DIR` writes
them out to look at with /work/shared/tools/look-at."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from activities.reports import incident_document, monthly_document
from activities.reviews import pack_document
from db.account_figures import AccountMonth, Breach, PriorityActivity, ShippedRelease
from db.complaint_figures import ComplaintFigureRow, ComplaintFigures, Kept
from db.satisfaction import RatingLine, SatisfactionFigures
from db.sla_figures import Attainment, FigureRow, SlaFigures
from reports.render import Renderer
from workflows.report_messages import (
    IncidentClock,
    IncidentContent,
    MonthlyContent,
    PackContent,
    TimelineEntry,
)

ORGANISATION = "e-shot"
LONG_NAME = "Northwind Traders & Partners (Europe, Middle East and Africa) Ltd"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def attainment(met: int, breached: int, goal: float | None, by_release: int = 0) -> Attainment:
    share = met / (met + breached) if met + breached else None
    return Attainment(
        met=met, breached=breached, open=0, met_by_release=by_release,
        attainment=round(share, 4) if share is not None else None, goal=goal,
        meets_goal=share >= goal if share is not None and goal is not None else None,
    )  # fmt: skip


def row(priority: str | None, tickets: int, fr: Attainment, res: Attainment) -> FigureRow:
    return FigureRow(
        policy="e-shot", priority=priority, tickets=tickets,
        median_first_response_seconds=2700.0, median_time_to_close_seconds=93600.0,
        first_response=fr, resolution=res,
    )  # fmt: skip


def satisfaction(
    start: datetime, end: datetime, good: int = 4, bad: int = 1
) -> SatisfactionFigures:
    """Five answers, four good, two with a comment: what the contacts said when asked."""
    return SatisfactionFigures(
        account_id=7, start=start, end=end, asked=6, good=good, bad=bad,
        score=round(good / (good + bad), 4) if good + bad else None,
        comments=[
            RatingLine(reference="T-2026-000042", subject="iPhone previews show the wrong logo",
                       account_id=7, rating="bad", rated_by="Tom Baker",
                       comment="Fixed in the end, but the first answer took a day.",
                       rated_at=start + timedelta(days=6, hours=9, minutes=12)),
            RatingLine(reference="T-2026-000040", subject="Cannot import the March list",
                       account_id=7, rating="good", rated_by="Ann Smith",
                       comment="Quick and friendly, thank you!",
                       rated_at=start + timedelta(days=2, hours=15, minutes=40)),
        ] if good + bad else [],
    )  # fmt: skip


def e_shot_month(start: datetime, end: datetime) -> AccountMonth:
    """A month with a P1 met in time, a P2 missed, and two P3s met by the maintenance
    release: the release's tickets were never resolved by hand."""
    p1 = row("p1", 1, attainment(1, 0, 0.85), attainment(1, 0, 0.95))
    p2 = row("p2", 1, attainment(0, 1, 0.85), attainment(0, 0, 0.95))
    p3 = row("p3", 2, attainment(2, 0, 0.85), attainment(0, 0, 0.95, by_release=2))
    overall = row(None, 4, attainment(3, 1, 0.85), attainment(1, 0, 0.95, by_release=2))
    no_complaint = Kept(in_time=0, late=0, open=0, share=None)
    return AccountMonth(
        start=start, end=end,
        activity=[
            PriorityActivity(priority="p1", opened=1, resolved=1),
            PriorityActivity(priority="p2", opened=1, resolved=0),
            PriorityActivity(priority="p3", opened=2, resolved=0),
        ],
        requests={"enhancement": 1},
        sla=SlaFigures(
            account_id=7, start=start, end=end, overall=overall, by_priority=[p1, p2, p3]
        ),
        breaches=[
            Breach(reference="T-2026-000042", subject="iPhone previews show the wrong logo",
                   priority="p2", clock="first_response", due=start + timedelta(days=3, hours=10)),
        ],
        complaints=ComplaintFigures(
            start=start, end=end,
            overall=ComplaintFigureRow(
                regime=None, complaints=0, acknowledged=no_complaint, answered=no_complaint,
                median_days_to_acknowledge=None, median_days_to_reply=None,
            ),
            by_regime=[],
        ),
        releases=[
            ShippedRelease(name="Maintenance release 26.11", kind="maintenance",
                           shipped_at=start + timedelta(days=20, hours=19),
                           notes="Fixes to the editor", tickets=2),
        ],
        satisfaction=satisfaction(start, end),
    )  # fmt: skip


def monthly_content() -> MonthlyContent:
    start, end = _at("2026-11-01T00:00:00"), _at("2026-12-01T00:00:00")
    return MonthlyContent(
        account_id=7, account_name=LONG_NAME, policy="e-shot", edition="standard",
        success_manager_name="Sam Success", timezone="Europe/London", period="2026-11",
        partial=False, gathered_at=_at("2026-12-01T07:00:05"), month=e_shot_month(start, end),
        recipients=[],
    )  # fmt: skip


def pack_content() -> PackContent:
    start, end = _at("2026-10-01T00:00:00"), _at("2027-01-01T00:00:00")
    return PackContent(
        review_id=3, account_id=7, account_name=LONG_NAME, policy="e-shot", edition="standard",
        success_manager_name="Sam Success", timezone="Europe/London", quarter="2026-Q4",
        starts_at=_at("2027-01-25T10:00:00"), gathered_at=_at("2027-01-20T08:00:02"),
        quarter_figures=e_shot_month(start, end),
        objectives=[
            {"name": "First campaign sent", "metric": "campaigns_sent", "target": 1.0,
             "direction": "at_least", "due_on": "2026-12-18", "owner": "Tom Baker",
             "status": "achieved", "value": 3.0},
            {"name": "Unsubscribe rate under control", "metric": "unsubscribe_rate",
             "target": 0.5, "direction": "at_most", "due_on": "2027-02-26",
             "owner": "Tom Baker", "status": "open", "value": None},
        ],
        metrics={"subscribers": [(_at("2026-10-05T09:00:00"), 4200.0),
                                 (_at("2026-12-05T09:00:00"), 5150.0)]},
        recommendations="Turn on double opt-in before the spring campaign.",
        recipients=[],
    )  # fmt: skip


def incident_content(long: bool = False) -> IncidentContent:
    received = _at("2026-11-19T10:02:00")
    timeline = [
        TimelineEntry(at=received, actor="Ann Smith",
                      summary="Ann Smith reported the problem by phone."),
        TimelineEntry(at=received + timedelta(minutes=41), actor="",
                      summary="We replied."),
        TimelineEntry(at=received + timedelta(hours=5, minutes=7), actor="",
                      summary="We resolved the problem."),
    ]  # fmt: skip
    if long:
        middle = [
            TimelineEntry(at=received + timedelta(minutes=50 + 7 * i), actor="",
                          summary=f"We replied with progress ({i + 1}).")
            for i in range(40)
        ]  # fmt: skip
        timeline = timeline[:2] + middle + timeline[2:]
    return IncidentContent(
        account_id=9, account_name="Atlas Workspace", policy="essensys", edition="enterprise",
        success_manager_name="Lena Park", timezone="America/Los_Angeles",
        reference="T-2026-000123", subject="iPhone mail previews are blank",
        description="Every campaign preview on iPhone mail shows an empty page.",
        priority="p1", priority_name="P1 - Critical", received_at=received,
        resolved_at=received + timedelta(hours=5, minutes=7),
        clocks=[
            IncidentClock(name="first_response", target="15 business_minutes",
                          due=received + timedelta(minutes=15), state="breached",
                          met_at=received + timedelta(minutes=41)),
            IncidentClock(name="resolution", target="4 business_hours",
                          due=received + timedelta(hours=4), state="breached",
                          met_at=received + timedelta(hours=5, minutes=7)),
        ],
        timeline=timeline,
        impact="Previews could not be checked before sending." if not long else "x " * 400,
        cause="A certificate expired on the preview service.",
        actions=["Certificates are now renewed automatically."],
        gathered_at=received + timedelta(hours=5, minutes=8), recipients=[],
    )  # fmt: skip


def write_all(directory: Path) -> list[Path]:
    renderer = Renderer()
    directory.mkdir(parents=True, exist_ok=True)
    made = {
        "monthly.pdf": monthly_document(renderer, ORGANISATION, monthly_content())[1],
        "review-pack.pdf": pack_document(renderer, ORGANISATION, pack_content())[1],
        "incident-short.pdf": incident_document(renderer, ORGANISATION, incident_content())[1],
        "incident-long.pdf": incident_document(renderer, ORGANISATION, incident_content(True))[1],
    }
    paths = []
    for name, pdf in made.items():
        (directory / name).write_bytes(pdf)
        paths.append(directory / name)
    return paths


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1])):
        print(path)
