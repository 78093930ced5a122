"""What the API and the complaint workflow say to each other (passed through the sandbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, model_validator

from sla.complaint import ClockState, ComplaintClock, ComplaintSla, ComplaintStatus, Extension
from sla.snapshot import RegimeSnapshot


class ComplaintOpening(BaseModel):
    reference: str
    account_id: int | None
    complainant_name: str
    complainant_email: str | None  # None: only a postal address; letters go by post
    complainant_address: str | None
    summary: str
    channel: str
    jurisdiction: str
    regime: str
    received_at: datetime
    opened_by: str
    handler_name: str | None = None
    handler_email: str | None = None
    handler_title: str | None = None  # signed under the handler's name in letters
    fingerprint: str
    # The regime and jurisdiction's working days as they stand when the complaint is logged,
    # kept for its whole life (sla.snapshot). None only in runs started before snapshots.
    terms: RegimeSnapshot | None = None
    # Which version of the regime `terms` is (policy_versions); None in runs logged before
    # versions were numbered (version 1, the shipped files).
    regime_version: int | None = None

    @model_validator(mode="after")
    def _terms_match(self) -> ComplaintOpening:
        if self.terms is not None and (self.terms.key, self.terms.jurisdiction) != (
            self.regime,
            self.jurisdiction,
        ):
            raise ValueError(
                f"the terms are regime {self.terms.key!r} in {self.terms.jurisdiction!r}, "
                f"not {self.regime!r} in {self.jurisdiction!r}"
            )
        return self


class LetterView(BaseModel):
    id: str
    kind: str
    sent_at: datetime
    delivery: str | None = None  # "email" or "post"; None in runs from before postal letters


# -- continue-as-new ------------------------------------------------------------------------
# As for tickets (workflows/ticket_messages.py): a numbered shape of its own, mapped field by
# field to and from ComplaintSla. Version 1 embedded ComplaintSla itself and is still read.

COMPLAINT_CARRY_VERSION = 2


class ComplaintClockCarry(BaseModel):
    name: Literal["acknowledgement", "reply"]
    due: datetime
    met_at: datetime | None = None
    breached_due: datetime | None = None
    reminded: list[datetime] = []


class ExtensionCarry(BaseModel):
    at: datetime
    reason: str
    previous_due: datetime
    new_due: datetime


class ComplaintClocksCarry(BaseModel):
    """A complaint's statutory state as carried (everything ComplaintSla holds but its terms)."""

    regime: str
    jurisdiction: str
    received_at: datetime
    status: ComplaintStatus = ComplaintStatus.RECEIVED
    acknowledged_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    extensions: list[ExtensionCarry] = []
    clocks: dict[str, ComplaintClockCarry] = {}


class ComplaintCarry(BaseModel):
    """State handed to the next run by continue-as-new."""

    version: Literal[2] = COMPLAINT_CARRY_VERSION
    terms: RegimeSnapshot | None  # None: logged before snapshots (looked up by key)
    complaint: ComplaintClocksCarry
    handler_name: str | None
    handler_email: str | None
    handler_title: str | None = None  # absent from carries written before letters were signed
    record_version: int  # the read model's version counter, not the carry's
    seq: int
    opened_at: datetime
    letters: list[LetterView]

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        # Version 1: {"sla": <ComplaintSla>, "version": <record version>, ...}, no terms.
        if isinstance(data, dict) and "sla" in data:
            old = dict(data)
            sla = old.pop("sla")
            if isinstance(sla, BaseModel):
                sla = sla.model_dump()
            return {
                **old,
                "version": COMPLAINT_CARRY_VERSION,
                "terms": None,
                "complaint": sla,
                "record_version": old.get("version"),
            }
        return data

    @classmethod
    def of(
        cls,
        sla: ComplaintSla,
        *,
        handler: tuple[str | None, str | None],
        handler_title: str | None = None,
        record_version: int,
        seq: int,
        opened_at: datetime,
        letters: list[LetterView],
    ) -> ComplaintCarry:
        return cls(
            terms=sla.terms,
            complaint=ComplaintClocksCarry(
                regime=sla.regime,
                jurisdiction=sla.jurisdiction,
                received_at=sla.received_at,
                status=sla.status,
                acknowledged_at=sla.acknowledged_at,
                replied_at=sla.replied_at,
                closed_at=sla.closed_at,
                reopened_at=sla.reopened_at,
                extensions=[
                    ExtensionCarry(
                        at=e.at, reason=e.reason, previous_due=e.previous_due, new_due=e.new_due
                    )
                    for e in sla.extensions
                ],
                clocks={
                    name: ComplaintClockCarry(
                        name=c.name,
                        due=c.due,
                        met_at=c.met_at,
                        breached_due=c.breached_due,
                        reminded=list(c.reminded),
                    )
                    for name, c in sla.clocks.items()
                },
            ),
            handler_name=handler[0],
            handler_email=handler[1],
            handler_title=handler_title,
            record_version=record_version,
            seq=seq,
            opened_at=opened_at,
            letters=list(letters),
        )

    def restore(self) -> ComplaintSla:
        """The complaint's statutory state as the previous run left it."""
        c = self.complaint
        return ComplaintSla(
            regime=c.regime,
            jurisdiction=c.jurisdiction,
            terms=self.terms,
            received_at=c.received_at,
            status=c.status,
            acknowledged_at=c.acknowledged_at,
            replied_at=c.replied_at,
            closed_at=c.closed_at,
            reopened_at=c.reopened_at,
            extensions=[
                Extension(at=e.at, reason=e.reason, previous_due=e.previous_due, new_due=e.new_due)
                for e in c.extensions
            ],
            clocks={
                name: ComplaintClock(
                    name=k.name,
                    due=k.due,
                    met_at=k.met_at,
                    breached_due=k.breached_due,
                    reminded=list(k.reminded),
                )
                for name, k in c.clocks.items()
            },
        )


class ComplaintStart(BaseModel):
    opening: ComplaintOpening
    carry: ComplaintCarry | None = None


class ComplaintClockView(BaseModel):
    due: datetime
    state: ClockState
    met_at: datetime | None


class ExtensionView(BaseModel):
    at: datetime
    reason: str
    previous_due: datetime
    new_due: datetime
    in_time: bool


class ComplaintView(BaseModel):
    reference: str
    status: ComplaintStatus
    regime: str
    regime_version: int | None = None
    jurisdiction: str
    received_at: datetime
    acknowledgement_due: datetime | None
    reply_due: datetime
    original_reply_due: datetime
    next_due: datetime | None
    overdue: bool
    handler_name: str | None
    handler_email: str | None
    handler_title: str | None = None
    clocks: dict[str, ComplaintClockView]
    extensions: list[ExtensionView]
    letters: list[LetterView]
    version: int


class Signer(BaseModel):
    """The person acting, as a letter they send is signed (absent: a key naming no one)."""

    name: str
    title: str | None = None


class Act(BaseModel):
    actor: str
    note: str = ""
    signer: Signer | None = None


class Extend(Act):
    reason: str
    new_due: datetime


class Reply(Act):
    body: str


class Correspondence(BaseModel):
    """The complainant wrote again (a reply to one of our letters, read from the complaints
    mailbox): `actor` is who wrote, `body` their words as trimmed for reading."""

    actor: str
    body: str


class AssignHandler(Act):
    name: str
    email: str | None = None
    job_title: str | None = None


class Opened(BaseModel):
    fingerprint: str
