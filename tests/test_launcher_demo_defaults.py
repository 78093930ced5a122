"""Who `make run`'s demo speaks as: a company's name, not the product's, and a complaints
manager to post letters to complainants without e-mail; never over what is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import run
from settings import Settings

VARIABLES = [variable for variable, _ in run.DEMO_DEFAULTS.values()]


@pytest.fixture
def environment() -> Iterator[None]:
    """The launcher hands the values to its children through os.environ: put them back."""
    before = {name: os.environ.get(name) for name in VARIABLES}
    for name in VARIABLES:
        os.environ.pop(name, None)
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def test_the_demo_writes_as_a_company_not_as_the_product(
    tmp_path: Path, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    launcher = run.Launcher(Settings(data_dir=tmp_path, demo_data=True), embedded_temporal=True)
    launcher.use_demo_defaults()
    settings = launcher.settings
    for words in (settings.organisation_name, settings.mail_from):
        assert "pledge" not in words.lower()
    assert settings.complaints_manager_email == "complaints@example.com"
    assert settings.mail_from.endswith("@example.com>")
    # The demo's monitors of our own services probe Pledge on this machine: allowed in the
    # demo only (below: not without demo data).
    assert settings.allowed_monitor_hosts == frozenset({"127.0.0.1"})
    # The API and the worker the launcher starts read the same values.
    children = Settings()
    assert children.organisation_name == settings.organisation_name
    assert children.mail_from == settings.mail_from
    assert children.complaints_manager_email == settings.complaints_manager_email
    assert children.allowed_monitor_hosts == settings.allowed_monitor_hosts
    said = capsys.readouterr().out
    assert f"the demo writes as {settings.mail_from}" in said and "PLEDGE_ORGANISATION" in said


def test_what_is_set_is_kept_and_without_demo_data_nothing_is_added(
    tmp_path: Path, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ["PLEDGE_ORGANISATION"] = "Acme Support"
    launcher = run.Launcher(Settings(data_dir=tmp_path, demo_data=True), embedded_temporal=True)
    launcher.use_demo_defaults()
    assert launcher.settings.organisation_name == "Acme Support"
    assert "PLEDGE_ORGANISATION" not in capsys.readouterr().out  # only what it set is said
    for name in VARIABLES:
        os.environ.pop(name, None)

    bare = run.Launcher(Settings(data_dir=tmp_path, demo_data=False), embedded_temporal=True)
    bare.use_demo_defaults()
    assert bare.settings.organisation_name == "Pledge Customer Success"
    assert bare.settings.complaints_manager_email is None
    assert bare.settings.allowed_monitor_hosts == frozenset()
    assert not any(name in os.environ for name in VARIABLES)
    assert capsys.readouterr().out == ""


async def test_the_demo_admin_signs_as_a_person_and_keeps_the_sign_in_address(session) -> None:  # type: ignore[no-untyped-def]
    import secrets as random

    from api.bootstrap import BOOTSTRAP_NAME, ensure_bootstrap_user
    from services import users
    from services.maintenance import _signer

    assert run.DEMO_ADMIN_NAME != BOOTSTRAP_NAME and " " in run.DEMO_ADMIN_NAME
    email = f"admin-{random.token_hex(3)}@example.com"
    settings = Settings(bootstrap_admin_email=email, bootstrap_admin_password=random.token_hex(8))
    made = await ensure_bootstrap_user(session, settings, run.DEMO_ADMIN_NAME)
    user = await users.find_by_email(session, email)
    assert made.email == email and user is not None
    assert user.full_name == "Alex Morgan"
    assert _signer(users.principal_of(user)) == "Alex Morgan"
    # Outside the demo the placeholder is kept, and nothing is signed with it.
    user.full_name = BOOTSTRAP_NAME
    assert _signer(users.principal_of(user)) == ""
