"""What continue-as-new carries: a versioned shape of its own, that still reads version 1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sla
from sla.complaint import ComplaintSla
from sla.ticket import TicketSla
from workflows.complaint_messages import ComplaintCarry, LetterView
from workflows.ticket_messages import TicketCarry

MONDAY_10 = datetime(2026, 11, 16, 10, 0, tzinfo=UTC)


def lived_ticket() -> TicketSla:
    """An e-shot P2 ticket with a warning, a pause still running, a breach and a release."""
    ticket = TicketSla.open(
        policy="e-shot",
        priority="p2",
        received_at=MONDAY_10,
        terms=sla.PolicySnapshot.of(sla.get_policy("e-shot")),
    )
    for action in ticket.due_actions(MONDAY_10 + timedelta(hours=1, minutes=35)):
        ticket.record(action)
    ticket.link_release("rel-1")
    ticket.wait(MONDAY_10 + timedelta(hours=1, minutes=40))
    assert ticket.paused and ticket.clocks["first_response"].warned
    return ticket


def lived_complaint() -> ComplaintSla:
    complaint = ComplaintSla.open(
        regime="standard",
        jurisdiction="scotland",
        received_at=MONDAY_10,
        terms=sla.RegimeSnapshot.of("standard", "scotland"),
    )
    later = MONDAY_10 + timedelta(days=6)
    for action in complaint.due_actions(later):
        complaint.record(action)
    complaint.extend(later, "waiting for the bank", complaint.reply_due + timedelta(days=7))
    assert complaint.clocks["acknowledgement"].reminded
    return complaint


def test_a_ticket_carry_is_version_2_and_restores_the_same_state() -> None:
    ticket = lived_ticket()
    carry = TicketCarry.of(
        ticket,
        assignee=("Alex", "alex@pledge.example.com"),
        record_version=7,
        seq=5,
        opened_at=MONDAY_10,
    )
    sent = carry.model_dump(mode="json")
    assert sent["version"] == 2 and sent["record_version"] == 7
    assert sent["terms"]["digest"] == ticket.terms.digest  # type: ignore[union-attr]
    received = TicketCarry.model_validate_json(carry.model_dump_json())
    assert received.restore() == ticket
    assert received.restore().remaining("first_response", MONDAY_10 + timedelta(days=1)) == (
        ticket.remaining("first_response", MONDAY_10 + timedelta(days=1))
    )


def test_a_version_1_ticket_carry_is_still_read() -> None:
    ticket = lived_ticket()
    # What the code before version 2 wrote: TicketSla itself, then the record version.
    v1 = {
        "sla": ticket.model_dump(mode="json", exclude={"terms"}),
        "assignee_name": "Alex",
        "assignee_email": None,
        "version": 7,
        "seq": 5,
        "opened_at": MONDAY_10.isoformat(),
    }
    carry = TicketCarry.model_validate(v1)
    assert (carry.version, carry.record_version, carry.seq, carry.terms) == (2, 7, 5, None)
    restored = carry.restore()
    assert restored == ticket.model_copy(update={"terms": None})
    assert restored.due("first_response") == ticket.due("first_response")


def test_a_complaint_carry_is_version_2_and_restores_the_same_state() -> None:
    complaint = lived_complaint()
    letters = [LetterView(id="C-1:3", kind="holding_response", sent_at=MONDAY_10)]
    carry = ComplaintCarry.of(
        complaint,
        handler=("Hana", "hana@pledge.example.com"),
        record_version=4,
        seq=3,
        opened_at=MONDAY_10,
        letters=letters,
    )
    received = ComplaintCarry.model_validate_json(carry.model_dump_json())
    assert received.version == 2 and received.letters == letters
    assert received.restore() == complaint
    assert received.restore().reply_due == complaint.reply_due


def test_a_version_1_complaint_carry_is_still_read() -> None:
    complaint = lived_complaint()
    v1 = {
        "sla": complaint.model_dump(mode="json", exclude={"terms"}),
        "handler_name": "Hana",
        "handler_email": None,
        "version": 4,
        "seq": 3,
        "opened_at": MONDAY_10.isoformat(),
        "letters": [],
    }
    carry = ComplaintCarry.model_validate(v1)
    assert (carry.version, carry.record_version, carry.terms) == (2, 4, None)
    assert carry.restore() == complaint.model_copy(update={"terms": None})
