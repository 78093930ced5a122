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


@dataclass(frozen=True)
class Pair:
    """One row of a paired bar chart: a label and two counts."""

    label: str
    first: int
    second: int


def paired_bars(rows: Sequence[Pair], legend: tuple[str, str], width: int = 480) -> str:
    """Two horizontal bars per row (e.g. tickets opened and resolved per priority)."""
    label_w, row_h, bar_h, top = 110, 30, 10, 24
    plot_w = width - label_w - 40
    biggest = max([1, *(max(r.first, r.second) for r in rows)])
    height = top + row_h * max(len(rows), 1) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans" font-size="10">',
        _legend(label_w, 10, [(BLUE, legend[0]), (LIGHT, legend[1])]),
    ]
    for i, row in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h + 4}" text-anchor="end" fill="{INK}">'
            f"{escape(row.label)}</text>"
        )
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


def attainment_bars(rows: Sequence[Share], width: int = 480) -> str:
    """A bar per row for the share of targets met, with a tick at the goal: green when the
    goal is met, red when not, grey without a goal."""
    label_w, row_h, bar_h, top = 110, 24, 12, 24
    plot_w = width - label_w - 50
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
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h - 2}" text-anchor="end" fill="{INK}">'
            f"{escape(row.label)}</text>"
        )
        if row.share is None:
            parts.append(
                f'<text x="{label_w + 4}" y="{y + bar_h - 2}" fill="{MUTED}">none decided</text>'
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


def _legend(x: int, y: int, items: list[tuple[str, str]]) -> str:
    out = []
    for colour, text in items:
        out.append(
            f'<rect x="{x}" y="{y - 8}" width="9" height="9" fill="{colour}"/>'
            f'<text x="{x + 13}" y="{y}" fill="{MUTED}">{escape(text)}</text>'
        )
        x += 22 + 6 * len(text)
    return "".join(out)
