"""Policy files: good ones load, bad ones are refused naming the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from sla import (
    PolicyError,
    UnknownPolicy,
    get_policy,
    load_policy,
    load_presets,
    parse_policy,
    policy_keys,
)

GOOD = """
key = "acme"
name = "Acme support"
source = "a test"
default_calendar = "support"

[calendars.support]
timezone = "Europe/London"
hours = { mon-fri = ["08:30-18:00"] }
holidays = [{ country = "GB", subdivisions = ["ENG", "WLS"] }]

[calendars.always]
timezone = "Europe/London"
always_open = true

[priorities.p1]
name = "Urgent"
[priorities.p1.targets.first_response]
amount = 1
unit = "business_hours"
[priorities.p1.targets.resolution]
unit = "release"
release = "hotfix"

[priorities.p2]
name = "High"
[priorities.p2.targets.first_response]
amount = 2
unit = "business_hours"
out_of_hours = { amount = 4, unit = "calendar_hours" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refuse(tmp_path: Path, text: str) -> PolicyError:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    err = info.value
    assert err.file == str(path)
    assert str(err).startswith(f"{path}: ")
    return err


def test_the_good_file_loads(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, GOOD))
    assert policy.key == "acme"
    assert list(policy.priorities) == ["p1", "p2"]
    assert policy.calendars["support"].hours["mon"] == ["08:30-18:00"]
    assert policy.calendars["support"].hours["sat"] == []


def test_negative_amount_message_names_file_field_and_reason(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace("amount = 2\n", "amount = -2\n"))
    assert (err.field, err.reason) == (
        "priorities.p2.targets.first_response.amount",
        "must be positive",
    )
    assert str(err) == f"{err.file}: priorities.p2.targets.first_response.amount: must be positive"
    assert isinstance(err, ValueError)


def test_zero_amount(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace("amount = 1\n", "amount = 0\n"))
    assert (err.field, err.reason) == (
        "priorities.p1.targets.first_response.amount",
        "must be positive",
    )


def test_missing_amount(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace("amount = 1\n", ""))
    assert err.field == "priorities.p1.targets.first_response.amount"
    assert "required" in err.reason


def test_unknown_unit(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace('unit = "business_hours"\n', 'unit = "fortnights"\n', 1))
    assert err.field == "priorities.p1.targets.first_response.unit"
    assert "unknown unit 'fortnights'" in err.reason


def test_unknown_time_zone(tmp_path: Path) -> None:
    err = refuse(
        tmp_path,
        GOOD.replace('timezone = "Europe/London"\nhours', 'timezone = "Europe/Lundon"\nhours'),
    )
    assert err.field == "calendars.support.timezone"
    assert "unknown time zone 'Europe/Lundon'" in err.reason


def test_unknown_holiday_subdivision(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace('"ENG", "WLS"', '"ENG", "CORNWALL"'))
    assert err.field == "calendars.support.holidays.0.subdivisions"
    assert "unknown holiday subdivision 'CORNWALL'" in err.reason


def test_unknown_holiday_country(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace('country = "GB"', 'country = "XX"'))
    assert err.field == "calendars.support.holidays.0.country"
    assert "unknown holiday country 'XX'" in err.reason


def test_overlapping_intervals(tmp_path: Path) -> None:
    err = refuse(
        tmp_path,
        GOOD.replace(
            'hours = { mon-fri = ["08:30-18:00"] }',
            'hours = { mon-fri = ["08:30-18:00"], mon = ["17:00-19:00"] }',
        ),
    )
    assert err.field == "calendars.support.hours.mon"
    assert "overlap" in err.reason


def test_malformed_interval(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace('"08:30-18:00"', '"8.30-6pm"'))
    assert err.field == "calendars.support.hours.mon-fri"
    assert "malformed interval" in err.reason


def test_interval_ending_before_it_starts(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace('"08:30-18:00"', '"20:00-02:00"'))
    assert err.field == "calendars.support.hours.mon-fri"
    assert "ends before it starts" in err.reason


def test_out_of_hours_on_a_24_7_calendar(tmp_path: Path) -> None:
    text = GOOD.replace(
        '[priorities.p2]\nname = "High"', '[priorities.p2]\nname = "High"\ncalendar = "always"'
    )
    err = refuse(tmp_path, text)
    assert err.field == "priorities.p2.targets.first_response.out_of_hours"
    assert "24/7" in err.reason


