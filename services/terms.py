"""Keeps this process's view of the saved terms (sla.stored) in step with the database.

Every process that looks a policy up by key (the API, each worker) holds the newest version of
every saved policy and regime in memory, as the presets always were. It is brought up to date
from `policy_versions` at most once a second, on the next request or activity after the table
changed (one indexed query tells), and at once in the process that saved a version. A page
naming an account's policy may so lag another process's save by a second; what a ticket or
complaint is promised never does: opening one reads its version from the database
(services/tickets.py), and the case keeps that version's snapshot for life.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import sla
from db import policy_versions
from db.models import Account, PolicyVersion
from sla import stored
from sla.authoring import body_of, with_calendar
from sla.regimes import REGIME_KEYS, get_regime
from sla.snapshot import digest_of

# Seconds between two looks at the table from one process.
FRESH_FOR = 1.0
KINDS = ("policy", "regime", "calendar")

_looked_at = float("-inf")
_seen: tuple[int, int | None] | None = None


async def _signature(session: AsyncSession) -> tuple[int, int | None]:
    count, newest = (
        await session.execute(
            select(func.count(), func.max(PolicyVersion.id)).where(PolicyVersion.kind.in_(KINDS))
        )
    ).one()
    return int(count), newest


async def load(session: AsyncSession) -> None:
    """Hold the newest version of every saved policy and regime, as the database has them."""
    global _seen
    from services.policies import model_of  # the parsed models, cached by digest

    signature = await _signature(session)
    for kind in KINDS:
        rows = await policy_versions.newest_of_each(session, kind)
        stored.replace_all(kind, {row.key: (row.version, model_of(row)) for row in rows})
    _seen = signature


async def keep_fresh(session: AsyncSession) -> None:
    """`load` when the table changed since this process last looked (at most once a second)."""
    global _looked_at
    now = time.monotonic()
    if now - _looked_at < FRESH_FOR:
        return
    _looked_at = now
    if await _signature(session) != _seen:
        await load(session)


def saved_gone() -> None:
    """A version this process deleted: the next look reloads."""
    global _seen
    _seen = None


def saved(row: PolicyVersion, model: object) -> None:
    """A version this process just saved: held at once, without waiting for the next look."""
    global _seen
    if row.kind in KINDS:
        stored.install(row.kind, row.key, row.version, model)
        _seen = None  # the next look reloads, and finds the save committed or rolled back


# The digests of the preset files' models (by identity: the files are read once per process).
_file_digests: dict[int, tuple[Any, str]] = {}


def _digest(model: Any) -> str:
    held = _file_digests.get(id(model))
    if held is None or held[0] is not model:
        held = _file_digests[id(model)] = (model, digest_of(body_of(model)))
    return held[1]


@dataclass(frozen=True)
class Current:
    """The terms a case opened now is promised: the model, and its version's number (None
    only for a preset file edited in place and not yet saved as a version: the tests' edits)."""

    model: Any
    version: int | None


async def current(session: AsyncSession, kind: str, key: str) -> Current:
    """The newest version of policy (or regime) `key`, read from the database, not from this
    process's copy: what a case opened now keeps for life. The engine's lookup error (naming
    the known keys) when there is none."""
    from services.policies import model_of

    row = await policy_versions.latest(session, kind, key)
    files = {"policy": stored.PRESET_POLICIES, "regime": REGIME_KEYS}.get(kind, ())
    if row is None and kind == "calendar":
        raise sla.UnknownCalendar(f"no calendar {key!r} is kept on its own (GET /calendars)")
    if row is None or (key in files and row.version == 1):
        model = sla.get_policy(key) if kind == "policy" else get_regime(key)
        same = row is not None and _digest(model) == row.digest
        return Current(model, 1 if same else None)
    model = model_of(row)
    stored.install(kind, key, row.version, model)
    return Current(model, row.version)


async def of_case(session: AsyncSession, kind: str, key: str, version: int | None) -> Any:
    """The terms a ticket (or complaint) runs under: its version's model; the newest by key
    for a case whose version is unknown or no longer stored."""
    from services.policies import model_of

    if version is not None:
        row = await policy_versions.one(session, kind, key, version)
        if row is not None:
            return model_of(row)
    return sla.get_policy(key) if kind == "policy" else get_regime(key)


# Policies with an account's own calendar embedded, by the identities of both models.
_combined: dict[tuple[int, int], tuple[Any, Any, Any]] = {}


def _with(policy: sla.Policy, calendar: Any) -> sla.Policy:
    held = _combined.get((id(policy), id(calendar)))
    if held is None or held[0] is not policy or held[1] is not calendar:
        if len(_combined) > 256:
            _combined.clear()
        held = (policy, calendar, with_calendar(policy, calendar))
        _combined[(id(policy), id(calendar))] = held
    return held[2]


async def for_account(session: AsyncSession, account: Account) -> Current:
    """What a ticket at `account` opened now is promised: the newest version of its policy,
    with the calendar it counts in embedded when that is one kept on its own (/calendars),
    both read from the database."""
    policy_now = await current(session, "policy", account.policy)
    key = account.calendar
    if key is None or key in policy_now.model.calendars:
        return policy_now
    calendar_now = await current(session, "calendar", key)
    return Current(_with(policy_now.model, calendar_now.model), policy_now.version)


def account_policy(policy: str, calendar: str | None) -> sla.Policy:
    """The newest version of `policy` as this process holds it, with the account's own
    calendar embedded when it counts in one kept on its own: what account-level workflows
    carry as their terms (workflows/terms.py)."""
    rules = sla.get_policy(policy)
    if calendar is None or calendar in rules.calendars:
        return rules
    kept = stored.find("calendar", calendar, ())
    return rules if kept is None else _with(rules, kept)
