"""What `make run` says about the team address that hears unassigned warnings and breaches."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import run
from settings import Settings


@pytest.fixture
def environment() -> Iterator[None]:
    """The launcher hands the address to its children through os.environ: put it back."""
    before = os.environ.get("PLEDGE_TEAM_EMAIL")
    yield
    if before is None:
        os.environ.pop("PLEDGE_TEAM_EMAIL", None)
    else:
        os.environ["PLEDGE_TEAM_EMAIL"] = before


def test_the_demo_gets_a_team_address(
    tmp_path: Path, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    launcher = run.Launcher(Settings(data_dir=tmp_path, demo_data=True), embedded_temporal=True)
    launcher.ensure_team_address()
    said = capsys.readouterr().out
    assert f"pledge: team address for the demo: {run.DEMO_TEAM_EMAIL}" in said
    assert "warning" not in said
    assert os.environ["PLEDGE_TEAM_EMAIL"] == launcher.settings.team_email == run.DEMO_TEAM_EMAIL
    assert run.DEMO_TEAM_EMAIL.endswith("@example.com")
    banner = run.banner(launcher.settings, True, "k", "generated")
    assert f"Team address    {run.DEMO_TEAM_EMAIL}" in banner


def test_no_team_address_is_said_plainly(
    tmp_path: Path, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ.pop("PLEDGE_TEAM_EMAIL", None)
    launcher = run.Launcher(Settings(data_dir=tmp_path, demo_data=False), embedded_temporal=True)
    launcher.ensure_team_address()
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("pledge: warning: no team address is set")
    assert "PLEDGE_TEAM_EMAIL" in said[0] and "e-shot" in said[0]
    assert "PLEDGE_TEAM_EMAIL" not in os.environ
    assert "none: unassigned breaches go unheard" in run.banner(
        launcher.settings, True, "k", "generated"
    )


def test_a_configured_team_address_is_kept(
    tmp_path: Path, environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(data_dir=tmp_path, demo_data=True, team_email="help@corp.example.com")
    launcher = run.Launcher(settings, embedded_temporal=True)
    launcher.ensure_team_address()
    assert capsys.readouterr().out == ""
    assert launcher.settings.team_email == "help@corp.example.com"


def test_no_complaints_manager_address_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    launcher = run.Launcher(Settings(data_dir=tmp_path, demo_data=False), embedded_temporal=True)
    launcher.warn_of_unposted_letters()
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("pledge: warning: no complaints manager")
    told = Settings(data_dir=tmp_path, complaints_manager_email="complaints@corp.example.com")
    run.Launcher(told, embedded_temporal=True).warn_of_unposted_letters()
    assert capsys.readouterr().out == ""
