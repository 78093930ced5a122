"""Terms admins write: SLA policies, calendars and complaint regimes, kept as versions.

Every save adds a version and nothing changes one (db.models.PolicyVersion); the JSON a read
returns can be sent back to save a new version or, with another key, a new policy
(sla/authoring.py). Admins write; policies are read by any key, as before (they are the
promises customers are made), calendars and regimes by staff. This service is the table's
one writer.

The newest version of each policy and regime is what the engine finds by key (sla.stored,
kept in step by services/terms.py); a ticket or complaint keeps the version it was opened
under (docs/policies.md). A preview computes from the stored version, so what an admin just
saved previews at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from api.auth import Principal
from api.errors import Conflict, FieldProblem, InvalidInput, NotFound
from api.schemas import PolicySummary, PreviewRequest
from db import policy_versions
from db.models import Account, Complaint, PolicyVersion, Role, Ticket
from db.types import utcnow
from services import terms
from services.roles import allow
from sla import stored as sla_stored
from sla.authoring import (
    AuthoringError,
    NamedCalendar,
    body_of,
    closures_from_ical,
    from_json,
    with_closures,
)
from sla.regimes import Regime
from sla.snapshot import digest_of

# Who may read calendars and regimes (and policies' version histories are read by any key).
READERS = (Role.SUCCESS_MANAGER, Role.AGENT, Role.COMPLAINTS_HANDLER)
NOUNS = {"policy": "policy", "calendar": "calendar", "regime": "complaint regime"}
PATHS = {"policy": "/policies", "calendar": "/calendars", "regime": "/regimes"}

Model = sla.Policy | NamedCalendar | Regime


@dataclass(frozen=True)
class Stored:
    """A version as read: its row and the engine's model of its body."""

    row: PolicyVersion
    model: Any


# The models of versions already validated, by (kind, digest): a version never changes, and
# the digest names its content, so a rolled-back save that reused a number cannot be mistaken
# for another. Bounded: an entry is a policy with its built calendars.
_MODELS: dict[tuple[str, str], Any] = {}
_MODELS_MAX = 256


def model_of(row: PolicyVersion) -> Any:
    """The engine's model of a stored version, validated once per digest."""
    found = _MODELS.get((row.kind, row.digest))
    if found is None:
        try:
            found = from_json(row.kind, row.body)
        except AuthoringError:
            # Saved under rules since made stricter: the engine's model still reads it.
            found = _lenient(row.kind, row.body)
        if len(_MODELS) >= _MODELS_MAX:
            _MODELS.pop(next(iter(_MODELS)))
        _MODELS[(row.kind, row.digest)] = found
    return found


def _lenient(kind: str, body: dict[str, Any]) -> Any:
    if kind == "policy":
        return sla.policy_from_data(body)
    if kind == "calendar":
        return NamedCalendar.model_validate(body)
    return Regime.model_validate(body)


def _refused(exc: AuthoringError) -> InvalidInput:
    return InvalidInput.of(
        [
            FieldProblem(field=".".join(p for p in ("body", field) if p), message=reason)
            for field, reason in exc.problems
        ]
    )


async def _known(session: AsyncSession, kind: str) -> str:
    keys = await policy_versions.keys(session, kind)
    shown = ", ".join(keys[:20]) + (", ..." if len(keys) > 20 else "")
    return shown or "none"


async def _newest(session: AsyncSession, kind: str, key: str) -> PolicyVersion:
    row = await policy_versions.latest(session, kind, key)
    if row is None:
        known = await _known(session, kind)
        raise NotFound(f"no {NOUNS[kind]} {key!r} (known: {known})")
    return row


async def stored(session: AsyncSession, kind: str, key: str, version: int | None = None) -> Stored:
    """Version `version` of (kind, key), the newest when None; 404 naming what exists."""
    if version is None:
        row = await _newest(session, kind, key)
    else:
        row = await policy_versions.one(session, kind, key, version)
        if row is None:
            await _newest(session, kind, key)  # the 404 for a key with no versions
            kept = [row.version for row in await policy_versions.history(session, kind, key)]
            raise NotFound(
                f"{NOUNS[kind]} {key!r} has no version {version} (it has {_numbers(kept)})"
            )
    return Stored(row, model_of(row))


