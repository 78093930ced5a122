"""Which success services an account's edition gets, per policy."""

from __future__ import annotations

import pytest

import sla


@pytest.mark.parametrize("policy", ["essensys", "web-agency", "electric-putty"])
def test_essensys_table_enterprise_gets_the_services_standard_none(policy: str) -> None:
    enterprise = sla.get_policy(policy).entitlements("enterprise")
    standard = sla.get_policy(policy).entitlements("standard")
    services = (
        "customer_success_manager",
        "quarterly_business_review",
        "incident_reporting",
        "monthly_reporting",
    )
    assert all(getattr(enterprise, name) for name in services)
    assert not any(getattr(standard, name) for name in services)


def test_e_shot_gives_every_subscription_the_same_services() -> None:
    eshot = sla.get_policy("e-shot")
    for edition in ("standard", "enterprise"):
        services = eshot.entitlements(edition)
        assert services.monthly_reporting and services.quarterly_business_review
        assert services.onboarding_objectives and not services.incident_reporting


def test_spotler_has_an_account_manager_and_no_reports() -> None:
    services = sla.get_policy("spotler").entitlements("enterprise")
    assert services.account_manager and not services.monthly_reporting


def test_each_policy_sells_the_editions_its_table_lists() -> None:
    # e-shot: "Full support is included in your subscription", one edition for everyone.
    assert sla.get_policy("e-shot").editions() == ["standard"]
    assert sorted(sla.get_policy("essensys").editions()) == ["enterprise", "standard"]
