"""Complaint clocks, hand-computed: each nation's holidays, Christmas, Easter, DST, months."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sla.complaint import (
    Breach,
    ClockState,
    ComplaintSla,
    ComplaintStatus,
    InvalidExtension,
    Refused,
    Remind,
)
from sla.regimes import REGIME_KEYS, UnknownJurisdiction, UnknownRegime, get_regime, load_regimes
from sla.regimes import Extension as ExtensionRule
from sla.snapshot import RegimeSnapshot, _regime_digest

from .conftest import Z


def standard(received: datetime, jurisdiction: str = "england-and-wales") -> ComplaintSla:
    return ComplaintSla.open(regime="standard", jurisdiction=jurisdiction, received_at=received)


def test_the_design_example() -> None:
    complaint = standard(Z(2026, 11, 16, 10))
    assert complaint.acknowledgement_due == Z(2026, 11, 24)
    assert complaint.reply_due == Z(2026, 12, 15)


@pytest.mark.parametrize(
    ("jurisdiction", "received", "ack", "reply"),
    [
        # Christmas: Fri 25 Dec and Mon 28 Dec (Boxing Day substitute); New Year's Day Friday.
        ("england-and-wales", Z(2026, 12, 18, 15), Z(2026, 12, 30), Z(2027, 1, 21)),
        # Scotland also closes Mon 4 Jan 2027 (2 January's substitute): one day later.
        ("scotland", Z(2026, 12, 18, 15), Z(2026, 12, 30), Z(2027, 1, 22)),
        # Easter 2026 in summer time: E&W closes Good Friday and Easter Monday...
        ("england-and-wales", Z(2026, 4, 1, 10), Z(2026, 4, 10, 23), None),
        # ...Scotland only Good Friday.
        ("scotland", Z(2026, 4, 1, 10), Z(2026, 4, 9, 23), None),
        # Spring forward (29 March): the due is midnight BST, 23:00 UTC.
        ("england-and-wales", Z(2026, 3, 23, 10), Z(2026, 3, 30, 23), None),
        # Fall back (25 October): midnight GMT again.
        ("england-and-wales", Z(2026, 10, 19, 10), Z(2026, 10, 27), None),
        # Northern Ireland: the Battle of the Boyne, observed Mon 13 July.
        ("northern-ireland", Z(2026, 7, 10, 10), Z(2026, 7, 20, 23), None),
        ("england-and-wales", Z(2026, 7, 10, 10), Z(2026, 7, 17, 23), None),
        # St Patrick's Day, Tue 17 March, only in Northern Ireland: day 5 is Tue 24th there,
        # Mon 23rd in England.
        ("northern-ireland", Z(2026, 3, 16, 10), Z(2026, 3, 25), None),
        ("england-and-wales", Z(2026, 3, 16, 10), Z(2026, 3, 24), None),
        # Scotland: St Andrew's Day, Mon 30 November.
        ("scotland", Z(2026, 11, 27, 10), Z(2026, 12, 8), None),
        ("england-and-wales", Z(2026, 11, 27, 10), Z(2026, 12, 5), None),
        # Any part of the UK: the union, so Scotland's Mon 3 August holiday counts too: days
        # 1-5 are Tue 4th to Mon 10th.
        ("any-uk", Z(2026, 7, 31, 10), Z(2026, 8, 10, 23), None),
        ("england-and-wales", Z(2026, 7, 31, 10), Z(2026, 8, 7, 23), None),
    ],
)
def test_hand_computed_standard_deadlines(jurisdiction, received, ack, reply) -> None:
    complaint = standard(received, jurisdiction)
    assert complaint.acknowledgement_due == ack
    if reply is not None:
        assert complaint.reply_due == reply


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # no 31 February: the last day, Saturday 28th, moves to Monday 2 March (ICO)
        (Z(2026, 1, 31, 10), Z(2026, 3, 3)),
        (Z(2028, 1, 29, 10), Z(2028, 3, 1)),  # leap year: 29 February exists
        (Z(2027, 1, 30, 10), Z(2027, 3, 2)),  # 30 January -> Sunday 28 February -> 1 March
        # 25 November -> Christmas Day, then Boxing Day's Monday -> Tuesday 29 December
        (Z(2026, 11, 25, 10), Z(2026, 12, 30)),
        (Z(2026, 3, 31, 10), Z(2026, 4, 30, 23)),  # 31 March -> 30 April, in summer time
        (Z(2026, 8, 29, 10), Z(2026, 9, 29, 23)),  # an ordinary 29th
    ],
)
def test_subject_access_requests_run_one_calendar_month(received, due) -> None:
    complaint = ComplaintSla.open(
        regime="sar", jurisdiction="england-and-wales", received_at=received
    )
    assert complaint.acknowledgement_due is None
    assert complaint.reply_due == due


def test_a_subject_access_extension_is_once_and_at_most_two_months() -> None:
    complaint = ComplaintSla.open(
        regime="sar", jurisdiction="england-and-wales", received_at=Z(2026, 3, 31, 10)
    )
    # Due end of Thursday 30 April; a further two months reaches the end of 30 June (BST).
    assert complaint.reply_due == Z(2026, 4, 30, 23)
    with pytest.raises(InvalidExtension, match="2026-06-30T23:00:00"):
        complaint.extend(Z(2026, 4, 10), "complex", Z(2026, 7, 1, 23))
    complaint.extend(Z(2026, 4, 10), "complex", Z(2026, 6, 30, 23))
    assert complaint.reply_due == Z(2026, 6, 30, 23)
    with pytest.raises(Refused, match="1 extension"):
        complaint.extend(Z(2026, 4, 11), "again", Z(2026, 6, 30, 23, 30))


def test_fca_summary_resolution_and_an_eight_week_letter_that_moves_nothing() -> None:
    complaint = ComplaintSla.open(
        regime="fca", jurisdiction="england-and-wales", received_at=Z(2026, 11, 16, 10)
    )
    # The close of the third business day: end of Thu 19 November.
    assert complaint.acknowledgement_due == Z(2026, 11, 20)
    # Eight weeks: end of Mon 11 January 2027.
    assert complaint.reply_due == Z(2027, 1, 12)
    # The eight-week letter says when the final response is expected; the deadline stands,
    # so a final response after it is late.
    held = complaint.extend(Z(2027, 1, 8), "waiting for the insurer", Z(2027, 2, 1))
    assert (held.previous_due, held.new_due, held.in_time) == (Z(2027, 1, 12), Z(2027, 2, 1), True)
    assert complaint.reply_due == Z(2027, 1, 12)
    with pytest.raises(InvalidExtension, match="later than 2027-02-01"):
        complaint.extend(Z(2027, 1, 9), "again", Z(2027, 1, 20))
    complaint.extend(Z(2027, 1, 9), "still waiting", Z(2027, 2, 15))
    assert complaint.reply_due == Z(2027, 1, 12)
    complaint.reply(Z(2027, 1, 20))
    assert complaint.reply_kept() is False


def test_an_fca_complaint_logged_under_the_old_terms_still_refuses_extensions() -> None:
    # The FCA regime as snapshotted before its eight-week letter was allowed.
    today = RegimeSnapshot.of("fca", "england-and-wales")
    old = get_regime("fca").model_copy(update={"extension": ExtensionRule(allowed=False)})
    data = old.model_dump(mode="json")
    terms = RegimeSnapshot(
        key="fca",
        jurisdiction="england-and-wales",
        digest=_regime_digest(data, today.calendar),
        regime=data,
        calendar=today.calendar,
    )
    complaint = ComplaintSla.open(
        regime="fca",
        jurisdiction="england-and-wales",
        received_at=Z(2026, 11, 16, 10),
        terms=terms,
    )
    with pytest.raises(Refused, match="does not allow extending"):
        complaint.extend(Z(2026, 12, 1), "busy", Z(2027, 2, 1))


def test_housing_stage_1_counts_the_response_from_the_acknowledgement() -> None:
    complaint = ComplaintSla.open(
        regime="housing-stage-1", jurisdiction="england-and-wales", received_at=Z(2026, 11, 16, 10)
    )
    assert complaint.acknowledgement_due == Z(2026, 11, 24)
    # Not yet acknowledged: 10 working days after the acknowledgement's last day (Mon 23).
    assert complaint.reply_due == Z(2026, 12, 8)
    complaint.acknowledge(Z(2026, 11, 18, 14))
    # Acknowledged Wednesday 18th: 10 working days later is Wed 2 December.
    assert complaint.reply_due == Z(2026, 12, 3)
    # At most 10 more working days after the 2nd: the end of Wed 16 December.
    with pytest.raises(InvalidExtension, match="2026-12-17"):
        complaint.extend(Z(2026, 12, 1), "contractor", Z(2026, 12, 18))
    complaint.extend(Z(2026, 12, 1), "contractor", Z(2026, 12, 17))


def test_housing_stage_2_gives_twenty_days() -> None:
    complaint = ComplaintSla.open(
        regime="housing-stage-2", jurisdiction="england-and-wales", received_at=Z(2026, 11, 16, 10)
    )
    complaint.acknowledge(Z(2026, 11, 18, 14))
    assert complaint.reply_due == Z(2026, 12, 17)  # Wed 16 December, 20 working days on


def test_extensions_must_move_the_date_later() -> None:
    complaint = standard(Z(2026, 11, 16, 10))
    with pytest.raises(InvalidExtension, match="later than the current one"):
        complaint.extend(Z(2026, 12, 1), "why", Z(2026, 12, 14))
    extension = complaint.extend(Z(2026, 12, 1), "expert report", Z(2027, 1, 8))
    assert extension.in_time and complaint.reply_due == Z(2027, 1, 8)


def test_reminders_two_working_days_before_then_breaches() -> None:
    complaint = standard(Z(2026, 11, 16, 10))
    # The acknowledgement is due by the end of Mon 23 November: remind Thu 19th at 09:00.
    assert complaint.reminder_at(Z(2026, 11, 24)) == Z(2026, 11, 19, 9)
    assert complaint.next_wake(Z(2026, 11, 16, 10)) == Z(2026, 11, 19, 9)
    actions = complaint.due_actions(Z(2026, 11, 19, 9))
    assert actions == [Remind(clock="acknowledgement", at=Z(2026, 11, 19, 9), due=Z(2026, 11, 24))]
    complaint.record(actions[0])
    assert complaint.due_actions(Z(2026, 11, 20)) == []
    breach = complaint.due_actions(Z(2026, 11, 24))
    assert breach == [Breach(clock="acknowledgement", due=Z(2026, 11, 24))]
    complaint.record(breach[0])
    assert complaint.overdue and complaint.clocks["acknowledgement"].state is ClockState.BREACHED
    # Still owed, so still the next thing due on the handler's board.
    assert complaint.next_due() == Z(2026, 11, 24)
    complaint.acknowledge(Z(2026, 11, 25, 9))
    # Sent late: the clock stays breached (the figures count it late) but nothing is overdue,
    # and the reply is what is due next.
    assert complaint.clocks["acknowledgement"].state is ClockState.BREACHED
    assert not complaint.overdue
    assert complaint.next_due() == complaint.reply_due == Z(2026, 12, 15)


def test_the_reply_counts_as_acknowledgement_and_close_then_reopen() -> None:
    complaint = standard(Z(2026, 11, 16, 10))
    with pytest.raises(Refused, match="send the full reply first"):
        complaint.close(Z(2026, 11, 17))
    assert complaint.reply(Z(2026, 11, 20, 12)) == ["acknowledgement", "reply"]
    assert complaint.clocks["acknowledgement"].state is ClockState.MET
    assert complaint.reply_kept() is True
    complaint.close(Z(2026, 11, 21))
    with pytest.raises(Refused, match="cannot extend a complaint that is closed"):
        complaint.extend(Z(2026, 11, 22), "x", Z(2027, 1, 1))
    complaint.reopen(Z(2026, 11, 23, 10))
    assert complaint.status is ComplaintStatus.REOPENED
    assert complaint.reply_due == Z(2026, 12, 22)  # 20 working days from Mon 23rd
    assert complaint.clocks["reply"].state is ClockState.RUNNING


def test_a_late_extension_does_not_keep_the_promise() -> None:
    complaint = standard(Z(2026, 11, 16, 10))
    complaint.acknowledge(Z(2026, 11, 17))
    complaint.record(Breach(clock="reply", due=Z(2026, 12, 15)))
    complaint.extend(Z(2026, 12, 16), "sorry", Z(2027, 1, 8))
    complaint.reply(Z(2027, 1, 5))
    assert complaint.reply_kept() is False


def test_every_regime_loads_and_lookups_name_the_known_ones() -> None:
    assert set(load_regimes()) == set(REGIME_KEYS)
    with pytest.raises(UnknownRegime, match="standard, housing-stage-1"):
        ComplaintSla.open(regime="ombudsman", jurisdiction="scotland", received_at=Z(2026, 1, 5))
    with pytest.raises(UnknownJurisdiction, match="england-and-wales, scotland"):
        ComplaintSla.open(regime="standard", jurisdiction="wales", received_at=Z(2026, 1, 5))


def test_state_survives_serialisation() -> None:
    complaint = standard(datetime(2026, 11, 16, 10, tzinfo=UTC))
    complaint.extend(Z(2026, 12, 1), "x", Z(2027, 1, 8))
    assert ComplaintSla.model_validate_json(complaint.model_dump_json()) == complaint


def test_reopening_keeps_the_extensions_granted() -> None:
    complaint = standard(Z(2026, 11, 16, 10))
    complaint.acknowledge(Z(2026, 11, 17))
    complaint.extend(Z(2026, 12, 1), "waiting for the contractor", Z(2027, 1, 30))
    complaint.reply(Z(2026, 12, 10))
    complaint.close(Z(2026, 12, 11))
    # Reopened before the date the complainant was given: 20 working days from Mon 14th
    # (the end of Thu 14 January, past the Christmas bank holidays) would be earlier, so the
    # extension's date stands.
    complaint.reopen(Z(2026, 12, 14, 10))
    assert [e.reason for e in complaint.extensions] == ["waiting for the contractor"]
    assert complaint.reply_due == Z(2027, 1, 30)
    assert complaint.original_reply_due() == Z(2027, 1, 15)
    # A further extension moves it on from there.
    complaint.extend(Z(2027, 1, 20), "a second survey", Z(2027, 2, 10))
    assert complaint.reply_due == Z(2027, 2, 10)
    assert len(complaint.extensions) == 2


def test_a_reopening_after_the_extended_date_counts_from_the_reopening() -> None:
    complaint = standard(Z(2026, 11, 16, 10))
    complaint.extend(Z(2026, 12, 1), "waiting", Z(2026, 12, 20))
    complaint.reply(Z(2026, 12, 10))
    complaint.close(Z(2026, 12, 11))
    complaint.reopen(Z(2027, 2, 1, 10))
    assert len(complaint.extensions) == 1
    assert complaint.reply_due == complaint.original_reply_due() == Z(2027, 3, 2)


def test_a_reopened_subject_access_request_keeps_its_one_extension() -> None:
    complaint = ComplaintSla.open(
        regime="sar", jurisdiction="england-and-wales", received_at=Z(2026, 1, 31, 10)
    )
    complaint.extend(Z(2026, 2, 10), "complex", Z(2026, 4, 28, 23))
    complaint.reply(Z(2026, 3, 2))
    complaint.close(Z(2026, 3, 3))
    complaint.reopen(Z(2026, 3, 10))
    assert complaint.reply_due == Z(2026, 4, 28, 23)
    with pytest.raises(Refused, match="1 extension"):
        complaint.extend(Z(2026, 3, 11), "again", Z(2026, 5, 10))


def test_complaints_reopened_before_replay_dropping_their_extensions() -> None:
    complaint = standard(Z(2026, 11, 16, 10))
    complaint.extend(Z(2026, 12, 1), "waiting", Z(2027, 1, 30))
    complaint.reply(Z(2026, 12, 10))
    complaint.close(Z(2026, 12, 11))
    complaint.reopen(Z(2026, 12, 14, 10), keep_extensions=False)
    assert complaint.extensions == []
    assert complaint.reply_due == Z(2027, 1, 15)