def _numbers(versions: list[int]) -> str:
    """'versions 1 to 3', or 'versions 2, 3 and 5' once one has been deleted."""
    if len(versions) == 1:
        return f"version {versions[0]} only"
    if versions == list(range(versions[0], versions[-1] + 1)):
        return f"versions {versions[0]} to {versions[-1]}"
    return "versions " + ", ".join(map(str, versions[:-1])) + f" and {versions[-1]}"


def _this_and_next_year() -> list[int]:
    year = datetime.now(UTC).year
    return [year, year + 1]


def as_json(found: Stored, years: list[int] | None = None) -> dict[str, Any]:
    """A version as the API returns it: the body (plus what the engine derives for people to
    read), then the version's number, author, time and digest."""
    years = years or _this_and_next_year()
    model, row = found.model, found.row
    if isinstance(model, sla.Policy):
        data = model.describe(years=years)
    elif isinstance(model, NamedCalendar):
        data = model.model_dump(mode="json")
        calendar = model.build()
        data["is_always_open"] = calendar.is_always_open
        data["closed_days"] = calendar.describe(years)["closed_days"]
    else:
        data = model.model_dump(mode="json")
    return {
        **data,
        "version": row.version,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "digest": row.digest,
    }


def version_summary(row: PolicyVersion) -> dict[str, Any]:
    return {
        "key": row.key,
        "version": row.version,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "digest": row.digest,
    }


# -- reading ------------------------------------------------------------------------------------


def _may_read(principal: Principal, kind: str) -> None:
    if kind != "policy":  # policies: any key, as the promises customers are made
        allow(principal, *READERS)


async def read(
    session: AsyncSession,
    principal: Principal,
    kind: str,
    key: str,
    version: int | None = None,
    years: list[int] | None = None,
) -> dict[str, Any]:
    """The newest version (or version `version`) of (kind, key) as JSON."""
    _may_read(principal, kind)
    return as_json(await stored(session, kind, key, version), years)


async def versions(
    session: AsyncSession, principal: Principal, kind: str, key: str
) -> list[dict[str, Any]]:
    """Every version of (kind, key), oldest first: number, author, time, digest."""
    _may_read(principal, kind)
    rows = await policy_versions.history(session, kind, key)
    if not rows:
        await _newest(session, kind, key)  # the 404
    return [version_summary(row) for row in rows]


async def policy_summaries(session: AsyncSession, principal: Principal) -> list[PolicySummary]:
    """The newest version of every policy, summarised."""
    rows = await policy_versions.newest_of_each(session, "policy")
    return [PolicySummary.of(model_of(row)) for row in rows]


async def newest_list(
    session: AsyncSession, principal: Principal, kind: str
) -> list[dict[str, Any]]:
    """The newest version of every calendar (or regime), as JSON without closed days."""
    _may_read(principal, kind)
    rows = await policy_versions.newest_of_each(session, kind)
    out = []
    for row in rows:
        data = as_json(Stored(row, model_of(row)), years=[])
        data.pop("closed_days", None)
        out.append(data)
    return out


# -- writing ------------------------------------------------------------------------------------


def _author(principal: Principal) -> str:
    return (principal.full_name or principal.name)[:200]


