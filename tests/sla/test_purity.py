"""sla is pure: a side-effect-free import, no clock reads, aware instants only, deterministic."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

import sla
from sla import Calendar, compute_deadlines, get_policy, load_presets

from .conftest import EW, Z

SLA_DIR = Path(sla.__file__).parent


def test_no_clock_reads_in_sla() -> None:
    forbidden = re.compile(
        r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.monotonic|random\.)\b|\.now\("
    )
    for path in SLA_DIR.glob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not forbidden.search(line), f"{path.name}:{number}: {line.strip()}"


def test_import_reads_nothing_and_loads_no_holidays() -> None:
    code = (
        "import sys, sla, sla.loader; "
        "print('holidays' in sys.modules, sla.loader.load_presets.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "0"]


def test_naive_received_at_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        compute_deadlines(get_policy("e-shot"), "p1", datetime(2026, 11, 16, 10))


def test_deterministic_across_fresh_calendars() -> None:
    cached = get_policy("e-shot").calendar()
    fresh = Calendar("Europe/London", {"mon-fri": ["08:30-18:00"]}, holidays=[EW])
    start = Z(2026, 11, 19, 17)
    for hours in range(1, 200, 7):
        from datetime import timedelta

        assert cached.add_business(start, timedelta(hours=hours)) == fresh.add_business(
            start, timedelta(hours=hours)
        )


def test_every_preset_describes_itself_as_json() -> None:
    for policy in load_presets().values():
        data = policy.describe(years=[2026])
        json.dumps(data)
        assert data["key"] == policy.key
        assert set(data["calendars"]) == set(policy.calendars)
        for spec in data["calendars"].values():
            assert "closed_days" in spec and "hours" in spec


def test_every_preset_computes_every_priority_in_every_calendar() -> None:
    for policy in load_presets().values():
        for region in policy.calendars:
            for priority in policy.priorities:
                d = compute_deadlines(policy, priority, Z(2026, 11, 16, 10), calendar=region)
                assert d.received_at == Z(2026, 11, 16, 10)
                for deadline in d.deadlines.values():
                    if deadline.due is not None:
                        assert deadline.due > d.received_at
                        assert all(w <= deadline.due for w in deadline.warnings)
