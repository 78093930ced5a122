"""The typed model of an SLA policy, as its TOML preset spells it."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)

from . import stored
from .calendar import Calendar
from .closed_days import HolidaySource, check_holiday_source, parse_closure
from .errors import FieldError, UnknownCalendar, UnknownPriority, UnknownRequestType
from .instants import zone
from .units import CLOCK, WHOLE_UNITS, Clock, Unit, due, parse_unit
from .week import ALWAYS, DAY_NAMES, WeekError, build_week, parse_days, week_as_hours

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_key(kind: str, key: str) -> None:
    if not _KEY.match(key):
        raise FieldError(key, f"{kind} key {key!r} must be lower-case letters, digits, '-' or '_'")


# ---------------------------------------------------------------------------- targets


class Target(_Model):
    """A promise: an amount of a unit, or a release that stops the clock when it ships."""

    amount: StrictInt | StrictFloat | None = None
    unit: Unit
    release: Literal["hotfix", "maintenance"] | None = None
    calendar: str | None = Field(
        None, description="calendar key; default: the priority's, else the ticket's"
    )
    warnings: list[float] | None = Field(
        None, description="fractions of the target at which to warn; default: the policy's"
    )
    out_of_hours: Target | None = Field(
        None, description="the target instead when received while the calendar is closed"
    )
    description: str = ""
    note: str = ""

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, value: Any) -> Unit:
        if not isinstance(value, str):
            raise ValueError(f"unknown unit {value!r}")
        return parse_unit(value)

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.unit is Unit.RELEASE:
            if self.amount is not None:
                raise FieldError(
                    "amount", "a release target has no amount: it is met when the release ships"
                )
            if self.release is None:
                raise FieldError("release", "is required for unit release (hotfix or maintenance)")
        else:
            if self.amount is None:
                raise FieldError("amount", f"is required for unit {self.unit.value}")
            if self.amount <= 0:
                raise FieldError("amount", "must be positive")
            if self.unit in WHOLE_UNITS and self.amount != int(self.amount):
                raise FieldError("amount", f"must be a whole number of {self.unit.value}")
            if self.release is not None:
                raise FieldError("release", "only a target with unit release names a release")
        if self.out_of_hours is not None and self.out_of_hours.out_of_hours is not None:
            raise FieldError(
                "out_of_hours.out_of_hours",
                "an out-of-hours target cannot have its own alternative",
            )
        for fraction in self.warnings or ():
            if not 0 < fraction < 1:
                raise FieldError(
                    "warnings", f"warning fractions lie strictly between 0 and 1, not {fraction}"
                )
        return self

    @property
    def clock(self) -> Clock:
        """What this target's clock counts."""
        return CLOCK[self.unit]

    def due(self, calendar: Calendar, start: datetime) -> datetime | None:
        """When this target runs out counted from `start` on `calendar` (None for a release)."""
        return due(calendar, start, self.amount, self.unit)

    def label(self) -> str:
        """'2 business_hours', 'hotfix release'."""
        if self.unit is Unit.RELEASE:
            return f"{self.release} release"
        return f"{self.amount:g} {self.unit.value}"


# ---------------------------------------------------------------------------- calendars


class HolidaysSpec(_Model):
    """Public holidays by country, the union of any subdivisions listed."""

    country: str
    subdivisions: list[str] = []
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _resolve(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("country"), str):
            return data
        subs = data.get("subdivisions", [])
        if not isinstance(subs, list) or not all(isinstance(s, str) for s in subs):
            return data
        try:
            source = check_holiday_source(data["country"], subs)
        except ValueError as exc:
            raise FieldError(
                "subdivisions" if "subdivision" in str(exc) else "country", str(exc)
            ) from None
        return {**data, "subdivisions": list(source.subdivisions)}

    def source(self) -> HolidaySource:
        """The engine's HolidaySource."""
        return HolidaySource(self.country, tuple(self.subdivisions))


class ClosureSpec(_Model):
    """Whole days closed: 'YYYY-MM-DD' dates once, 'MM-DD' dates every year (may cross new year)."""

    name: str
    start: str
    end: str
    note: str = ""

    @model_validator(mode="after")
    def _parse(self) -> ClosureSpec:
        for field in ("start", "end"):
            try:
                parse_closure(self.name, getattr(self, field), getattr(self, field))
            except ValueError as exc:
                raise FieldError(field, str(exc)) from None
        try:
            parse_closure(self.name, self.start, self.end)
        except ValueError as exc:
            raise FieldError("end", str(exc)) from None
        return self