async def _insert(
    session: AsyncSession, principal: Principal, kind: str, model: Any, version: int
) -> Stored:
    body = body_of(model)
    row = PolicyVersion(
        kind=kind,
        key=model.key,
        version=version,
        body=body,
        digest=digest_of(body),
        created_at=utcnow(),
        created_by=_author(principal),
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        what = f"{NOUNS[kind]} {model.key!r}"
        if version == 1:
            raise Conflict(
                f"A {what} already exists: PUT {PATHS[kind]}/{model.key} saves a new version"
            ) from None
        raise Conflict(
            f"Version {version} of {what} was saved by someone else meanwhile:"
            f" read it (GET {PATHS[kind]}/{model.key}) and save your changes on it"
        ) from None
    _MODELS.setdefault((kind, row.digest), model)
    terms.saved(row, model)
    return Stored(row, model)


def _check(kind: str, data: Any) -> Any:
    try:
        return from_json(kind, data)
    except AuthoringError as exc:
        raise _refused(exc) from None


async def create(
    session: AsyncSession, principal: Principal, kind: str, data: Any
) -> dict[str, Any]:
    """A new policy (calendar, regime): version 1 of its key. Admins only; 409 if the key is
    taken (a PUT to it saves a new version)."""
    allow(principal)
    model = _check(kind, data)
    if await policy_versions.latest(session, kind, model.key) is not None:
        raise Conflict(
            f"A {NOUNS[kind]} {model.key!r} already exists:"
            f" PUT {PATHS[kind]}/{model.key} saves a new version"
        )
    return as_json(await _insert(session, principal, kind, model, 1))


async def save_version(
    session: AsyncSession, principal: Principal, kind: str, key: str, data: Any
) -> dict[str, Any]:
    """A new version of (kind, key) from its JSON. Admins only.

    The body's `key`, when given, must be the one in the address, and its `version`, when
    given, the newest (the one read before editing): otherwise 409 rather than silently
    overwriting another admin's version. A body the same as the newest saves nothing and
    answers the newest, so a PUT sent twice makes one version.
    """
    allow(principal)
    newest = await _newest(session, kind, key)
    if isinstance(data, dict):
        given = data.get("key", key)
        if given != key:
            raise InvalidInput.for_field(
                "body.key",
                f"is {given!r}, but this saves a version of {key!r}; to make a new"
                f" {NOUNS[kind]}, POST it to {PATHS[kind]}",
            )
        data = {**data, "key": key}
        based_on = data.get("version")
        if based_on is not None and based_on != newest.version:
            raise Conflict(
                f"This edits version {based_on} of {NOUNS[kind]} {key!r}, but version"
                f" {newest.version} is the newest: read it and make the changes on it"
            )
    model = _check(kind, data)
    if digest_of(body_of(model)) == newest.digest:
        return as_json(Stored(newest, model_of(newest)))
    return as_json(await _insert(session, principal, kind, model, newest.version + 1))


async def import_ical(
    session: AsyncSession, principal: Principal, key: str, text: str
) -> dict[str, Any]:
    """A new version of calendar `key` closed on the all-day events of an iCalendar file (its
    text: Pledge never fetches a calendar from an address). Admins only."""
    allow(principal)
    found = await stored(session, "calendar", key)
    try:
        closures = closures_from_ical(text)
        model = with_closures(found.model, closures)
    except AuthoringError as exc:
        raise _refused(exc) from None
    if digest_of(body_of(model)) == found.row.digest:
        return as_json(found)
    return as_json(await _insert(session, principal, "calendar", model, found.row.version + 1))


# -- previews -----------------------------------------------------------------------------------


async def preview(
    session: AsyncSession,
    principal: Principal,
    key: str,
    body: PreviewRequest,
    version: int | None = None,
) -> dict[str, Any]:
    """The deadlines a ticket received at `received_at` would get under the newest version of
    policy `key` (or version `version`)."""
    policy: sla.Policy = (await stored(session, "policy", key, version)).model
    return deadlines_under(policy, body)


def deadlines_under(policy: sla.Policy, body: PreviewRequest) -> dict[str, Any]:
    priority = body.priority
    if priority is None and body.campaign_scheduled_at is not None:
        priority = sla.triage(
            policy, body.received_at, {"campaign_scheduled_at": body.campaign_scheduled_at}
        )
    if priority is None:
        raise InvalidInput.for_field(
            "body.priority", f"is required; one of {', '.join(policy.priorities)}"
        )
    try:
        deadlines = sla.compute_deadlines(
            policy,
            priority,
            body.received_at,
            calendar=body.calendar,
            request_type=body.request_type,
        )
    except sla.UnknownPriority as exc:
        raise InvalidInput.for_field("body.priority", str(exc)) from None
    except sla.UnknownCalendar as exc:
        raise InvalidInput.for_field("body.calendar", str(exc)) from None
    except sla.UnknownRequestType as exc:
        raise InvalidInput.for_field("body.request_type", str(exc)) from None
    except (ValueError, OverflowError) as exc:
        # A version saved with a target the engine cannot count that far from this receipt.
        raise InvalidInput.for_field(
            "body.received_at", f"no deadline can be given from it: {exc}"
        ) from None
    return deadlines.to_json()


# -- the files ----------------------------------------------------------------------------------


async def adopt_files(session: AsyncSession) -> list[str]:
    """Save each preset and regime file in use (PLEDGE_PRESETS_DIR, PLEDGE_REGIMES_DIR) that is
    not yet any version of its key, as that key's newest version; the keys saved.

    So an edited file reaches new tickets as a version like any other, shown and pinned as
    such, and a file left as shipped never undoes a version an admin saved after it.
    """
    from sla.regimes import REGIME_KEYS, load_regimes

    files: list[tuple[str, Any]] = [("policy", p) for p in sla.load_presets().values()]
    files += [("regime", load_regimes()[key]) for key in REGIME_KEYS]
    adopted = []
    for kind, model in files:
        digest = digest_of(body_of(model))
        known = await policy_versions.history(session, kind, model.key)
        if any(row.digest == digest for row in known):
            continue
        row = PolicyVersion(
            kind=kind,
            key=model.key,
            version=(known[-1].version if known else 0) + 1,
            body=body_of(model),
            digest=digest,
            created_at=utcnow(),
            created_by="Pledge, from the preset files",
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue  # another process starting at the same time saved it
        terms.saved(row, model)
        adopted.append(f"{kind} {model.key} version {row.version}")
    return adopted


def stored_presets(kind: str) -> tuple[str, ...]:
    """The keys whose version 1 ships with Pledge."""
    from sla.regimes import REGIME_KEYS

    if kind == "policy":
        return sla_stored.PRESET_POLICIES
    if kind == "regime":
        return REGIME_KEYS
    return tuple(key for k, key, _ in _shipped() if k == "calendar")


def _shipped() -> list[tuple[str, str, dict[str, Any]]]:
    from sla.authoring import shipped_terms

    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = shipped_terms()
    return _SHIPPED


_SHIPPED: list[tuple[str, str, dict[str, Any]]] | None = None


# -- deleting -----------------------------------------------------------------------------------


async def _in_use(session: AsyncSession, kind: str, key: str, row: PolicyVersion) -> str | None:
    """Why version `row` cannot go, in words; None when nothing runs under it."""
    newest = await policy_versions.latest(session, kind, key)
    is_newest = newest is not None and newest.id == row.id
    # Cases opened before versions were recorded ran under version 1.
    if kind == "policy":
        cases = await session.scalar(
            select(func.count()).where(
                Ticket.policy == key,
                func.coalesce(Ticket.policy_version, 1) == row.version,
            )
        )
        if cases:
            return f"{cases} ticket{'s' if cases != 1 else ''} run under it"
        if is_newest:
            accounts = await session.scalar(select(func.count()).where(Account.policy == key))
            if accounts:
                return (
                    f"it is the newest version, and {accounts} account"
                    f"{'s' if accounts != 1 else ''} open new tickets under it"
                )
    if kind == "calendar" and is_newest:
        # Tickets carry their own copy of the calendar they count in (services/terms.py); the
        # accounts counting in it would open new tickets on the version left newest.
        accounts = await session.scalar(select(func.count()).where(Account.calendar == key))
        if accounts:
            return (
                f"it is the newest version, and {accounts} account"
                f"{'s' if accounts != 1 else ''} count{'s' if accounts == 1 else ''} in it"
            )
    if kind == "regime":
        cases = await session.scalar(
            select(func.count()).where(
                Complaint.regime == key,
                func.coalesce(Complaint.regime_version, 1) == row.version,
            )
        )
        if cases:
            return f"{cases} complaint{'s' if cases != 1 else ''} run under it"
    return None


async def delete_version(
    session: AsyncSession, principal: Principal, kind: str, key: str, version: int
) -> None:
    """Delete version `version` of (kind, key): only one nothing runs under, and never the
    version a preset ships as. Admins only."""
    allow(principal)
    found = await stored(session, kind, key, version)
    shipped = stored_presets(kind)
    if version == 1 and key in shipped:
        raise Conflict(
            f"Version 1 of {NOUNS[kind]} {key!r} is the one Pledge ships with; it is kept"
        )
    why = await _in_use(session, kind, key, found.row)
    if why is not None:
        raise Conflict(f"Version {version} of {NOUNS[kind]} {key!r} is in use: {why}")
    await session.delete(found.row)
    await session.flush()
    sla_stored.forget(kind, key, version)
    terms.saved_gone()
