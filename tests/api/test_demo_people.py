"""The demo's accounts name only the people their policies have."""

from __future__ import annotations

import sla
from api.demo import ACCOUNTS
from api.schemas import AccountCreate, ContactCreate


def test_no_account_manager_where_the_policy_has_none() -> None:
    without = [spec for spec in ACCOUNTS if not sla.get_policy(spec["policy"]).has_account_managers]
    assert [spec["policy"] for spec in without] == ["e-shot"]
    for spec in without:
        assert not {"account_manager_name", "account_manager_email"} & spec.keys()
        # Nobody is a representative there, so someone is named to get the reports.
        people = [ContactCreate(**person) for person in spec["contacts"]]
        assert [p.email for p in people if p.receives_reports] == ["tom@northwind.example.com"]


def test_every_demo_account_is_a_valid_request() -> None:
    for spec in ACCOUNTS:
        AccountCreate(**{k: v for k, v in spec.items() if k != "contacts"})
        for person in spec["contacts"]:
            ContactCreate(**person)


def test_every_demo_account_has_a_named_administrator_to_tell_of_maintenance() -> None:
    for spec in ACCOUNTS:
        people = [ContactCreate(**person) for person in spec["contacts"]]
        admins = [p for p in people if p.administrator]
        assert admins, spec["name"]
        assert all(" " in p.name for p in admins)  # a person's name, to be greeted by
