"""A case keeps the terms it was opened under: snapshots, and preset directories edited later."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

import sla
from sla import PolicySnapshot, RegimeSnapshot
from sla.complaint import ComplaintSla
from sla.ticket import TicketSla

PRESETS = Path(sla.__file__).parent / "presets"
REGIMES = Path(sla.__file__).parent / "regimes"
MONDAY_9 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def edit(path: Path, old: str, new: str) -> None:
    """Change a data file the way a person would: its text, saved in place."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def data_dirs(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """Copies of the shipped presets and regimes, read instead of them until the test ends."""
    presets, regimes = tmp_path / "presets", tmp_path / "regimes"
    shutil.copytree(PRESETS, presets)
    shutil.copytree(REGIMES, regimes)
    sla.use_data_dirs(presets, regimes)
    try:
        yield presets, regimes
    finally:
        sla.use_data_dirs(None, None)


def test_a_policy_snapshot_survives_json_and_names_its_version() -> None:
    for policy in sla.load_presets().values():
        snapshot = PolicySnapshot.of(policy)
        again = PolicySnapshot.model_validate_json(snapshot.model_dump_json())
        assert again.digest == snapshot.digest
        assert again.policy() == policy
    eshot, spotler = (PolicySnapshot.of(sla.get_policy(k)) for k in ("e-shot", "spotler"))
    assert eshot.digest != spotler.digest


def test_a_snapshot_whose_data_does_not_match_its_digest_is_refused() -> None:
    snapshot = PolicySnapshot.of(sla.get_policy("spotler"))
    data = snapshot.model_dump(mode="json")
    data["data"]["escalation"] = ["somebody else"]
    with pytest.raises(ValidationError, match="does not match its digest"):
        PolicySnapshot.model_validate(data)
    regime = RegimeSnapshot.of("standard", "scotland").model_dump(mode="json")
    regime["calendar"]["holidays"] = []
    with pytest.raises(ValidationError, match="does not match its digest"):
        RegimeSnapshot.model_validate(regime)


def test_a_ticket_keeps_its_policy_when_the_preset_file_is_edited(
    data_dirs: tuple[Path, Path],
) -> None:
    presets, _ = data_dirs
    kept = TicketSla.open(
        policy="spotler",
        priority="high",
        received_at=MONDAY_9,
        terms=PolicySnapshot.of(sla.get_policy("spotler")),
    )
    legacy = TicketSla.open(policy="spotler", priority="high", received_at=MONDAY_9)
    assert kept.due("first_response") == MONDAY_9 + timedelta(hours=1)

    edit(
        presets / "spotler.toml",
        "[priorities.high.targets.first_response]\namount = 1",
        "[priorities.high.targets.first_response]\namount = 3",
    )
    sla.use_data_dirs(presets, data_dirs[1])  # as a restarted worker reads the files again
    assert sla.get_policy("spotler").priorities["high"].targets["first_response"].amount == 3

    # A JSON round trip stands for a replay or the next run: the terms come from the state.
    for ticket in (kept, TicketSla.model_validate_json(kept.model_dump_json())):
        ticket.recompute()
        assert ticket.due("first_response") == MONDAY_9 + timedelta(hours=1)
        ticket.change_priority("medium", MONDAY_9 + timedelta(minutes=5))
        ticket.change_priority("high", MONDAY_9 + timedelta(minutes=6))
        assert ticket.due("first_response") == MONDAY_9 + timedelta(hours=1)
    # Without a snapshot (a ticket opened before they existed) the edit re-dates it.
    legacy.recompute()
    assert legacy.due("first_response") == MONDAY_9 + timedelta(hours=3)


def test_a_complaint_keeps_its_regime_when_the_regime_file_is_edited(
    data_dirs: tuple[Path, Path],
) -> None:
    presets, regimes = data_dirs
    received = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)  # Monday
    terms = RegimeSnapshot.of("standard", "england-and-wales")
    kept = ComplaintSla.open(
        regime="standard", jurisdiction="england-and-wales", received_at=received, terms=terms
    )
    assert kept.acknowledgement_due == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert kept.reply_due == datetime(2026, 12, 15, 0, 0, tzinfo=UTC)

    edit(regimes / "standard.toml", "amount = 5\n", "amount = 10\n")
    edit(regimes / "standard.toml", "amount = 20\n", "amount = 30\n")
    sla.use_data_dirs(presets, regimes)
    assert sla.regimes.get_regime("standard").acknowledgement.amount == 10

    again = ComplaintSla.model_validate_json(kept.model_dump_json())
    again.acknowledge(datetime(2026, 11, 17, 10, 0, tzinfo=UTC))
    assert again.acknowledgement_due == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert again.reply_due == datetime(2026, 12, 15, 0, 0, tzinfo=UTC)
    assert again.rules().acknowledgement is not None
    assert again.rules().acknowledgement.amount == 5
    fresh = ComplaintSla.open(
        regime="standard", jurisdiction="england-and-wales", received_at=received
    )
    assert fresh.reply_due > again.reply_due  # new complaints get the edited regime


def test_terms_of_another_policy_are_refused() -> None:
    with pytest.raises(ValueError, match="the terms are policy 'e-shot'"):
        TicketSla.open(
            policy="spotler",
            priority="high",
            received_at=MONDAY_9,
            terms=PolicySnapshot.of(sla.get_policy("e-shot")),
        )


def test_a_broken_preset_directory_names_the_file(tmp_path: Path) -> None:
    shutil.copytree(PRESETS, tmp_path / "presets")
    (tmp_path / "presets" / "web-agency.toml").unlink()
    sla.use_data_dirs(tmp_path / "presets", None)
    try:
        with pytest.raises(sla.PolicyError, match="web-agency.toml: cannot read the file"):
            sla.load_presets()
    finally:
        sla.use_data_dirs(None, None)
    assert sla.get_policy("web-agency").key == "web-agency"
