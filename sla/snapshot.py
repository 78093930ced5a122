"""The terms a case was opened under, frozen as data: a policy, or a complaint regime.

A ticket or complaint counts its deadlines from the snapshot it carries, never from the preset
files as they are now. Editing sla/presets/*.toml or sla/regimes/*.toml (or, later, a policy
kept in the database) therefore changes what new cases are promised, and cannot re-date a case
already running, on replay or afterwards (docs/workflow-changes.md).

A snapshot is plain JSON-ready data with a SHA-256 digest of it: the digest names the exact
version of the terms, and a snapshot whose data does not match its digest is refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from .calendar import UK_JURISDICTIONS, Calendar, uk_working_days
from .closed_days import HolidaySource
from .loader import policy_from_data
from .policy import Policy
from .regimes import Regime, get_regime, jurisdiction_calendar
from .week import MON_FRI_ALL_DAY

# Revived terms by digest: every case opened under the same version shares one object (and so
# the calendars' year tables), whichever run or replay deserialised it.
_POLICIES: dict[str, Policy] = {}
_REGIMES: dict[str, tuple[Regime, Calendar]] = {}


def digest_of(data: Any) -> str:
    """SHA-256 of the canonical JSON form of `data` (sorted keys, no spaces)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> _Snapshot:
        # Immutable terms: a deep copy of the state holding them (a validator's dry run) shares
        # them instead of copying kilobytes of policy.
        return self


class PolicySnapshot(_Snapshot):
    """An SLA policy as it stood when a ticket was opened."""

    key: str
    digest: str
    data: dict[str, Any]

    @classmethod
    def of(cls, policy: Policy) -> PolicySnapshot:
        data = policy.model_dump(mode="json")
        snapshot = cls(key=policy.key, digest=digest_of(data), data=data)
        _POLICIES.setdefault(snapshot.digest, policy)
        return snapshot

    @model_validator(mode="after")
    def _intact(self) -> PolicySnapshot:
        if self.data.get("key") != self.key:
            held = self.data.get("key")
            raise ValueError(f"the snapshot of policy {self.key!r} holds policy {held!r}")
        if digest_of(self.data) != self.digest:
            raise ValueError(f"the snapshot of policy {self.key!r} does not match its digest")
        return self

    def policy(self) -> Policy:
        """The policy itself, validated once per digest."""
        policy = _POLICIES.get(self.digest)
        if policy is None:
            policy = policy_from_data(self.data, file=f"snapshot {self.digest[:12]} of {self.key}")
            _POLICIES[self.digest] = policy
        return policy


class HolidaysData(_Snapshot):
    country: str
    subdivisions: list[str] = []


class JurisdictionCalendarData(_Snapshot):
    """A jurisdiction's working days: Monday to Friday in a time zone, less its holidays."""

    name: str
    timezone: str
    holidays: list[HolidaysData]

    @classmethod
    def of(cls, calendar: Calendar) -> JurisdictionCalendarData:
        if calendar.week != MON_FRI_ALL_DAY or calendar.closed.closures:
            raise ValueError(f"calendar {calendar.name!r} is not a working-days calendar")
        return cls(
            name=calendar.name,
            timezone=calendar.timezone,
            holidays=[
                HolidaysData(country=h.country, subdivisions=list(h.subdivisions))
                for h in calendar.closed.holidays
            ],
        )

    def build(self) -> Calendar:
        built = Calendar.working_days_only(
            self.timezone,
            [HolidaySource(h.country, tuple(h.subdivisions)) for h in self.holidays],
            name=self.name,
        )
        # The same definition as today's calendar: share it, and the years a worker preloaded.
        current = uk_working_days(self.name) if self.name in UK_JURISDICTIONS else None
        return current if current == built else built


class RegimeSnapshot(_Snapshot):
    """A complaint regime and its jurisdiction's working days, as they stood at receipt."""

    key: str
    jurisdiction: str
    digest: str
    regime: dict[str, Any]
    calendar: JurisdictionCalendarData

    @classmethod
    def of(cls, regime: str, jurisdiction: str) -> RegimeSnapshot:
        """Today's terms; UnknownRegime / UnknownJurisdiction naming the known ones."""
        rules = get_regime(regime)
        data = rules.model_dump(mode="json")
        calendar = JurisdictionCalendarData.of(jurisdiction_calendar(jurisdiction))
        return cls(
            key=regime,
            jurisdiction=jurisdiction,
            digest=_regime_digest(data, calendar),
            regime=data,
            calendar=calendar,
        )

    @model_validator(mode="after")
    def _intact(self) -> RegimeSnapshot:
        if self.regime.get("key") != self.key:
            raise ValueError(
                f"the snapshot of regime {self.key!r} holds regime {self.regime.get('key')!r}"
            )
        if _regime_digest(self.regime, self.calendar) != self.digest:
            raise ValueError(f"the snapshot of regime {self.key!r} does not match its digest")
        return self

    def _revived(self) -> tuple[Regime, Calendar]:
        found = _REGIMES.get(self.digest)
        if found is None:
            found = _REGIMES[self.digest] = (
                Regime.model_validate(self.regime),
                self.calendar.build(),
            )
        return found

    def rules(self) -> Regime:
        return self._revived()[0]

    def working_days(self) -> Calendar:
        return self._revived()[1]


def _regime_digest(regime: dict[str, Any], calendar: JurisdictionCalendarData) -> str:
    return digest_of({"regime": regime, "calendar": calendar.model_dump(mode="json")})
