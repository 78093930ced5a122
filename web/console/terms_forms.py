"""The edit forms of policies and calendars: the parts people change most as fields, the rest
as the version's JSON, and a refusal put back beside the field it names.

A field's name is its path in the body ('calendars.support.hours.mon'), as on every console
form (web/forms.py), so the service's problem `body.calendars.support.hours.mon` lands beside
it. The fields are laid over the JSON: where both say something about the same part, the
field wins; what has no field (triage, entitlements, out-of-hours targets, ...) is edited in the
JSON. Fields exist only for calendars and priorities the JSON has, so one removed from the JSON
is removed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sla.week import DAY_NAMES
from web.console import terms_words as words
from web.forms import checked

JSON_FIELD = "json"
_SPLIT = re.compile(r"[,;\s]+")
# A new policy's or calendar's form offers this many blank rows for holidays and closures.
BLANK_HOLIDAYS = 1
BLANK_CLOSURES = 2


@dataclass
class CalendarBlock:
    """One calendar's fields: `prefix` + 'timezone', 'hours.mon', 'closures.0.name', ..."""

    prefix: str
    title: str
    holiday_rows: int
    closure_rows: int


@dataclass
class PriorityBlock:
    prefix: str
    title: str
    targets: list[tuple[str, str]]  # (target key, its words)


@dataclass
class Layout:
    """The fields an edit form shows for one body, and each field's label."""

    calendars: list[CalendarBlock] = field(default_factory=list)
    priorities: list[PriorityBlock] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


def _calendar_block(
    prefix: str, title: str, spec: Mapping[str, Any], labels: dict
) -> CalendarBlock:
    holidays = len(spec.get("holidays") or []) + BLANK_HOLIDAYS
    closures = len(spec.get("closures") or []) + BLANK_CLOSURES
    where = f"{title}: " if title else ""
    labels[f"{prefix}name"] = f"{where}name"
    labels[f"{prefix}timezone"] = f"{where}time zone"
    labels[f"{prefix}always_open"] = f"{where}open round the clock"
    for day, day_words in zip(DAY_NAMES, words.DAY_WORDS, strict=True):
        labels[f"{prefix}hours.{day}"] = f"{where}{day_words} hours"
    for i in range(holidays):
        labels[f"{prefix}holidays.{i}.country"] = f"{where}holidays {i + 1}, country"
        labels[f"{prefix}holidays.{i}.subdivisions"] = f"{where}holidays {i + 1}, regions"
    for i in range(closures):
        for part in ("name", "start", "end"):
            labels[f"{prefix}closures.{i}.{part}"] = f"{where}closure {i + 1}, {part}"
    return CalendarBlock(prefix, title, holidays, closures)


def layout_of(kind: str, body: Mapping[str, Any], *, new: bool = False) -> Layout:
    """The fields for `body` (a policy's, calendar's or regime's JSON); a new one's key too."""
    layout = Layout(labels={JSON_FIELD: "Everything else (JSON)"})
    if kind == "regime":
        layout.labels[JSON_FIELD] = "The regime (JSON)"
        return layout
    if new:
        layout.labels["key"] = "Key"
    if kind == "calendar":
        layout.calendars.append(_calendar_block("", "", body, layout.labels))
        return layout
    layout.labels["name"] = "Name"
    for key, spec in (body.get("calendars") or {}).items():
        if isinstance(spec, Mapping):
            title = f"Calendar {spec.get('name') or key}"
            layout.calendars.append(
                _calendar_block(f"calendars.{key}.", title, spec, layout.labels)
            )
    for key, priority in (body.get("priorities") or {}).items():
        if not isinstance(priority, Mapping):
            continue
        prefix = f"priorities.{key}."
        title = str(priority.get("name") or key)
        layout.labels[f"{prefix}name"] = f"Priority {title}: label"
        layout.labels[f"{prefix}description"] = f"Priority {title}: description"
        targets = []
        for name in priority.get("targets") or {}:
            targets.append((name, words.target_name(name)))
            for part, part_words in (("amount", "amount"), ("unit", "unit")):
                layout.labels[f"{prefix}targets.{name}.{part}"] = (
                    f"Priority {title}: {words.target_name(name).lower()} {part_words}"
                )
        layout.priorities.append(PriorityBlock(prefix, title, targets))
    return layout


