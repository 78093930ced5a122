"""Loading policies from TOML, with errors that name the file, the field and the reason."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import stored
from .closed_days import COUNTABLE_YEARS
from .errors import FieldError, PolicyError, UnknownPolicy
from .policy import Policy

PRESET_KEYS = stored.PRESET_POLICIES


def load_policy(path: str | Path) -> Policy:
    """Read and validate one policy file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(str(path), "", f"cannot read the file: {exc.strerror or exc}") from None
    return parse_policy(text, file=str(path))


def parse_policy(text: str, file: str = "<string>") -> Policy:
    """Validate a policy from TOML text; `file` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(file, "", f"not valid TOML: {exc}") from None
    return policy_from_data(data, file=file)


def policy_from_data(data: Mapping[str, Any], file: str = "<data>") -> Policy:
    """Validate a policy from already-parsed data."""
    try:
        return Policy.model_validate(dict(data))
    except ValidationError as exc:
        problems = [_explain(err) for err in exc.errors()]
        field, reason = problems[0]
        raise PolicyError(file, field, reason, others=problems[1:]) from None


def _explain(err: Any) -> tuple[str, str]:
    """(dotted field path, reason a person can act on) of one pydantic error."""
    loc = [str(part) for part in err["loc"]]
    kind = err["type"]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        if cause.field:
            loc.append(cause.field)
        return ".".join(loc), cause.reason
    if kind == "missing":
        return ".".join(loc), "is required"
    if kind == "extra_forbidden":
        return ".".join(loc), "unknown field"
    reason = str(cause) if isinstance(cause, ValueError) else err["msg"]
    if reason.startswith("Value error, "):
        reason = reason[len("Value error, ") :]
    return ".".join(loc), reason[:1].lower() + reason[1:]


_presets_dir: Path | None = None


def use_data_dirs(presets: Path | None = None, regimes: Path | None = None) -> None:
    """Read the preset policies from `presets` and the complaint regimes from `regimes`
    (None: the files shipped in sla/presets and sla/regimes), afresh on their next use.

    The API and the worker call this at start-up with PLEDGE_PRESETS_DIR and
    PLEDGE_REGIMES_DIR. A directory holds one <key>.toml per preset (or regime) key. An edit
    there reaches new cases once a process reads the files again; cases already open keep the
    snapshot of the terms they were opened under (sla.snapshot).
    """
    global _presets_dir
    from .regimes import use_regimes_dir

    _presets_dir = Path(presets) if presets is not None else None
    load_presets.cache_clear()
    use_regimes_dir(regimes)


def _preset_file(key: str) -> tuple[Any, str]:
    """The file of a preset, and how errors name it."""
    if _presets_dir is None:
        return resources.files("sla") / "presets" / f"{key}.toml", f"sla/presets/{key}.toml"
    path = _presets_dir / f"{key}.toml"
    return path, str(path)


@lru_cache(maxsize=1)
def load_presets() -> dict[str, Policy]:
    """The five seed policies by key, read once on first use."""
    found: dict[str, Policy] = {}
    for key in PRESET_KEYS:
        entry, name = _preset_file(key)
        try:
            text = entry.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(name, "", f"cannot read the file: {exc.strerror or exc}") from None
        policy = parse_policy(text, file=name)
        if policy.key != key:
            raise PolicyError(name, "key", f"must be {key!r}, the file's name")
        found[key] = policy
    return found


def get_policy(key: str) -> Policy:
    """The newest version of policy `key` (sla.stored), else the preset; UnknownPolicy naming
    the known keys otherwise."""
    saved = stored.find("policy", key, PRESET_KEYS)
    if saved is not None:
        return saved
    presets = load_presets()
    try:
        return presets[key]
    except KeyError:
        raise UnknownPolicy(f"no policy {key!r} (known: {', '.join(policy_keys())})") from None


def policies_without_team_address(default: str | None) -> list[str]:
    """Keys of the policies whose unassigned warnings and breaches would reach nobody: no team
    address of their own and `default` (PLEDGE_TEAM_EMAIL) unset."""
    if default:
        return []
    return [key for key, policy in load_presets().items() if not policy.team_email]


def policy_keys() -> list[str]:
    """Keys of the preset policies, then of those admins saved (sla.stored)."""
    return [*PRESET_KEYS, *stored.keys("policy", PRESET_KEYS)]


PRELOAD_YEARS = COUNTABLE_YEARS
# The earliest instant deadlines may count from: a calendar also reads the year before, and only
# preloaded years are safe inside a workflow. Callers refuse earlier instants as bad input.
EARLIEST_START = datetime(PRELOAD_YEARS.start + 1, 1, 1, tzinfo=UTC)
# The end (exclusive) of the instants deadlines may count from or to. A calendar reads the year
# after an instant, and deadlines run some months past their start (a complaint extension, the
# reminders after it): all of that must stay inside the preloaded years, or a workflow asks the
# holidays package for a year it cannot have and fails on every attempt. Counting from mid-2080
# still works; from late 2080 it does not, so the last preloaded year is kept as headroom.
LATEST_START = datetime(PRELOAD_YEARS.stop - 1, 1, 1, tzinfo=UTC)


def preload(years: range = PRELOAD_YEARS) -> None:
    """Read every preset and regime, and build every calendar with its closed days for `years`.

    A worker calls this once at start: afterwards the deadline maths inside workflows is pure
    lookups, and never needs the holidays package (which reads the locale, and the Temporal
    sandbox forbids that).
    """
    from .calendar import UK_JURISDICTIONS, uk_working_days
    from .regimes import load_regimes

    load_regimes()  # a broken regime stops the worker at start, not a complaint later
    calendars = [
        policy.calendar(key) for policy in load_presets().values() for key in policy.calendars
    ]
    calendars += [uk_working_days(name) for name in UK_JURISDICTIONS]
    for calendar in calendars:
        for year in years:
            calendar.closed_days(year)