class CalendarSpec(_Model):
    """A time zone, open hours per weekday, holidays and closures."""

    name: str = ""
    timezone: str
    always_open: bool = False
    hours: dict[str, list[str]] = Field(
        {}, description="weekday or range (mon-fri) -> ['HH:MM-HH:MM', ...]"
    )
    working_days: list[str] | None = Field(
        None, description="working weekdays; default: days with hours"
    )
    holidays: list[HolidaysSpec] = []
    closures: list[ClosureSpec] = []
    note: str = ""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        zone(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _normalise_hours(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        hours = data.get("hours", {})
        if not isinstance(hours, dict):
            return data
        for key, texts in hours.items():
            if not isinstance(texts, (list, str)):
                raise FieldError(f"hours.{key}", "must be a list of 'HH:MM-HH:MM' intervals")
        try:
            week = build_week(hours)
        except WeekError as exc:
            raise FieldError(f"hours.{exc.key}", exc.reason) from None
        if data.get("always_open") is True:
            if hours and week != ALWAYS:
                raise FieldError("hours", "an always-open calendar takes no opening hours")
            return {**data, "hours": week_as_hours(ALWAYS)}
        if not hours:
            raise FieldError("hours", "is required (or set always_open = true)")
        if not any(week):
            raise FieldError("hours", "the calendar is never open")
        return {**data, "hours": week_as_hours(week)}

    @model_validator(mode="after")
    def _consistent(self) -> CalendarSpec:
        if self.always_open and (self.holidays or self.closures):
            raise FieldError(
                "holidays" if self.holidays else "closures",
                "an always-open calendar has no holidays or closures",
            )
        if self.working_days is not None:
            try:
                days = {i for key in self.working_days for i in parse_days(key)}
            except WeekError as exc:
                raise FieldError("working_days", exc.reason) from None
            if not days:
                raise FieldError(
                    "working_days",
                    "names no day: list at least one (or leave it out: the days with hours)",
                )
            week = build_week(self.hours)
            shut = [DAY_NAMES[i] for i in sorted(days) if not week[i]]
            if shut:
                raise FieldError(
                    "working_days", f"working days need opening hours; none on {', '.join(shut)}"
                )
        return self

    def build(self) -> Calendar:
        """The engine Calendar, shared by every spec with the same definition."""
        week = build_week(self.hours)
        holidays = tuple(h.source() for h in self.holidays)
        closures = tuple(parse_closure(c.name, c.start, c.end) for c in self.closures)
        working = None
        if self.working_days is not None:
            working = frozenset(i for key in self.working_days for i in parse_days(key))
        key = (self.timezone, week, holidays, closures, working, self.name)
        cal = _CALENDARS.get(key)
        if cal is None:
            cal = Calendar(
                self.timezone,
                week,
                holidays=holidays,
                closures=closures,
                working_weekdays=working,
                name=self.name,
            )
            _CALENDARS[key] = cal
        return cal


_CALENDARS: dict[tuple[Any, ...], Calendar] = {}


class _BuiltCalendars(dict[str, Calendar]):
    """A policy's engine calendars by key: a cache, so it never makes two policies unequal."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _BuiltCalendars)

    __hash__ = None  # type: ignore[assignment]


# ---------------------------------------------------------------------------- priorities and rules


class Priority(_Model):
    """A level a ticket can be given, and the targets it promises."""

    name: str
    description: str = ""
    calendar: str | None = Field(None, description="calendar key that always applies to this level")
    targets: dict[str, Target] = {}
    note: str = ""


class WaitingOnCustomer(_Model):
    """What waiting on the customer does: pause the clocks, or re-grade and mark Delayed."""

    action: Literal["pause", "regrade"] = "pause"
    regrade_to: str | None = None
    mark_delayed: bool = False
    applies_to: list[str] | None = Field(
        None, description="levels re-graded; default: those above regrade_to"
    )
    otherwise: Literal["pause", "run"] = Field(
        "pause", description="what the other levels' clocks do"
    )
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> WaitingOnCustomer:
        if self.action == "regrade" and not self.regrade_to:
            raise FieldError("regrade_to", "is required when action is regrade")
        if self.action == "pause" and self.regrade_to:
            raise FieldError("regrade_to", "only applies when action is regrade")
        return self


class RequestType(_Model):
    """A kind of request; some carry no clock and are routed elsewhere."""

    name: str
    clock: bool = True
    route_to: str | None = None
    description: str = ""
    note: str = ""


class TriageRule(_Model):
    """Give `priority` when the fact falls no later than `within` after receipt."""

    within: Target
    priority: str
    note: str = ""

    @model_validator(mode="after")
    def _clocked(self) -> TriageRule:
        if self.within.unit is Unit.RELEASE:
            raise FieldError("within.unit", "a triage window needs a clock, not a release")
        return self


class Triage(_Model):
    """Rules that pick a priority from a dated fact about the ticket (first match wins)."""

    field: str
    rules: list[TriageRule]
    default: str
    note: str = ""


class Complaints(_Model):
    """Statutory-style complaint deadlines."""

    calendar: str | None = None
    targets: dict[str, Target]
    holding_reply: bool = Field(
        False,
        description="a late full reply may be replaced by a letter with the reason and a new date",
    )
    note: str = ""


class Maintenance(_Model):
    """Scheduled maintenance: a nightly window and the notice customers get."""

    window: str = Field(description="'HH:MM-HH:MM' local time; may cross midnight")
    calendar: str | None = None
    notice: Target
    note: str = ""

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parts = value.replace("–", "-").split("-")
        if len(parts) != 2 or not all(_HHMM.match(p.strip()) for p in parts):
            raise ValueError(f"malformed window {value!r} (expected HH:MM-HH:MM)")
        for p in parts:
            h, m = (int(x) for x in p.strip().split(":"))
            if h > 23 or m > 59:
                raise ValueError(f"malformed window {value!r} (times run from 00:00 to 23:59)")
        return value


class Entitlements(_Model):
    """What an edition of the service includes."""

    customer_success_manager: bool = False
    account_manager: bool = False
    quarterly_business_review: bool = False
    monthly_reporting: bool = False
    incident_reporting: bool = False
    onboarding_objectives: bool = False
    extras: list[str] = []
    note: str = ""


class AccountServices(_Model):
    """Account management per edition."""

    default_edition: str
    editions: dict[str, Entitlements]
    note: str = ""

    @model_validator(mode="after")
    def _default(self) -> AccountServices:
        if self.default_edition not in self.editions:
            raise FieldError(
                "default_edition",
                f"unknown edition {self.default_edition!r} (known: {', '.join(self.editions)})",
            )
        return self


# essensys's table (Customer Success Engagement 1.2.1), for policies that publish none: the
# enterprise edition gets the success services, the standard edition none of them.
DEFAULT_ACCOUNT_SERVICES = AccountServices(
    default_edition="standard",
    editions={
        "enterprise": Entitlements(
            customer_success_manager=True,
            quarterly_business_review=True,
            incident_reporting=True,
            monthly_reporting=True,
        ),
        "standard": Entitlements(),
    },
    note="Pledge's default: essensys's table, as the policy publishes no account services.",
)


class PublishedFigure(_Model):
    """A performance figure the organisation publishes."""

    metric: str
    seconds: int
    label: str
    period_start: date
    period_end: date
    note: str = ""


class SupportLine(_Model):
    """A tier of the support team."""

    key: str
    name: str
    role: str = ""


class Monitoring(_Model):
    """Automated monitoring that detects incidents before customers report them."""

    interval_minutes: int | None = None
    method: str = ""
    around_the_clock: bool = True
    note: str = ""


class EmergencySupport(_Model):
    """Out-of-hours emergency cover."""

    calendar: str
    # Tickets arriving by these channels (an emergency line) count on `calendar` from the start.
    channels: list[str] = []
    description: str = ""
    note: str = ""


class TicketField(_Model):
    """Information a ticket must carry."""

    key: str
    label: str
    when: Literal["always", "if_requested"] = "always"


class TicketRules(_Model):
    """Who may raise tickets, what they must give, and what closing needs."""

    raised_by: str | None = None
    required_fields: list[TicketField] = []
    close_requires_representative: bool = False
    inform_representatives: bool = Field(
        False,
        description="the account's authorised representatives are told, as the ticket's "
        "contact is, of replies, waiting, resolution, closure and releases",
    )
    reference_number: bool = True
    confirmation: bool = False
    note: str = ""


# ---------------------------------------------------------------------------- the policy


class Policy(_Model):
    """An SLA policy: calendars, priorities and their targets, and the rules around them."""

    key: str
    name: str
    source: str
    notes: list[str] = []
    default_calendar: str
    calendars: dict[str, CalendarSpec]
    warning_thresholds: list[float] = [0.75]
    attainment_goals: dict[str, float] = Field(
        {}, description="target name -> share of tickets that meet it"
    )
    priorities: dict[str, Priority]
    default_priority: str | None = None
    waiting_on_customer: WaitingOnCustomer = WaitingOnCustomer()
    request_types: dict[str, RequestType] = {}
    triage: Triage | None = None
    complaints: Complaints | None = None
    maintenance: Maintenance | None = None
    account_services: AccountServices | None = None
    published_figures: list[PublishedFigure] = []
    escalation: list[str] = []
    # Told of a warning or breach nobody else would hear of (no assignee, no account manager);
    # None: the deployment's PLEDGE_TEAM_EMAIL.
    team_email: str | None = None
    # e-shot has none (a team looks after every account): no account manager is named for
    # its accounts, and none is in its escalation chain.
    has_account_managers: bool = True
    support_lines: list[SupportLine] = []
    channels: list[str] = []
    monitoring: Monitoring | None = None
    emergency_support: EmergencySupport | None = None
    tickets: TicketRules = TicketRules()

    _built: _BuiltCalendars = PrivateAttr(default_factory=_BuiltCalendars)

    @model_validator(mode="after")
    def _references(self) -> Policy:
        _check_key("policy", self.key)
        if not self.priorities:
            raise FieldError("priorities", "a policy needs at least one priority")
        cals = self.calendars

        def need_calendar(field: str, key: str | None) -> None:
            if key is not None and key not in cals:
                raise FieldError(field, f"unknown calendar {key!r} (known: {', '.join(cals)})")

        def need_priority(field: str, key: str | None) -> None:
            if key is not None and key not in self.priorities:
                raise FieldError(
                    field, f"unknown priority {key!r} (known: {', '.join(self.priorities)})"
                )

        for key in cals:
            _check_key("calendar", key)
        need_calendar("default_calendar", self.default_calendar)
        for fraction in self.warning_thresholds:
            if not 0 < fraction < 1:
                raise FieldError(
                    "warning_thresholds",
                    f"warning fractions lie strictly between 0 and 1, not {fraction}",
                )
        target_names: set[str] = set()
        for pkey, prio in self.priorities.items():
            try:
                _check_key("priority", pkey)
            except FieldError as exc:
                raise FieldError(f"priorities.{pkey}", exc.reason) from None
            need_calendar(f"priorities.{pkey}.calendar", prio.calendar)
            for tname, target in prio.targets.items():
                where = f"priorities.{pkey}.targets.{tname}"
                target_names.add(tname)
                need_calendar(f"{where}.calendar", target.calendar)
                if target.out_of_hours is not None:
                    need_calendar(f"{where}.out_of_hours.calendar", target.out_of_hours.calendar)
                    pinned = target.calendar or prio.calendar
                    possible = [pinned] if pinned else list(cals)
                    if all(cals[c].build().is_always_open for c in possible):
                        raise FieldError(
                            f"{where}.out_of_hours",
                            "an out-of-hours target needs a calendar that closes;"
                            " this one is open 24/7",
                        )
        need_priority("default_priority", self.default_priority)
        self._check_people()
        wait = self.waiting_on_customer
        if wait.action == "regrade":
            need_priority("waiting_on_customer.regrade_to", wait.regrade_to)
            for i, key in enumerate(wait.applies_to or []):
                need_priority(f"waiting_on_customer.applies_to.{i}", key)
        for rkey in self.request_types:
            _check_key("request type", rkey)
        if self.triage is not None:
            for i, rule in enumerate(self.triage.rules):
                need_priority(f"triage.rules.{i}.priority", rule.priority)
            need_priority("triage.default", self.triage.default)
        if self.complaints is not None:
            need_calendar("complaints.calendar", self.complaints.calendar)
            target_names.update(self.complaints.targets)
        if self.maintenance is not None:
            need_calendar("maintenance.calendar", self.maintenance.calendar)
        if self.emergency_support is not None:
            need_calendar("emergency_support.calendar", self.emergency_support.calendar)
        for tname, goal in self.attainment_goals.items():
            if tname not in target_names:
                raise FieldError(f"attainment_goals.{tname}", f"no target is called {tname!r}")
            if not 0 < goal <= 1:
                raise FieldError(
                    f"attainment_goals.{tname}",
                    f"a goal is a share between 0 and 1 ({goal:g}% is {goal / 100:g}), not {goal:g}"
                    if 1 < goal <= 100
                    else f"a goal is a share between 0 and 1, not {goal:g}",
                )
        return self

    def _check_people(self) -> None:
        if self.team_email is not None and not _EMAIL.match(self.team_email):
            raise FieldError("team_email", f"{self.team_email!r} is not an e-mail address")
        if self.has_account_managers:
            return
        if "account_manager" in self.escalation:
            raise FieldError(
                "escalation", "names account_manager, but the policy has no account managers"
            )
        for key, kind in self.request_types.items():
            if kind.route_to == "account_manager":
                raise FieldError(
                    f"request_types.{key}.route_to",
                    "is account_manager, but the policy has no account managers",
                )
        editions = (self.account_services or DEFAULT_ACCOUNT_SERVICES).editions
        for edition, services in editions.items():
            if services.account_manager:
                raise FieldError(
                    f"account_services.editions.{edition}.account_manager",
                    "is true, but the policy has no account managers",
                )

    # ------------------------------------------------------------------ lookups

    def priority(self, key: str) -> Priority:
        """The priority with this key; UnknownPriority otherwise."""
        try:
            return self.priorities[key]
        except KeyError:
            raise UnknownPriority(
                f"policy {self.key!r} has no priority {key!r} (known: {', '.join(self.priorities)})"
            ) from None

    def rank(self, key: str) -> int:
        """0 for the most urgent priority: priorities are listed most urgent first."""
        self.priority(key)
        return list(self.priorities).index(key)

    def editions(self) -> list[str]:
        """The editions this policy sells: those its account services table lists."""
        return list((self.account_services or DEFAULT_ACCOUNT_SERVICES).editions)

    def entitlements(self, edition: str) -> Entitlements:
        """What an account on this edition gets; an edition the policy does not name gets its
        default edition's (e-shot gives every subscription the same services)."""
        services = self.account_services or DEFAULT_ACCOUNT_SERVICES
        return services.editions.get(edition) or services.editions[services.default_edition]

    def calendar(self, key: str | None = None) -> Calendar:
        """The engine calendar with this key (the default calendar when None)."""
        key = key or self.default_calendar
        # Read the private cache directly: attribute access to it goes through a slow fallback.
        built = self.__pydantic_private__["_built"]  # type: ignore[index]
        cal = built.get(key)
        if cal is None:
            spec = self.calendars.get(key)
            if spec is None and (kept := stored.find("calendar", key, ())) is not None:
                # A calendar kept on its own that an account counts in; a case's snapshot
                # embeds it, so this serves pages naming the account's calendar. Not cached
                # here: its next version replaces it.
                return stored.built(kept)
            if spec is None:
                raise UnknownCalendar(
                    f"policy {self.key!r} has no calendar {key!r}"
                    f" (known: {', '.join(self.calendars)})"
                )
            cal = built[key] = spec.build()
        return cal

    def calendar_name(self, key: str | None = None) -> str:
        """What calendar `key` is called (its key when it has no name), a calendar kept on its
        own included (see `calendar`)."""
        key = key or self.default_calendar
        spec = self.calendars.get(key) or stored.find("calendar", key, ())
        return (spec.name if spec is not None else "") or key

    def opening_calendar(
        self, channel: str, account_calendar: str | None, chosen: str | None = None
    ) -> str | None:
        """The calendar a new ticket counts on: the one an agent chose, else the emergency
        calendar for a ticket by an emergency channel, else the account's (None: default)."""
        if chosen is not None:
            if chosen not in self.calendars:
                raise UnknownCalendar(
                    f"policy {self.key!r} has no calendar {chosen!r}"
                    f" (known: {', '.join(self.calendars)})"
                )
            return chosen
        emergency = self.emergency_support
        if emergency is not None and channel in emergency.channels:
            return emergency.calendar
        return account_calendar

    def calendar_key_for(
        self, priority: str, target: Target | None = None, requested: str | None = None
    ) -> str:
        """The calendar counting a target: the target's, the level's, the ticket's, the default."""
        if requested is not None and requested not in self.calendars:
            raise UnknownCalendar(
                f"policy {self.key!r} has no calendar {requested!r}"
                f" (known: {', '.join(self.calendars)})"
            )
        pinned = target.calendar if target is not None else None
        return pinned or self.priority(priority).calendar or requested or self.default_calendar

    def request_type(self, key: str) -> RequestType:
        """The request type with this key; UnknownRequestType otherwise."""
        try:
            return self.request_types[key]
        except KeyError:
            known = ", ".join(self.request_types) or "none"
            raise UnknownRequestType(
                f"policy {self.key!r} has no request type {key!r} (known: {known})"
            ) from None

    def target_names(self) -> list[str]:
        """Every target name any priority promises, first_response and resolution first."""
        names = ["first_response", "resolution"]
        for prio in self.priorities.values():
            names.extend(n for n in prio.targets if n not in names)
        return names

    def describe(self, years: list[int] | tuple[int, ...] = ()) -> dict[str, Any]:
        """The policy as JSON-ready data; each calendar also lists its closed days in `years`."""
        data = self.model_dump(mode="json")
        for key, spec in data["calendars"].items():
            cal = self.calendar(key)
            spec["is_always_open"] = cal.is_always_open
            spec["closed_days"] = cal.describe(years)["closed_days"]
        data["priority_order"] = list(self.priorities)
        return data
