"""The README's table of the values each field takes says what the API accepts."""

from __future__ import annotations

import re
import typing

import pytest

import sla
from api import schemas
from db.models import Role
from settings import ROOT
from sla.ticket import TicketStatus, TicketType

PRESETS = ["e-shot", "spotler", "web-agency", "electric-putty", "essensys"]


def _table() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### The values fields take", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+) \|$", section, re.M)
    return {field: values for field, values in rows if field not in ("Field", "---")}


def _literal(annotation: object) -> set[str]:
    return {str(value) for value in typing.get_args(annotation)}


def _field(model: type, name: str) -> set[str]:
    return _literal(model.model_fields[name].annotation)


def _per_policy(cell: str) -> dict[str, set[str]]:
    parts = dict(part.split(": ", 1) for part in cell.split(" · "))
    return {key.strip("`"): set(re.findall(r"`([^`]+)`", rest)) for key, rest in parts.items()}


EXPECTED: dict[str, set[str]] = {
    "ticket `channel`": set(typing.get_args(schemas.Channel)),
    "ticket `type`": {t.value for t in TicketType},
    "ticket `status`": {s.value for s in TicketStatus},
    "account `edition`": {e for key in PRESETS for e in sla.get_policy(key).editions()},
    "key `role`": {r.value for r in Role},
    "release `kind`": _field(schemas.ReleaseCreate, "kind"),
    "satisfaction `rating`": _field(schemas.RatingIn, "rating"),
    "complaint `channel`": _field(schemas.ComplaintCreate, "channel"),
    "complaint `regime`": set(typing.get_args(schemas.RegimeKey)),
    "complaint `jurisdiction`": set(typing.get_args(schemas.JurisdictionKey)),
    "complaint `status`": _field(schemas.ComplaintOut, "status"),
    "review `status`": _field(schemas.ReviewOut, "status"),
    "monitor `state`": set(typing.get_args(schemas.MonitorState)),
}


@pytest.mark.parametrize("field", sorted(EXPECTED))
def test_a_field_lists_exactly_the_values_the_api_takes(field: str) -> None:
    cell = _table()[field]
    listed = set(re.findall(r"`([^`]+)`", cell))
    # A row may name the policies a value belongs to ("e-shot and Spotler sell …").
    assert EXPECTED[field] <= listed, (field, cell)
    assert listed - EXPECTED[field] <= set(PRESETS), (field, cell)


def test_priorities_and_calendars_are_those_of_each_preset() -> None:
    table = _table()
    priorities = _per_policy(table["ticket `priority`"])
    calendars = _per_policy(table["ticket and account `calendar`"])
    for key in PRESETS:
        policy = sla.get_policy(key)
        assert priorities[key] == set(policy.priorities), key
        assert calendars[key] == set(policy.calendars), key
        for value, priority in policy.priorities.items():
            assert f"`{value}` {priority.name}" in table["ticket `priority`"], (key, value)