# -- the values the fields show -----------------------------------------------------------------


def _calendar_values(prefix: str, spec: Mapping[str, Any], values: dict[str, str]) -> None:
    values[f"{prefix}name"] = str(spec.get("name") or "")
    values[f"{prefix}timezone"] = str(spec.get("timezone") or "")
    values[f"{prefix}always_open"] = "on" if spec.get("always_open") else ""
    hours = spec.get("hours") or {}
    for day in DAY_NAMES:
        listed = hours.get(day, []) if not spec.get("always_open") else []
        values[f"{prefix}hours.{day}"] = ", ".join(listed) if isinstance(listed, list) else ""
    for i, source in enumerate(spec.get("holidays") or []):
        values[f"{prefix}holidays.{i}.country"] = str(source.get("country", ""))
        values[f"{prefix}holidays.{i}.subdivisions"] = ", ".join(source.get("subdivisions", []))
    for i, closure in enumerate(spec.get("closures") or []):
        for part in ("name", "start", "end"):
            values[f"{prefix}closures.{i}.{part}"] = str(closure.get(part, ""))


def values_of(kind: str, body: Mapping[str, Any]) -> dict[str, str]:
    """What each field shows for `body`, and the JSON pretty-printed."""
    values: dict[str, str] = {"key": str(body.get("key", "")), "name": str(body.get("name", ""))}
    if kind == "calendar":
        _calendar_values("", body, values)
    else:
        for key, spec in (body.get("calendars") or {}).items():
            if isinstance(spec, Mapping):
                _calendar_values(f"calendars.{key}.", spec, values)
        for key, priority in (body.get("priorities") or {}).items():
            if not isinstance(priority, Mapping):
                continue
            prefix = f"priorities.{key}."
            values[f"{prefix}name"] = str(priority.get("name", ""))
            values[f"{prefix}description"] = str(priority.get("description", ""))
            for name, target in (priority.get("targets") or {}).items():
                amount = target.get("amount")
                values[f"{prefix}targets.{name}.amount"] = "" if amount is None else f"{amount:g}"
                values[f"{prefix}targets.{name}.unit"] = words.unit_choice(target)
    values[JSON_FIELD] = pretty(body)
    return values


def pretty(body: Any) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False)


# -- reading a posted form ----------------------------------------------------------------------


@dataclass
class Posted:
    """A posted edit form read back into a body: `data` is None when its JSON cannot be read.
    `moved` maps a list entry's path in `data` to the form row it came from (rows left blank
    are dropped, so entry 0 may be row 1)."""

    data: dict[str, Any] | None
    errors: dict[str, str] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)


def _split(text: str) -> list[str]:
    return [part for part in _SPLIT.split(text.replace("–", "-").strip()) if part]


def _rows(form: Mapping[str, str], prefix: str, first: str) -> int:
    count = 0
    while f"{prefix}{count}.{first}" in form:
        count += 1
    return count


def _merge_calendar(form: Mapping[str, str], prefix: str, cal: dict, posted: Posted) -> None:
    if f"{prefix}timezone" not in form:
        return  # the form shows no fields for this calendar: its JSON stands
    if f"{prefix}name" in form:
        cal["name"] = form[f"{prefix}name"].strip()
    cal["timezone"] = form[f"{prefix}timezone"].strip()
    cal["always_open"] = checked(form, f"{prefix}always_open")
    if cal["always_open"]:
        cal["hours"] = {}
    else:
        cal["hours"] = {day: _split(form.get(f"{prefix}hours.{day}", "")) for day in DAY_NAMES}
    old = cal.get("holidays") or []
    holidays = []
    for row in range(_rows(form, f"{prefix}holidays.", "country")):
        country = form[f"{prefix}holidays.{row}.country"].strip()
        if not country:
            continue
        subs = [s.upper() for s in _split(form.get(f"{prefix}holidays.{row}.subdivisions", ""))]
        kept = old[row] if row < len(old) and isinstance(old[row], dict) else {}
        posted.moved[f"{prefix}holidays.{len(holidays)}"] = f"{prefix}holidays.{row}"
        holidays.append({**kept, "country": country.upper(), "subdivisions": subs})
    cal["holidays"] = holidays
    old = cal.get("closures") or []
    closures = []
    for row in range(_rows(form, f"{prefix}closures.", "name")):
        parts = {
            p: form.get(f"{prefix}closures.{row}.{p}", "").strip() for p in ("name", "start", "end")
        }
        if not any(parts.values()):
            continue  # a row left (or made) blank: no closure
        if not parts["end"]:
            parts["end"] = parts["start"]  # one day
        kept = old[row] if row < len(old) and isinstance(old[row], dict) else {}
        posted.moved[f"{prefix}closures.{len(closures)}"] = f"{prefix}closures.{row}"
        closures.append({**kept, **parts})
    cal["closures"] = closures


