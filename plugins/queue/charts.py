"""The admin dashboard's queue panel: a bar chart drawn server-side as inline SVG, and the table behind it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from markupsafe import escape

from core.config import OfficeConfig
from plugins.queue.i18n import translations
from plugins.queue.settings import settings_of
from plugins.queue.stats import DayStats

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 560, 220, 36, 28, 10


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _chart(days: list[date], issued: dict[date, int], served: dict[date, int], title: str, labels: tuple[str, str],
           summary: str) -> str:
    peak = max([1, *issued.values(), *served.values()])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(days)
    bar = max(2.0, slot / 2 - 2)
    parts = [f'<svg class="queue-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="queue-chart-title '
             f'queue-chart-desc" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="queue-chart-title">{escape(title)}</title>',
             f'<desc id="queue-chart-desc">{escape(summary)}</desc>',
             f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" class="axis"/>',
             f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" class="tick">{peak}</text>',
             f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" class="tick">0</text>']
    for i, day in enumerate(days):
        x = LEFT + i * slot + 2
        for offset, value, cls in ((0, issued.get(day, 0), "issued"), (bar + 1, served.get(day, 0), "served")):
            h = plot_h * value / peak
            parts.append(f'<rect x="{x + offset:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'class="{cls}"><title>{day.isoformat()}: {value}</title></rect>')
        if len(days) <= 14:
            parts.append(f'<text x="{x + bar:.1f}" y="{HEIGHT - 10}" text-anchor="middle" class="tick">'
                         f'{day.day}/{day.month}</text>')
    parts.append("</svg>")
    legend = (f'<p class="queue-legend"><span class="queue-key issued"></span> {escape(labels[0])} '
              f'<span class="queue-key served"></span> {escape(labels[1])}</p>')
    return "".join(parts) + legend


def stats_panel_html(office: OfficeConfig, rows: Sequence[DayStats], language: str, today: date) -> str:
    _ = translations.gettext(language)
    settings = settings_of(office)
    days = [today - timedelta(days=n) for n in range(13, -1, -1)]
    issued: dict[date, int] = defaultdict(int)
    served: dict[date, int] = defaultdict(int)
    for row in rows:
        issued[row.day] += row.issued
        served[row.day] += row.served
    summary = _("%(issued)s tickets issued and %(served)s served in 14 days.",
                issued=sum(issued.values()), served=sum(served.values()))
    chart = _chart(days, issued, served, _("Tickets per day"), (_("Issued"), _("Served")), summary)
    names = {s.id: s.name.get_text(language) for s in settings.services}
    recent = [r for r in rows if r.day >= today - timedelta(days=6)]
    head = "".join(f"<th scope=\"col\">{escape(h)}</th>" for h in (
        _("Day"), _("Service"), _("Issued"), _("Served"), _("No-shows"), _("Wait, median (min)"),
        _("Wait, 90th percentile (min)"), _("Service time, median (min)")))
    body = "".join(
        f"<tr><td>{r.day.isoformat()}</td><td>{escape(names.get(r.service, r.service))}</td><td>{r.issued}</td>"
        f"<td>{r.served}</td><td>{r.no_shows}</td><td>{_minutes(r.wait_median_minutes)}</td>"
        f"<td>{_minutes(r.wait_p90_minutes)}</td><td>{_minutes(r.service_median_minutes)}</td></tr>"
        for r in reversed(recent))
    table = (f'<div class="queue-table-wrap"><table class="mbk-table"><caption>{escape(_("The last 7 days"))}</caption>'
             f"<thead><tr>{head}</tr></thead><tbody>{body or ''}</tbody></table></div>")
    if not recent:
        table += f'<p class="mbk-muted">{escape(_("No tickets in the last 7 days."))}</p>'
    links = (f'<p><a href="/api/v1/offices/{office.id}/queue/stats.csv">{escape(_("Download as CSV"))}</a></p>')
    style = ('<style>.queue-chart{width:100%;height:auto}.queue-chart .issued,.queue-key.issued{fill:var(--accent);'
             'background:var(--accent)}.queue-chart .served,.queue-key.served{fill:var(--muted);'
             'background:var(--muted)}'
             '.queue-chart .axis{stroke:var(--fg)}.queue-chart .tick{fill:var(--fg);font-size:12px}'
             '.queue-key{display:inline-block;width:1em;height:1em;vertical-align:middle}'
             '.queue-table-wrap{overflow-x:auto}</style>')
    return style + chart + table + links
