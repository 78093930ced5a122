"""Small SVG charts for the reports: drawn here, so WeasyPrint needs nothing but the markup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

INK = "#1d2430"
MUTED = "#5b6472"
BLUE = "#123b6d"
LIGHT = "#8fb0d8"
GOOD = "#1b7a3d"
BAD = "#b3261e"
GRID = "#c9d2de"
KEY = [(GOOD, "goal met"), (BAD, "goal missed"), (MUTED, "no goal"), (INK, "goal")]
# DejaVu Sans at 10 px averages under 6.2 px a character; labels are measured with this, so a
# long priority name ("P2 - High resolution") widens the label column instead of being cut.
CHAR_W = 6.2
WRAP_AT = 28  # characters on a label's line before it wraps onto a second
PLOT_W = 330


@dataclass(frozen=True)
class Pair:
    """One row of a paired bar chart: a label and two counts."""

    label: str
    first: int
    second: int


def paired_bars(rows: Sequence[Pair], legend: tuple[str, str]) -> str:
    """Two horizontal bars per row (e.g. tickets opened and resolved per priority)."""
    label_w = _label_width([r.label for r in rows])
    row_h, bar_h, top = 30, 10, 24
    plot_w = PLOT_W
    width = label_w + plot_w + 40
    biggest = max([1, *(max(r.first, r.second) for r in rows)])
    height = top + row_h * max(len(rows), 1) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="10">',
        _legend(label_w, 10, [(BLUE, legend[0]), (LIGHT, legend[1])]),
    ]
    for i, row in enumerate(rows):
        y = top + i * row_h
        parts.append(_label(row.label, label_w - 8, y + bar_h + 4))
        for j, (value, colour) in enumerate(((row.first, BLUE), (row.second, LIGHT))):
            bar_y = y + j * (bar_h + 2)
            w = plot_w * value / biggest
            parts.append(
                f'<rect x="{label_w}" y="{bar_y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{label_w + w + 4:.1f}" y="{bar_y + bar_h - 1}" fill="{MUTED}">'
                f"{value}</text>"
            )
    if not rows:
        parts.append(f'<text x="{label_w}" y="{top + 12}" fill="{MUTED}">No tickets</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Share:
    """One row of an attainment chart: the share achieved against the share promised."""

    label: str
    share: float | None  # 0..1; None when nothing was decided
    goal: float | None
    by_release: int = 0  # targets met by a release: no share in time, said apart


def attainment_bars(rows: Sequence[Share]) -> str:
    """A bar per row for the share of targets met, with a tick at the goal: green when the
    goal is met, red when not, grey without a goal."""
    label_w = _label_width([r.label for r in rows])
    row_h, bar_h, top = 26, 12, 24
    plot_w = PLOT_W
    width = label_w + plot_w + 50
    height = top + row_h * max(len(rows), 1) + 18
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="10">',
        _legend(label_w, 10, KEY),
    ]
    for pct in (0, 50, 100):
        x = label_w + plot_w * pct / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 14}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
            f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle" fill="{MUTED}" '
            f'font-size="8">{pct}%</text>'
        )
    for i, row in enumerate(rows):
        y = top + i * row_h
        parts.append(_label(row.label, label_w - 8, y + bar_h - 2))
        if row.share is None:
            words = (
                f"{row.by_release} met by release" if row.by_release else "none met or missed yet"
            )
            parts.append(
                f'<text x="{label_w + 4}" y="{y + bar_h - 2}" fill="{MUTED}">{words}</text>'
            )
        else:
            colour = MUTED if row.goal is None else GOOD if row.share >= row.goal else BAD
            w = plot_w * row.share
            # The figure goes past the goal's tick when the bar ends near it.
            ends = max(w, plot_w * row.goal + 2 if row.goal is not None else 0)
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
                f'<text x="{label_w + ends + 4:.1f}" y="{y + bar_h - 2}" fill="{INK}">'
                f"{row.share:.0%}</text>"
            )
        if row.goal is not None:
            x = label_w + plot_w * row.goal
            parts.append(
                f'<line x1="{x:.1f}" y1="{y - 2}" x2="{x:.1f}" y2="{y + bar_h + 2}" '
                f'stroke="{INK}" stroke-width="1.5"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _lines(label: str) -> list[str]:
    """The label on one line, or two split at a space when it is long."""
    if len(label) <= WRAP_AT or " " not in label:
        return [label]
    cut = label.rfind(" ", 0, WRAP_AT + 1)
    cut = cut if cut > 0 else label.find(" ")
    return [label[:cut], label[cut + 1 :]]


def _label_width(labels: Sequence[str]) -> int:
    longest = max((len(line) for label in labels for line in _lines(label)), default=0)
    return max(60, int(longest * CHAR_W) + 14)


def _label(label: str, x: int, y: int) -> str:
    """Right-aligned at x; a second line below the first (a row is tall enough for both)."""
    lines = _lines(label)
    if len(lines) == 1:
        return f'<text x="{x}" y="{y}" text-anchor="end" fill="{INK}">{escape(label)}</text>'
    first, second = lines
    return (
        f'<text x="{x}" y="{y - 5}" text-anchor="end" fill="{INK}">{escape(first)}'
        f'<tspan x="{x}" dy="11">{escape(second)}</tspan></text>'
    )


def _legend(x: int, y: int, items: list[tuple[str, str]]) -> str:
    out = []
    for colour, text in items:
        out.append(
            f'<rect x="{x}" y="{y - 8}" width="9" height="9" fill="{colour}"/>'
            f'<text x="{x + 13}" y="{y}" fill="{MUTED}">{escape(text)}</text>'
        )
        x += 22 + 6 * len(text)
    return "".join(out)
