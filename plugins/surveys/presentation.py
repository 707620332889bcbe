"""Turning report figures into what staff read: honest share texts, labels, and server-rendered SVG charts.

No database and no HTTP here; templates only place what these functions return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from core.proportions import share_text
from plugins.surveys.service import Cell, period_label

Gettext = Callable[..., str]


def cell_text(cell: Cell | None, k: int, _: Gettext) -> str:
    if cell is None:
        return _("no answers")
    if cell.suppressed:
        return _("not shown (fewer than %(k)s answers, or would reveal such a group)", k=k)
    return share_text(cell.share, _)


def verdict(cell: Cell | None, target: float | None, _: Gettext) -> str:
    """Against target, honestly: only a whole interval above or below the target is a clear result."""
    if cell is None or cell.suppressed or target is None:
        return ""
    low, high = cell.share.interval
    if low * 100 >= target:
        return _("above target")
    if high * 100 < target:
        return _("below target")
    return _("not clearly different from target")


def dimension_title(dimension: str, survey_context: str, period: str, _: Gettext) -> str:
    return {
        "gender": _("By gender"),
        "context": _("By service") if survey_context == "service" else _("By errand category"),
        "language": _("By language"),
        "period": _("By week") if period == "week" else _("By month"),
    }[dimension]


def key_label(dimension: str, key: str | None, period: str, context_labels: dict[str, str],
              language_names: dict[str, str], _: Gettext) -> str:
    if dimension == "gender":
        return {"woman": _("Women"), "man": _("Men"), "other": _("Other"), "unstated": _("Prefer not to say"),
                None: _("Not answered")}.get(key, str(key))
    if key is None:
        return _("Not given")
    if dimension == "context":
        return context_labels.get(key, key)
    if dimension == "language":
        return language_names.get(key, key)
    if dimension == "period":
        return period_label(key, period)
    return key


# --- Chart ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartRow:
    label: str
    cell: Cell | None


def indicator_chart(title: str, rows: list[ChartRow], target: float | None, _: Gettext) -> Markup:
    """Horizontal bars (share) with 95 % interval whiskers and a dashed target line; suppressed rows show a
    note instead of a bar. Colours come from the page's CSS variables, so high contrast applies."""
    label_width, bar_width, row_height, top = 220, 440, 40, 30
    width = label_width + bar_width + 30
    height = top + row_height * len(rows) + 30

    def x(fraction: float) -> float:
        return label_width + fraction * bar_width

    parts = [f'<svg class="sv-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']
    for tick in (0, 25, 50, 75, 100):
        parts.append(f'<line class="sv-grid" x1="{x(tick / 100)}" y1="{top - 8}" x2="{x(tick / 100)}" '
                     f'y2="{height - 24}"/><text class="sv-tick" x="{x(tick / 100)}" y="{height - 6}" '
                     f'text-anchor="middle">{tick} %</text>')
    for index, row in enumerate(rows):
        y = top + index * row_height
        parts.append(f'<text class="sv-label" x="{label_width - 10}" y="{y + row_height / 2 + 6}" '
                     f'text-anchor="end">{escape(row.label)}</text>')
        if row.cell is None or row.cell.suppressed:
            note = _("no answers") if row.cell is None else _("not shown")
            parts.append(f'<text class="sv-note" x="{x(0) + 8}" y="{y + row_height / 2 + 6}">{escape(note)}</text>')
            continue
        share = row.cell.share
        low, high = share.interval
        middle = y + row_height / 2
        parts.append(f'<rect class="sv-bar" x="{x(0)}" y="{y + 8}" width="{share.value * bar_width:.1f}" '
                     f'height="{row_height - 16}"/>')
        parts.append(f'<line class="sv-whisker" x1="{x(low):.1f}" y1="{middle}" x2="{x(high):.1f}" y2="{middle}"/>'
                     f'<line class="sv-whisker" x1="{x(low):.1f}" y1="{middle - 8}" x2="{x(low):.1f}" '
                     f'y2="{middle + 8}"/><line class="sv-whisker" x1="{x(high):.1f}" y1="{middle - 8}" '
                     f'x2="{x(high):.1f}" y2="{middle + 8}"/>')
    if target is not None:
        target_label = _("Target %(target)s %%", target=f"{target:g}")
        parts.append(f'<line class="sv-target" x1="{x(target / 100):.1f}" y1="{top - 14}" '
                     f'x2="{x(target / 100):.1f}" y2="{height - 24}"/>'
                     f'<text class="sv-target-label" x="{x(target / 100):.1f}" y="{top - 18}" '
                     f'text-anchor="middle">{escape(target_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class PanelLine:
    label: str
    text: str
    verdict: str
    target: float | None
    # ("Women", "60 % (18 of 30, 42–75 %)"), ("Men", …): empty when the survey does not ask for gender
    by_gender: tuple[tuple[str, str], ...] = ()

    @property
    def target_text(self) -> str:
        return f"{self.target:g}" if self.target is not None else ""
