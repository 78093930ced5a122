"""A hot fix meets the promises of a hot fix, a maintenance release those of a maintenance
release: e-shot (seed 000) promises P1/P2 final resolution by 'Hot fix release' and P3/P4
initial and final resolution by the 'next maintenance release'."""

from __future__ import annotations

from sla.ticket import ClockState, TicketSla

from .conftest import Z

MONDAY_9 = Z(2026, 11, 16, 9)


def _ticket(priority: str) -> TicketSla:
    ticket = TicketSla.open(policy="e-shot", priority=priority, received_at=MONDAY_9)
    ticket.link_release("R-HOT")
    ticket.link_release("R-MAINT")
    return ticket


def test_the_seed_names_the_release_each_target_waits_for() -> None:
    urgent, medium = _ticket("p1"), _ticket("p3")
    assert urgent.clocks["final_resolution"].release == "hotfix"
    assert urgent.clocks["resolution"].release is None  # 1 working day: a clock, no release
    assert medium.clocks["resolution"].release == "maintenance"
    assert medium.clocks["final_resolution"].release == "maintenance"


def test_a_hot_fix_meets_a_p1_final_resolution_and_a_maintenance_release_does_not() -> None:
    ticket = _ticket("p1")
    assert ticket.release_shipped("R-MAINT", Z(2026, 11, 17, 20), "maintenance") == []
    assert ticket.clocks["final_resolution"].met_at is None
    assert ticket.release_shipped("R-HOT", Z(2026, 11, 18, 20), "hotfix") == ["final_resolution"]
    assert ticket.clocks["final_resolution"].met_at == Z(2026, 11, 18, 20)


def test_a_maintenance_release_meets_p3_resolutions_and_a_hot_fix_does_not() -> None:
    ticket = _ticket("p3")
    assert ticket.release_shipped("R-HOT", Z(2026, 11, 17, 20), "hotfix") == []
    ticket.respond("agent", Z(2026, 11, 17, 21))
    ticket.resolve(Z(2026, 11, 17, 22))
    ticket.close(Z(2026, 11, 17, 23), representative_agreed=False)
    assert not ticket.finished  # the maintenance release is still owed
    met = ticket.release_shipped("R-MAINT", Z(2026, 11, 25, 20), "maintenance")
    assert sorted(met) == ["final_resolution", "resolution"]
    assert ticket.clock_state("final_resolution") is ClockState.MET
    assert ticket.finished


def test_a_shipment_from_before_releases_said_their_kind_meets_every_release_target() -> None:
    # A release workflow already running when kinds were checked signals no kind.
    ticket = _ticket("p1")
    assert ticket.release_shipped("R-MAINT", Z(2026, 11, 17, 20)) == ["final_resolution"]
