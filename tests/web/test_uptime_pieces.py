"""The uptime macros (web/templates/_uptime.html) as another page includes them: a bar per day
with its words beside its colour, no data grey and said so, and a response-time chart that is
valid SVG with its summary in words, broken where there is no data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from db.uptime import DayUptime
from web.pages import _ENV
from web.uptime_view import bars, daily_response_chart, percent, response_chart

LONDON = ZoneInfo("Europe/London")
PAGE = _ENV.from_string(
    '{% from "_uptime.html" import bars, response_chart %}'
    "<main>{{ bars(days) }}{{ response_chart(chart) }}</main>"
)


def ninety_days() -> list[DayUptime]:
    today = date(2026, 12, 3)
    days = [DayUptime(today - timedelta(days=n), "up", 1.0, 0, 0, 1440, 120.0, 180)
            for n in range(89, -1, -1)]  # fmt: skip
    days[0] = DayUptime(days[0].day, "no-data", None, 0, 0)
    days[-1] = DayUptime(today, "partial", 1 - 7 / 1440, 7, 0, 1440, 130.0, 200)
    days[-2] = DayUptime(days[-2].day, "maintenance", 1.0, 0, 120, 1440, 125.0, None)
    return days


def test_percent_never_rounds_up_to_a_perfect_day() -> None:
    assert percent(1 - 1 / 1440) == "99.93%"  # 99.9305...: down, not up
    assert percent(0.99999) == "99.99%"
    assert percent(1.0) == "100%"
    assert percent(0.5) == "50%"
    assert percent(None) == "no data"


def test_ninety_bars_each_with_its_words() -> None:
    prepared = bars(ninety_days())
    assert len(prepared.bars) == 90
    assert prepared.bars[-1].label == "3 December: 99.51% up, 7 minutes down"
    assert prepared.bars[-2].label == "2 December: 100% up, 2 hours of maintenance"
    assert prepared.bars[0].label == "5 September: no data"
    assert prepared.summary == (
        "99.99% up over the time checked in the last 90 days; 1 day with down time; "
        "1 day with no data"
    )
    start = datetime(2026, 12, 3, 8, tzinfo=UTC)
    results = [(start + timedelta(minutes=5 * n), n != 20, None if n == 20 else 100 + n)
               for n in range(48) if not 30 <= n < 36]  # fmt: skip
    chart = response_chart(results, start, start + timedelta(hours=4), LONDON)
    html = PAGE.render(days=prepared, chart=chart)
    root = ElementTree.fromstring(html)  # well-formed, SVG included
    items = root.findall(".//ol[@class='uptime-bars']/li")
    assert len(items) == 90
    first, last = items[0], items[-1]
    assert first.get("class") == "bar bar-no-data" and first.get("title") == "5 September: no data"
    assert "".join(first.itertext()) == "5 September: no data"  # read out, not only coloured
    assert last.get("class") == "bar bar-partial"
    assert "99.51% up, 7 minutes down" in "".join(last.itertext())
    assert "No data for" not in html


def test_the_chart_breaks_for_a_failure_and_for_no_data() -> None:
    start = datetime(2026, 12, 3, 8, tzinfo=UTC)
    # 48 probes 5 minutes apart; the 21st failed; none from 10:30 to 11:00 (a gap).
    results = [(start + timedelta(minutes=5 * n), n != 20, None if n == 20 else 100 + n)
               for n in range(48) if not 30 <= n < 36]  # fmt: skip
    chart = response_chart(results, start, start + timedelta(hours=4), LONDON)
    assert len(chart.lines) == 3  # before the failure, to the gap, after it
    assert len(chart.failures) == 1
    assert chart.summary == (
        "41 checks answered; typical 121 ms, slowest 147 ms at 11:55 on 3 December; 1 check failed."
    )
    svg = ElementTree.fromstring(PAGE.render(days=bars([]), chart=chart)).find(
        ".//{http://www.w3.org/2000/svg}svg"
    )
    assert svg is not None and svg.get("role") == "img"
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.find(f"{ns}title").text == "Response time"  # type: ignore[union-attr]
    assert len(svg.findall(f"{ns}polyline")) == 3
    assert [t.text for t in svg.findall(f"{ns}text")][:3] == ["0 ms", "100 ms", "200 ms"]


def test_ninety_days_of_daily_means_and_a_monitor_with_nothing() -> None:
    days = ninety_days()
    chart = daily_response_chart(days, LONDON)
    assert len(chart.lines) == 1 and not chart.failures and not chart.empty
    empty = response_chart([], datetime(2026, 12, 3, tzinfo=UTC),
                           datetime(2026, 12, 4, tzinfo=UTC), LONDON)  # fmt: skip
    assert empty.empty and empty.lines == [] and empty.summary == "No answers to draw."
    nothing = bars([DayUptime(date(2026, 12, 3), "no-data", None, 0, 0)] * 3)
    assert nothing.summary == "No data for the last 3 days"


def test_a_day_of_rounded_minutes_never_makes_the_summary_negative() -> None:
    # The walkthrough's day as the API gave it (down 5, maintenance 1, known 5 minutes, each
    # rounded up from 4 min 10 s down in 4 min 30 s checked, 20 s of it maintenance): the day's
    # own share is 0 (all the time outside maintenance was down), and so is the summary's.
    day = DayUptime(date(2026, 12, 3), "down", 0.0, 5, 1, 5)
    summary = bars([day]).summary
    assert summary.startswith("0% up today") and "-" not in summary
    # A good day beside it: 1440 minutes up, weighed with the 4 counted minutes down.
    good = DayUptime(date(2026, 12, 2), "up", 1.0, 0, 0, 1440)
    assert bars([good, day]).summary.startswith(percent(1440 / 1444))
