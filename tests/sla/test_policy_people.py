"""Who a policy's warnings and breaches reach: its team address and whether it has account
managers."""

from __future__ import annotations

import pytest

from activities.recipients import team_address
from sla import PolicyError, get_policy, parse_policy
from sla.loader import policies_without_team_address
from tests.sla.test_loader import GOOD


def test_e_shot_has_no_account_managers_and_the_others_do() -> None:
    assert not get_policy("e-shot").has_account_managers
    for key in ("spotler", "essensys", "web-agency", "electric-putty"):
        assert get_policy(key).has_account_managers
    assert policies_without_team_address(None) == [
        "e-shot", "spotler", "web-agency", "electric-putty", "essensys"
    ]  # fmt: skip
    assert policies_without_team_address("team@example.com") == []


def policy_text(top: str, tables: str = "") -> str:
    """GOOD with `top` among its top-level keys and `tables` after its own."""
    head, _, rest = GOOD.partition("[calendars.support]")
    return f"{head}{top}\n\n[calendars.support]{rest}\n{tables}"


NONE = "has_account_managers = false"


@pytest.mark.parametrize(
    ("top", "tables", "field"),
    [
        ('team_email = "not an address"', "", "team_email"),
        (f'{NONE}\nescalation = ["assignee", "account_manager"]', "", "escalation"),
        (
            NONE,
            "[request_types.advice]\nname = 'Advice'\nclock = false\nroute_to = 'account_manager'",
            "request_types.advice.route_to",
        ),
        (
            NONE,
            "[account_services]\ndefault_edition = 'gold'\n"
            "[account_services.editions.gold]\naccount_manager = true",
            "account_services.editions.gold.account_manager",
        ),
    ],
)
def test_a_policy_without_account_managers_names_none(top: str, tables: str, field: str) -> None:
    assert parse_policy(policy_text(NONE)).has_account_managers is False
    with pytest.raises(PolicyError) as refused:
        parse_policy(policy_text(top, tables))
    assert refused.value.field == field


def test_a_policy_may_name_its_team() -> None:
    policy = parse_policy(policy_text('team_email = "desk@acme.example.com"'))
    assert team_address(policy, "default@example.com") == "desk@acme.example.com"
    assert team_address(get_policy("spotler"), "default@example.com") == "default@example.com"
    assert team_address(None, None) is None
