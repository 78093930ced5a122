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


async def test_the_demo_watches_our_own_services_on_this_machine_and_they_answer(
    client,  # type: ignore[no-untyped-def]
) -> None:
    # `make run` seeds these with PLEDGE_MONITOR_ALLOWED_HOSTS=127.0.0.1 (run.DEMO_DEFAULTS):
    # each is a monitor the API accepts then, refused without it, and its page answers 200,
    # so the status page shows them up on a fresh start rather than "No services are watched".
    import pytest

    import run
    from api.demo import OWN_MONITORS
    from api.errors import InvalidInput
    from api.schemas import MonitorCreate
    from services.monitors import check_url
    from settings import Settings

    demo = Settings(monitor_allowed_hosts=run.DEMO_DEFAULTS["monitor_allowed_hosts"][1])
    assert {service for service, _ in OWN_MONITORS} == {"platform", "api"}
    for service, path in OWN_MONITORS:
        url = f"http://127.0.0.1:8000{path}"
        MonitorCreate(service=service, url=url, interval_seconds=60)
        assert check_url(url, demo) == url
        with pytest.raises(InvalidInput):
            check_url(url, Settings(monitor_allowed_hosts=""))
        answer = await client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
