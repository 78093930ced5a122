"""The terms admins saved, as the engine looks them up by key: the newest version of each.

`get_policy(key)` and `get_regime(key)` read this before the preset files, so a policy written
through `/policies` can be given to an account and is found by every page, report and mail
that names the account's policy, in the API and in the worker alike. The process that reads
versions from the database installs them here (services/terms.py); this module does no I/O.

Calendars kept on their own (/calendars) are held too: an account may count in one instead of
its policy's (Policy.calendar finds it by key when the policy has none of that name).

A preset's version 1 is the preset file itself, so it is never installed over the file: the
file wins while a preset has no later version (the tests' edited preset directories rely on
this, and PLEDGE_PRESETS_DIR's edits are saved as later versions at start-up).

Nothing here decides what a ticket or complaint runs under: each carries the snapshot of the
version it was opened under (sla.snapshot), so what is installed here can change at any time
without re-dating anything already open.
"""

from __future__ import annotations

from typing import Any

PRESET_POLICIES = ("e-shot", "spotler", "web-agency", "electric-putty", "essensys")

# kind -> key -> (version, model); insertion order is the order keys were first installed.
_held: dict[str, dict[str, tuple[int, Any]]] = {"policy": {}, "regime": {}, "calendar": {}}


def install(kind: str, key: str, version: int, model: Any) -> None:
    """Hold `model` as version `version` of (kind, key), unless a later version is held."""
    held = _held[kind].get(key)
    if held is None or held[0] <= version:
        _held[kind][key] = (version, model)


def replace_all(kind: str, newest: dict[str, tuple[int, Any]]) -> None:
    """Hold exactly `newest` for `kind`, keeping keys it lacks (saved by this process in a
    transaction another connection cannot see yet)."""
    _held[kind].update(newest)


def forget(kind: str, key: str, version: int) -> None:
    """Stop holding version `version` of (kind, key) (it was deleted)."""
    if _held[kind].get(key, (None,))[0] == version:
        del _held[kind][key]


def find(kind: str, key: str, presets: tuple[str, ...]) -> Any | None:
    """The newest saved model of (kind, key), or None: none saved, or a preset's version 1."""
    held = _held[kind].get(key)
    if held is None or (key in presets and held[0] <= 1):
        return None
    return held[1]


def version_of(kind: str, key: str) -> int | None:
    """The number of the newest version held of (kind, key)."""
    held = _held[kind].get(key)
    return held[0] if held else None


def keys(kind: str, presets: tuple[str, ...]) -> list[str]:
    """The keys saved beyond the presets, in the order first installed."""
    return [key for key in _held[kind] if key not in presets]


# Engine calendars built from held calendar models, by the model's identity.
_built: dict[int, tuple[Any, Any]] = {}


def built(model: Any) -> Any:
    """The engine calendar of a held calendar model, built once per model."""
    held = _built.get(id(model))
    if held is None or held[0] is not model:
        held = _built[id(model)] = (model, model.build())
    return held[1]


def models(kind: str) -> list[Any]:
    """The newest model held of every key of `kind`, in the order first installed."""
    return [model for _, model in _held[kind].values()]
