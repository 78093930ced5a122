"""A ticket's SLA state machine, hand-computed on the seed policies."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sla.ticket import (
    Breach,
    ClockState,
    Refused,
    TicketSla,
    TicketStatus,
    TicketType,
    Warn,
)

from .conftest import Z

THURSDAY_5PM = Z(2026, 11, 19, 17)


def spotler_high(at: datetime = THURSDAY_5PM) -> TicketSla:
    return TicketSla.open(policy="spotler", priority="high", received_at=at)


def test_opening_computes_every_clock() -> None:
    ticket = spotler_high()
    assert ticket.due("first_response") == Z(2026, 11, 19, 18)
    assert ticket.due("resolution") == Z(2026, 11, 20, 15, 30)
    assert ticket.clock_state("first_response") is ClockState.RUNNING
    assert ticket.next_due() == Z(2026, 11, 19, 18)


def test_warning_then_breach_each_once_and_the_breach_escalates() -> None:
    ticket = spotler_high()
    assert ticket.next_wake(Z(2026, 11, 19, 17)) == Z(2026, 11, 19, 17, 45)
    assert ticket.due_actions(Z(2026, 11, 19, 17, 44)) == []
    warn = ticket.due_actions(Z(2026, 11, 19, 17, 45))
    assert warn == [
        Warn(clock="first_response", at=Z(2026, 11, 19, 17, 45), due=Z(2026, 11, 19, 18))
    ]
    ticket.record(warn[0])
    assert ticket.due_actions(Z(2026, 11, 19, 17, 50)) == []
    breach = ticket.due_actions(Z(2026, 11, 19, 18))
    assert breach == [Breach(clock="first_response", due=Z(2026, 11, 19, 18))]
    ticket.record(breach[0])
    assert ticket.line == 2
    assert ticket.clock_state("first_response") is ClockState.BREACHED
    assert ticket.due_actions(Z(2026, 11, 19, 18, 1)) == []
    # The resolution warns at 6 of its 8 business hours: 1 on Thursday, 5 on Friday.
    assert ticket.next_wake(Z(2026, 11, 19, 18)) == Z(2026, 11, 20, 13, 30)
    assert ticket.breached


def test_a_ticket_logged_after_its_deadlines_breaches_at_once() -> None:
    ticket = spotler_high(at=Z(2026, 11, 2, 9))
    actions = ticket.due_actions(Z(2026, 11, 19, 12))
    assert {(type(a), a.clock) for a in actions} == {
        (Breach, "first_response"),
        (Breach, "resolution"),
    }


def test_first_agent_reply_meets_first_response() -> None:
    ticket = spotler_high()
    assert ticket.respond("customer", Z(2026, 11, 19, 17, 10)) == []
    assert ticket.respond("agent", Z(2026, 11, 19, 17, 30)) == ["first_response"]
    assert ticket.respond("agent", Z(2026, 11, 19, 17, 40)) == []
    assert ticket.first_response_at == Z(2026, 11, 19, 17, 30)
    assert ticket.clock_state("first_response") is ClockState.MET
    assert ticket.next_due() == Z(2026, 11, 20, 15, 30)


def test_a_late_reply_leaves_the_clock_breached() -> None:
    ticket = spotler_high()
    ticket.record(Breach(clock="first_response", due=Z(2026, 11, 19, 18)))
    ticket.respond("agent", Z(2026, 11, 20, 9))
    assert ticket.clock_state("first_response") is ClockState.BREACHED


def test_spotler_regrades_high_to_medium_and_marks_delayed() -> None:
    ticket = spotler_high(at=Z(2026, 11, 16, 9))
    assert ticket.wait(Z(2026, 11, 16, 10)) == "regraded"
    assert (ticket.priority, ticket.status) == ("medium", TicketStatus.DELAYED)
    # Medium from receipt: 16 business hours from Monday 09:00 is Tuesday 15:30.
    assert ticket.due("resolution") == Z(2026, 11, 17, 15, 30)
    assert not ticket.paused
    ticket.resume(Z(2026, 11, 16, 12))
    assert (ticket.priority, ticket.status) == ("medium", TicketStatus.OPEN)


def test_spotler_low_pauses_instead() -> None:
    ticket = TicketSla.open(policy="spotler", priority="low", received_at=Z(2026, 11, 16, 9))
    assert ticket.wait(Z(2026, 11, 16, 10)) == "paused"
    assert ticket.status is TicketStatus.WAITING


def test_pausing_carries_the_remaining_business_time_to_the_resume() -> None:
    # e-shot P2: 2 business hours to respond, from Monday 09:00; paused at 09:30.
    ticket = TicketSla.open(policy="e-shot", priority="p2", received_at=Z(2026, 11, 16, 9))
    assert ticket.due("first_response") == Z(2026, 11, 16, 11)
    assert ticket.wait(Z(2026, 11, 16, 9, 30)) == "paused"
    assert ticket.clock_state("first_response") is ClockState.PAUSED
    assert ticket.due("first_response") is None
    assert ticket.remaining("first_response", Z(2026, 11, 16, 16)) == timedelta(hours=1, minutes=30)
    assert ticket.due_actions(Z(2026, 11, 18)) == []
    # Resumed Tuesday 17:00: 1 of the 1.5 hours left fits before 18:00, the rest Wednesday.
    ticket.resume(Z(2026, 11, 17, 17))
    assert ticket.due("first_response") == Z(2026, 11, 18, 9)
    assert ticket.clock_state("first_response") is ClockState.RUNNING


def test_a_customer_reply_reopens_a_delayed_ticket() -> None:
    ticket = spotler_high(at=Z(2026, 11, 16, 9))
    ticket.wait(Z(2026, 11, 16, 10))
    ticket.respond("customer", Z(2026, 11, 16, 11))
    assert (ticket.status, ticket.priority) == (TicketStatus.OPEN, "medium")


def test_a_customer_reply_resumes_a_waiting_ticket() -> None:
    ticket = TicketSla.open(policy="e-shot", priority="p2", received_at=Z(2026, 11, 16, 9))
    ticket.wait(Z(2026, 11, 16, 9, 30))
    ticket.respond("customer", Z(2026, 11, 16, 10))
    assert ticket.status is TicketStatus.OPEN
    assert ticket.due("first_response") == Z(2026, 11, 16, 11, 30)


def test_priority_change_recomputes_from_receipt_excluding_paused_time() -> None:
    ticket = TicketSla.open(policy="e-shot", priority="p4", received_at=Z(2026, 11, 16, 9))
    ticket.wait(Z(2026, 11, 16, 9, 30))
    ticket.resume(Z(2026, 11, 16, 10, 30))
    ticket.change_priority("p1", Z(2026, 11, 16, 11))
    # P1: 1 business hour from 09:00 plus the hour paused.
    assert ticket.due("first_response") == Z(2026, 11, 16, 11)
    # P1's initial resolution: 1 working day, plus the paused hour.
    assert ticket.due("resolution") == Z(2026, 11, 17, 10)


def test_priority_change_can_lift_a_breach_that_no_longer_applies() -> None:
    ticket = TicketSla.open(policy="spotler", priority="high", received_at=Z(2026, 11, 16, 9))
    ticket.record(Breach(clock="resolution", due=Z(2026, 11, 16, 17)))
    ticket.change_priority("low", Z(2026, 11, 16, 17, 5))
    assert ticket.clock_state("resolution") is ClockState.RUNNING
    assert ticket.due("resolution") == Z(2026, 11, 30, 9)


def test_resolve_close_and_the_representative_rule() -> None:
    ticket = TicketSla.open(policy="essensys", priority="p2", received_at=Z(2026, 11, 16, 9))
    with pytest.raises(Refused, match="resolve it first"):
        ticket.close(Z(2026, 11, 16, 10), representative_agreed=True)
    assert ticket.resolve(Z(2026, 11, 16, 10)) == ["first_response", "resolution"]
    with pytest.raises(Refused, match="authorised representative"):
        ticket.close(Z(2026, 11, 16, 11), representative_agreed=False)
    ticket.close(Z(2026, 11, 16, 11), representative_agreed=True)
    assert ticket.status is TicketStatus.CLOSED and ticket.finished


def test_reopen_runs_the_resolution_clock_again() -> None:
    ticket = spotler_high(at=Z(2026, 11, 16, 9))
    ticket.resolve(Z(2026, 11, 16, 10))
    ticket.reopen(Z(2026, 11, 16, 11))
    assert ticket.status is TicketStatus.OPEN
    assert ticket.clock_state("resolution") is ClockState.RUNNING
    assert ticket.clock_state("first_response") is ClockState.MET
    ticket.resolve(Z(2026, 11, 16, 12))
    ticket.close(Z(2026, 11, 16, 13), representative_agreed=False)
    with pytest.raises(Refused, match="open a new ticket"):
        ticket.reopen(Z(2026, 11, 16, 14))


def test_releases_meet_the_release_promises() -> None:
    ticket = TicketSla.open(policy="e-shot", priority="p3", received_at=Z(2026, 11, 16, 9))
    assert ticket.clocks["resolution"].kind == "release"
    ticket.link_release("R1")
    ticket.respond("agent", Z(2026, 11, 16, 9, 30))
    ticket.resolve(Z(2026, 11, 16, 10))
    ticket.close(Z(2026, 11, 16, 11), representative_agreed=False)
    assert not ticket.finished  # the maintenance release is still owed
    assert sorted(ticket.release_shipped("R1", Z(2026, 11, 20, 20))) == [
        "final_resolution",
        "resolution",
    ]
    assert ticket.finished


def test_enhancements_and_advice_carry_no_clock() -> None:
    ticket = TicketSla.open(
        policy="spotler", priority="low", received_at=Z(2026, 11, 16, 9), type=TicketType.ADVICE
    )
    assert ticket.clocks == {}
    assert ticket.next_due() is None
    assert TicketType.ADVICE.route_to == "account_manager"
    assert TicketType.ENHANCEMENT.route_to == "development"


@pytest.mark.parametrize(
    ("setup", "action", "words"),
    [
        (lambda t: t.wait(Z(2026, 11, 16, 10)), lambda t: t.wait(Z(2026, 11, 16, 11)), "already"),
        (lambda t: None, lambda t: t.resume(Z(2026, 11, 16, 11)), "not waiting"),
        (lambda t: (t.escalate(), t.escalate()), lambda t: t.escalate(), "last one"),
        (lambda t: None, lambda t: t.change_priority("low", Z(2026, 11, 16, 11)), "already low"),
        (
            lambda t: None,
            lambda t: t.reopen(Z(2026, 11, 16, 11)),
            "cannot reopen a ticket that is open",
        ),
    ],
)
def test_refusals_say_why(setup, action, words) -> None:
    ticket = TicketSla.open(policy="spotler", priority="low", received_at=Z(2026, 11, 16, 9))
    setup(ticket)
    with pytest.raises(Refused, match=words):
        action(ticket)


def test_state_survives_serialisation() -> None:
    ticket = spotler_high()
    ticket.wait(Z(2026, 11, 19, 17, 10))
    again = TicketSla.model_validate_json(ticket.model_dump_json())
    assert again == ticket
