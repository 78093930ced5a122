"""The dashboard's figures are the JSON metrics' figures for the same month."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from reports.dates import duration
from sla.periods import month_of
from tests.api.conftest import Live
from web.console.dashboard import _share


async def test_the_dashboard_figures_equal_the_json_metrics(live: Live) -> None:
    account = await live.account("spotler")
    for _ in range(2):
        opened = (await live.open(account_id=account["id"], priority="high")).json()
        answered = await live.http.post(
            f"/tickets/{opened['reference']}/responses",
            json={"body": "On it"},
            headers=live.as_("agent"),
        )
        assert answered.status_code in (200, 201), answered.text
    await live.open(account_id=account["id"], priority="high")  # unanswered: still open

    period = month_of(datetime.now(UTC).date())
    metrics = await live.http.get(
        "/metrics/sla", params={"period": period}, headers=live.as_("admin")
    )
    assert metrics.status_code == 200, metrics.text
    figures = metrics.json()
    page = await live.http.get("/console/dashboard", headers=live.as_("admin"))
    assert page.status_code == 200
    text = page.text

    first = figures["overall"]["median_first_response_seconds"]
    assert first is not None  # the answers above count
    assert re.search(
        rf'id="median-first-response"><span class="figure">{re.escape(duration(first))}</span>',
        text,
    )
    to_close = figures["overall"]["median_time_to_close_seconds"]
    shown_close = "—" if to_close is None else duration(to_close)
    assert f'id="median-time-to-close"><span class="figure">{shown_close}</span>' in text

    # Per policy: the per-priority rows of /metrics/sla summed, beside the policy's goal.
    spotler = [row for row in figures["by_priority"] if row["policy"] == "spotler"]
    for clock, goal in (("first_response", "85%"), ("resolution", "95%")):
        met = sum(row[clock]["met"] for row in spotler)
        breached = sum(row[clock]["breached"] for row in spotler)
        opened = sum(row[clock]["open"] for row in spotler)
        share = round(met / (met + breached), 4) if met + breached else None
        row = re.search(rf'<tr data-policy="spotler" data-clock="{clock}">(.*?)</tr>', text, re.S)
        assert row is not None, clock
        cells = row.group(1)
        assert f'<td class="actual" data-label="Met">{_share(share)}' in cells
        assert f'<td class="goal" data-label="Goal">{goal}</td>' in cells
        assert f'<td data-label="Met / missed / open">{met} / {breached} / {opened}' in cells
    assert sum(row["first_response"]["met"] for row in spotler) >= 2
    # The chart is drawn with attributes only: the pages' CSP allows no inline styles.
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert "style=" not in svg and "<rect" in svg
