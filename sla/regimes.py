"""Complaint regimes as data: when to acknowledge, when to reply, what extensions are allowed.

Each regime is a TOML file in sla/regimes/ (standard, the Housing Ombudsman's two stages, the
FCA's rules, subject access requests). Deadlines count on a jurisdiction's working days: the
bank holidays of England and Wales, Scotland, Northern Ireland, or any part of the UK.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from . import stored
from .calendar import Calendar, uk_working_days
from .errors import FieldError, PolicyError, SlaLookupError
from .units import WHOLE_UNITS, Unit, due, parse_unit

REGIME_KEYS = ("standard", "housing-stage-1", "housing-stage-2", "fca", "sar")

# The API's names for jurisdictions, and the engine's UK calendars behind them.
JURISDICTIONS = {
    "england-and-wales": "england-wales",
    "scotland": "scotland",
    "northern-ireland": "northern-ireland",
    "any-uk": "uk",
}


class UnknownRegime(SlaLookupError):
    """No complaint regime has that key."""


class UnknownJurisdiction(SlaLookupError):
    """No jurisdiction has that name."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Model):
    """An amount of a unit: 5 end_of_working_day, 8 weeks, 1 calendar_months."""

    amount: int
    unit: Unit

    @model_validator(mode="before")
    @classmethod
    def _parse_unit(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("unit"), str):
            data = {**data, "unit": parse_unit(data["unit"])}
        return data

    @model_validator(mode="after")
    def _sensible(self) -> Period:
        if self.amount <= 0:
            raise FieldError("amount", "must be positive")
        if self.unit not in WHOLE_UNITS and self.unit is not Unit.CALENDAR_HOURS:
            raise FieldError(
                "unit", f"complaint deadlines count in days, weeks or months, not {self.unit}"
            )
        return self

    def after(self, calendar: Calendar, start: datetime) -> datetime:
        result = due(calendar, start, self.amount, self.unit)
        assert result is not None  # a period always has a clock
        return result


class Deadline(Period):
    """A regime's clock: a period counted from receipt or from the acknowledgement."""

    counted_from: Literal["received", "acknowledged"] = "received"
    # Whole-day deadlines (a month, eight weeks) fall due at the end of their last day.
    end_of_day: bool = False
    # A date that falls on a weekend or bank holiday moves to the next working day (the ICO's
    # reading of a subject access request's month: "you have until the next working day").
    next_working_day: bool = False
    label: str = ""

    def after(self, calendar: Calendar, start: datetime) -> datetime:
        result = super().after(calendar, start)
        if self.next_working_day:
            result = _on_a_working_day(calendar, result)
        return calendar.end_of_day(result) if self.end_of_day else result


def _on_a_working_day(calendar: Calendar, at: datetime) -> datetime:
    """`at`, or the same wall-clock time on the first working day after it."""
    local = at.astimezone(calendar.tzinfo)
    day = local.date()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    if day == local.date():
        return at
    return datetime.combine(day, local.time(), tzinfo=calendar.tzinfo)


class Extension(_Model):
    """Whether the reply date may be moved by a holding response, how often and how far."""

    allowed: bool = True
    # False: a holding response tells the complainant why and when to expect the reply, but
    # the deadline stands (FCA DISP 1.6.2R: the eight-week letter does not extend the eight
    # weeks, and a final response after them is late).
    moves_deadline: bool = True
    max_count: int | None = None
    max_total: Period | None = None  # the furthest past the original reply date
    note: str = ""


class Regime(_Model):
    """A complaints regime: its clocks, its extension rule, and when to remind the handler."""

    key: str
    name: str
    source: str
    notes: list[str] = []
    acknowledgement: Deadline | None = None
    reply: Deadline
    extension: Extension = Extension()
    reminder_working_days: int = 2

    @model_validator(mode="after")
    def _consistent(self) -> Regime:
        if self.reply.counted_from == "acknowledged" and self.acknowledgement is None:
            raise FieldError(
                "reply.counted_from", "a reply counted from the acknowledgement needs one"
            )
        if self.reminder_working_days < 0:
            raise FieldError("reminder_working_days", "must be zero or more")
        return self


def jurisdiction_calendar(jurisdiction: str) -> Calendar:
    """The working-days calendar of a jurisdiction; UnknownJurisdiction naming the known ones."""
    name = JURISDICTIONS.get(jurisdiction)
    if name is None:
        raise UnknownJurisdiction(
            f"no jurisdiction {jurisdiction!r} (known: {', '.join(JURISDICTIONS)})"
        )
    return uk_working_days(name)


_regimes_dir: Path | None = None


def use_regimes_dir(directory: Path | None) -> None:
    """Read regimes from `directory` (None: sla/regimes) on next use; see loader.use_data_dirs."""
    global _regimes_dir
    _regimes_dir = Path(directory) if directory is not None else None
    load_regimes.cache_clear()


@lru_cache(maxsize=1)
def load_regimes() -> dict[str, Regime]:
    """Every regime by key, read once from sla/regimes/ (or the directory configured)."""
    found: dict[str, Regime] = {}
    for key in REGIME_KEYS:
        if _regimes_dir is None:
            file = f"sla/regimes/{key}.toml"
            entry: Any = resources.files("sla") / "regimes" / f"{key}.toml"
        else:
            entry = _regimes_dir / f"{key}.toml"
            file = str(entry)
        try:
            text = entry.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(file, "", f"cannot read the file: {exc.strerror or exc}") from None
        try:
            regime = Regime.model_validate(tomllib.loads(text))
        except ValidationError as exc:
            error = exc.errors()[0]
            cause = (error.get("ctx") or {}).get("error")
            loc = [str(part) for part in error["loc"]]
            if isinstance(cause, FieldError):
                loc.append(cause.field)
                reason = cause.reason
            else:
                reason = error["msg"]
            raise PolicyError(file, ".".join(loc), reason) from None
        if regime.key != key:
            raise PolicyError(file, "key", f"must be {key!r}, the file's name")
        found[key] = regime
    return found


def get_regime(key: str) -> Regime:
    """The newest version of regime `key` (sla.stored), else the shipped file's."""
    saved = stored.find("regime", key, REGIME_KEYS)
    if saved is not None:
        return saved
    regimes = load_regimes()
    try:
        return regimes[key]
    except KeyError:
        known = [*regimes, *stored.keys("regime", REGIME_KEYS)]
        raise UnknownRegime(f"no regime {key!r} (known: {', '.join(known)})") from None


def regime_keys() -> list[str]:
    """Keys of the shipped regimes, then of those admins saved (sla.stored)."""
    return [*REGIME_KEYS, *stored.keys("regime", REGIME_KEYS)]