def test_regrade_to_an_unknown_priority(tmp_path: Path) -> None:
    err = refuse(
        tmp_path, GOOD + '\n[waiting_on_customer]\naction = "regrade"\nregrade_to = "medium"\n'
    )
    assert err.field == "waiting_on_customer.regrade_to"
    assert "unknown priority 'medium'" in err.reason


def test_unknown_calendar_referenced(tmp_path: Path) -> None:
    err = refuse(
        tmp_path,
        GOOD.replace(
            '[priorities.p1]\nname = "Urgent"',
            '[priorities.p1]\nname = "Urgent"\ncalendar = "night"',
        ),
    )
    assert err.field == "priorities.p1.calendar"
    assert "unknown calendar 'night'" in err.reason


def test_unknown_default_calendar(tmp_path: Path) -> None:
    err = refuse(
        tmp_path, GOOD.replace('default_calendar = "support"', 'default_calendar = "office"')
    )
    assert err.field == "default_calendar"


def test_release_needs_its_kind_and_no_amount(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace('release = "hotfix"\n', ""))
    assert err.field == "priorities.p1.targets.resolution.release"
    err = refuse(tmp_path, GOOD.replace('release = "hotfix"\n', 'release = "hotfix"\namount = 3\n'))
    assert err.field == "priorities.p1.targets.resolution.amount"


def test_fractional_working_days(tmp_path: Path) -> None:
    err = refuse(
        tmp_path,
        GOOD.replace('amount = 1\nunit = "business_hours"', 'amount = 1.5\nunit = "working_days"'),
    )
    assert err.field == "priorities.p1.targets.first_response.amount"
    assert "whole number" in err.reason


def test_unknown_field(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace('name = "Urgent"', 'name = "Urgent"\ncolour = "red"'))
    assert (err.field, err.reason) == ("priorities.p1.colour", "unknown field")


def test_missing_required_field(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD.replace('source = "a test"\n', ""))
    assert (err.field, err.reason) == ("source", "is required")


def test_attainment_goal_for_an_unknown_target(tmp_path: Path) -> None:
    err = refuse(
        tmp_path,
        GOOD.replace(
            'default_calendar = "support"',
            'default_calendar = "support"\nattainment_goals = { answer = 0.9 }',
        ),
    )
    assert err.field == "attainment_goals.answer"


def test_triage_to_an_unknown_priority(tmp_path: Path) -> None:
    text = (
        GOOD
        + '\n[triage]\nfield = "campaign_scheduled_at"\ndefault = "p9"\n'
        + '[[triage.rules]]\nwithin = { amount = 1, unit = "calendar_days" }\npriority = "p1"\n'
    )
    err = refuse(tmp_path, text)
    assert err.field == "triage.default"


def test_bad_closure_dates(tmp_path: Path) -> None:
    text = GOOD.replace(
        'holidays = [{ country = "GB", subdivisions = ["ENG", "WLS"] }]',
        'closures = [{ name = "Xmas", start = "12-24", end = "2027-01-01" }]',
    )
    err = refuse(tmp_path, text)
    assert err.field == "calendars.support.closures.0.end"


def test_not_toml(tmp_path: Path) -> None:
    err = refuse(tmp_path, GOOD + "\nthis is not toml\n")
    assert err.field == ""
    assert "not valid TOML" in err.reason


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "absent.toml")
    assert "cannot read" in info.value.reason


def test_parse_policy_names_the_given_file() -> None:
    with pytest.raises(PolicyError, match=r"^inline\.toml: key: is required$"):
        parse_policy(GOOD.replace('key = "acme"\n', ""), file="inline.toml")


def test_presets_load_lazily_and_by_key() -> None:
    presets = load_presets()
    # Policies saved by other tests in this process (sla.stored) follow the presets.
    assert (
        list(presets)
        == policy_keys()[:5]
        == ["e-shot", "spotler", "web-agency", "electric-putty", "essensys"]
    )
    assert get_policy("spotler") is presets["spotler"]
    with pytest.raises(UnknownPolicy, match="no policy 'acme'"):
        get_policy("acme")


def test_a_policy_round_trips_through_its_json_form() -> None:
    from sla import Policy

    for policy in load_presets().values():
        again = Policy.model_validate(policy.model_dump(mode="json"))
        assert again == policy