def _amount(text: str) -> int | float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    number = float(text)
    return int(number) if number.is_integer() else number


def _merge_priority(form: Mapping[str, str], prefix: str, priority: dict, posted: Posted) -> None:
    for part in ("name", "description"):
        if f"{prefix}{part}" in form:
            priority[part] = form[f"{prefix}{part}"].strip()
    for name, target in (priority.get("targets") or {}).items():
        where = f"{prefix}targets.{name}."
        if f"{where}unit" not in form or not isinstance(target, dict):
            continue
        unit = form[f"{where}unit"]
        if unit.startswith("release:"):
            target.update(unit="release", release=unit.removeprefix("release:"), amount=None)
            continue
        target.update(unit=unit, release=None)
        try:
            target["amount"] = _amount(form.get(f"{where}amount", ""))
        except ValueError:
            posted.errors[f"{where}amount"] = "Write a number, such as 4 or 1.5."


def read_form(kind: str, form: Mapping[str, str]) -> Posted:
    """The body the form describes: its JSON with the fields laid over it."""
    try:
        data = json.loads(form.get(JSON_FIELD, "") or "{}")
    except json.JSONDecodeError as exc:
        return Posted(
            None,
            {JSON_FIELD: f"This is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."},
        )
    if not isinstance(data, dict):
        return Posted(None, {JSON_FIELD: "This must be a JSON object: { ... }."})
    data = copy.deepcopy(data)
    posted = Posted(data)
    for name in ("key", "name"):
        if name in form:
            data[name] = form[name].strip()
    if kind == "calendar":
        _merge_calendar(form, "", data, posted)
        return posted
    for key, spec in (data.get("calendars") or {}).items():
        if isinstance(spec, dict):
            _merge_calendar(form, f"calendars.{key}.", spec, posted)
    for key, priority in (data.get("priorities") or {}).items():
        if isinstance(priority, dict):
            _merge_priority(form, f"priorities.{key}.", priority, posted)
    return posted


# -- refusals beside their fields ---------------------------------------------------------------


def field_for(path: str, shown: set[str], moved: Mapping[str, str]) -> str | None:
    """The form field a problem's path names: itself, the row it came from, the first field
    under it ('calendars.x.hours' -> its Monday), or for a range of days ('hours.mon-fri') its
    first day; None when the form has no field for it (the JSON answers for it)."""
    for data_path, row in moved.items():
        if path == data_path or path.startswith(data_path + "."):
            path = row + path[len(data_path) :]
            break
    if path in shown:
        return path
    under = next((name for name in shown if name.startswith(path + ".")), None)
    if under is not None:
        return under
    head, _, last = path.rpartition(".")
    if head.endswith("hours") and "-" in last:
        first = f"{head}.{last.split('-')[0]}"
        if first in shown:
            return first
    return None


def place(
    problems: list[tuple[str, str]], layout: Layout, posted: Posted
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Each (path, reason) beside its field, or in the JSON field's message; and the summary
    of them all as (field name, 'label: reason')."""
    errors = dict(posted.errors)
    shown = set(layout.labels)
    for path, reason in problems:
        reason = reason[:1].upper() + reason[1:]
        name = field_for(path, shown, posted.moved) if path else None
        if name is None or name == JSON_FIELD:
            line = f"{path}: {reason}" if path else reason
            errors[JSON_FIELD] = (errors.get(JSON_FIELD, "") + " " + line).strip()
        elif name not in errors:
            errors[name] = reason
    summary = []
    for name, text in errors.items():
        label = layout.labels.get(name, name)
        summary.append((name, f"{label[:1].upper()}{label[1:]}: {text}"))
    return errors, summary
