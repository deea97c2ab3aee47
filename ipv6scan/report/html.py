"""The phase report as one self-contained HTML page.

No external assets and no script: inline CSS, inline SVG bar charts (share of
organisations per phase against its target, share of compliant hosts per kind),
a strict Content-Security-Policy. Then the organisations × phases table, per
organisation what it must fix and every host with its reasons, page title,
server, final URL and certificate; last the criteria and their sources.

Every string, wherever it lands (text, attribute, SVG), goes through :func:`esc`
(``html.escape`` with ``quote=True``, control characters removed). A URL becomes
a link only when it starts with ``http://`` or ``https://``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ..scores import HostScore, OrgScore, PhaseTotal, ScoreReport, State
from .i18n import (
    EXPLANATION_COLUMNS,
    STATE_SYMBOL,
    Fix,
    Titles,
    behind,
    explanation_rows,
    facts,
    heading,
    kind_label,
    kind_columns,
    kind_row,
    legend,
    kind_share,
    next_phase,
    number,
    one_line,
    percent,
    phase_line,
    phase_notes,
    phase_share,
    phase_states,
    reason_text,
    report_titles,
    short_title,
    sorted_hosts,
    state_label,
    summary,
    t,
    title,
    unused_waivers,
    verdict_label,
    when,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;max-width:72rem;
padding:0 1rem;color:#1b1f24;line-height:1.45}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de}h3{margin-top:1.6rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f5f7}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.unknown{color:#9a6700}
.not_applicable{color:#6e7781}.explained{color:#0550ae;font-weight:600}.note{color:#57606a;font-size:.9rem}
svg text{font-size:12px;fill:#1b1f24}.bar-met{fill:#2da44e}.bar-miss{fill:#cf222e}.bar{fill:#0969da}
.target{stroke:#1b1f24;stroke-width:2;stroke-dasharray:4 2}.axis{stroke:#d0d7de}
"""

_BAR_X, _BAR_W, _NOTE_W, _ROW_H = 260, 420, 130, 26
_LABEL_MAX = 40


def esc(value: object) -> str:
    """Text or attribute value: ``html.escape(quote=True)`` of the text on one line."""
    return html.escape(one_line(value), quote=True)


Trend = Sequence[tuple[str, Mapping[str, float]]]  # (date, phase id -> share of organisations attaining it)


def render_html(report: ScoreReport, *, lang: str, titles: Titles | None = None, trend: Trend | None = None) -> str:
    """The page; ``trend`` (oldest first) adds a line chart of each phase's share over past scans."""
    titles = report_titles(report, titles)
    head = (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(heading(report, lang, titles))}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
    )
    parts = [head, f"<h1>{esc(heading(report, lang, titles))}</h1>", _facts(report, lang, titles)]
    parts += [f"<h2>{esc(t('phases_heading', lang))}</h2>", "<ul>"]
    parts += [_phase_item(p, lang, titles) for p in report.phases]
    parts += ["</ul>", _phase_chart(report, lang, titles)]
    if trend:
        parts.append(_trend_chart(trend, [p.phase for p in report.phases], lang, titles))
    parts += [f"<h2>{esc(t('kinds_heading', lang))}</h2>", _kind_chart(report, lang), _kind_table(report, lang)]
    parts += [f"<h2>{esc(t('orgs_heading', lang))}</h2>", _org_table(report, lang, titles)]
    if report.waivers_file:
        parts += [f"<h2>{esc(t('explanations_heading', lang))}</h2>", f'<p class="note">{esc(t("explanations_note", lang))}</p>',
                  _table([t(k, lang) for k in EXPLANATION_COLUMNS],
                         [[esc(c) for c in row] for row in explanation_rows(report, lang, titles)])]
        parts += [f'<p class="note">{esc(unused)}</p>'] if (unused := unused_waivers(report, lang)) else []
    parts += [f"<h2>{esc(t('org_detail_heading', lang))}</h2>", _org_sections(report, lang, titles)]
    if report.criteria:
        parts += [f"<h2>{esc(t('criteria_heading', lang))}</h2>", _criteria(report, lang, titles)]
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _facts(report: ScoreReport, lang: str, titles: Titles) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts(report, lang, titles))
    return f"<table>{rows}</table>\n<p>{esc(summary(report, lang))}</p>"


def _phase_item(total: PhaseTotal, lang: str, titles: Titles) -> str:
    notes = " · ".join(phase_notes(total, lang))
    small = f'<br><small class="note">{esc(notes)}</small>' if notes else ""
    return f"<li>{esc(phase_line(total, lang, titles))}{small}</li>"


def _criteria(report: ScoreReport, lang: str, titles: Titles) -> str:
    items = []
    for c in report.criteria:
        kinds = ", ".join(kind_label(k, lang) for k in c.kinds)
        name, basis = esc(title(c.id, lang, titles)), esc(t("basis", lang, source=c.source))
        items.append(f"<li><strong>{name}</strong> ({esc(kinds)}): {basis}</li>")
    return f"<ul>{''.join(items)}</ul>"


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A table of already-escaped cells (escaped headers here)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>\n" for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"


def _state(state: State, lang: str) -> str:
    return f'<span class="{esc(state.value)}">{esc(STATE_SYMBOL[state])} {esc(state_label(state, lang))}</span>'


def _short(text: str) -> str:
    return text if len(text) <= _LABEL_MAX else text[: _LABEL_MAX - 1] + "…"


def _clamp(share: float) -> float:
    return min(max(share, 0.0), 1.0)


class _Bar(NamedTuple):
    label: str  # left of the bar (cut to _LABEL_MAX; the whole label is its tooltip)
    share: float | None  # None: no bar (nothing could be judged)
    css: str
    target: float | None = None  # a dashed line across the bar
    note: str = ""  # right of the bar


def _chart(caption: str, bars: list[_Bar]) -> str:
    """Horizontal bars in inline SVG; every text is escaped here, every number formatted here."""
    height = _ROW_H * len(bars) + 10
    width = _BAR_X + _BAR_W + _NOTE_W
    out = [
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(caption)}">',
        f"<title>{esc(caption)}</title>",
        f'<line class="axis" x1="{_BAR_X}" y1="0" x2="{_BAR_X}" y2="{height}"/>',
    ]
    for i, bar in enumerate(bars):
        y = i * _ROW_H + 5
        out.append(
            f'<text x="{_BAR_X - 8}" y="{y + 15}" text-anchor="end"><title>{esc(bar.label)}</title>'
            f"{esc(_short(bar.label))}</text>"
        )
        if bar.share is not None:
            length = _clamp(bar.share) * _BAR_W
            out.append(f'<rect class="{esc(bar.css)}" x="{_BAR_X}" y="{y + 3}" width="{length:.1f}" height="16"/>')
        if bar.target is not None:
            x = _BAR_X + _clamp(bar.target) * _BAR_W
            out.append(f'<line class="target" x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 22}"/>')
        if bar.note:
            out.append(f'<text x="{_BAR_X + _BAR_W + 8}" y="{y + 15}">{esc(bar.note)}</text>')
    out.append(f'</svg><figcaption class="note">{esc(caption)}</figcaption></figure>')
    return "\n".join(out)


def _phase_chart(report: ScoreReport, lang: str, titles: Titles) -> str:
    bars = [
        _Bar(
            f"{short_title(p.phase, lang, titles)}: {phase_share(p, lang)}",
            p.share if p.orgs_total else None,
            "bar-met" if p.met else "bar-miss",
            target=p.target_share,
            note=f"{t('col_target', lang)} {percent(p.target_share, lang)}",
        )
        for p in report.phases
    ]
    return _chart(t("chart_phases", lang), bars)


def _kind_chart(report: ScoreReport, lang: str) -> str:
    bars = [
        _Bar(f"{kind_label(k.kind, lang)}: {kind_share(k, lang)}", k.share if k.compliant + k.failing else None, "bar")
        for k in report.kinds
    ]
    return _chart(t("chart_kinds", lang), bars)


def _kind_table(report: ScoreReport, lang: str) -> str:
    rows = [[esc(c) for c in kind_row(k, lang, report)] for k in report.kinds]
    return _table([t(k, lang) for k in kind_columns(report)], rows) + f'\n<p class="note">{esc(t("share_note", lang))}</p>'


def _org_table(report: ScoreReport, lang: str, titles: Titles) -> str:
    phases = [p.phase for p in report.phases]
    header = [t("col_org", lang), t("col_hosts", lang), t("col_compliant", lang)]
    header += [short_title(p, lang, titles) for p in phases] + [t("col_next_phase", lang)]
    rows = [
        [f'<a href="#org-{i}">{esc(org.org)}</a>', esc(number(org.hosts, lang)), esc(number(org.compliant_hosts, lang))]
        + [_state(s, lang) for s in phase_states(org, phases)]
        + [esc(next_phase(org, lang, titles))]
        for i, org in enumerate(report.orgs)
    ]
    return _table(header, rows) + f'\n<p class="note">{esc(legend(report, lang))}</p>'


def _org_sections(report: ScoreReport, lang: str, titles: Titles) -> str:
    todo = {org.org: items for org, items in behind(report, lang, titles)}
    hosts: dict[str, list[HostScore]] = {}
    for h in sorted_hosts(report):
        hosts.setdefault(h.org, []).append(h)
    return "\n".join(
        _org_section(i, org, todo.get(org.org, []), hosts.get(org.org, []), lang, titles)
        for i, org in enumerate(report.orgs)
    )


def _org_section(i: int, org: OrgScore, todo: list[Fix], hosts: list[HostScore], lang: str, titles: Titles) -> str:
    out = [f'<section id="org-{i}">', f"<h3>{esc(org.org)}</h3>"]
    if org.next_phase:
        out.append(f"<p>{esc(t('col_next_phase', lang))}: <strong>{esc(next_phase(org, lang, titles))}</strong></p>")
        items = "".join(
            f"<li><strong>{esc(f.host)}</strong>: {esc(f.detail)}</li>" if f.host else f"<li>{esc(f.detail)}</li>"
            for f in todo
        )
        out.append(f"<p>{esc(t('col_todo', lang))}:</p>\n<ul>{items}</ul>")
    else:
        out.append(f'<p class="pass">{esc(t("all_attained", lang))}</p>')
    if hosts:
        out.append(_table([t(k, lang) for k in _HOST_COLUMNS], [_host_row(h, lang) for h in hosts]))
    out.append("</section>")
    return "\n".join(out)


_HOST_COLUMNS = ("col_host", "col_kind", "col_state", "col_verdict", "col_reasons", "col_title", "col_server",
                 "col_final_url", "col_cert_issuer", "col_cert_not_after")


def _host_row(h: HostScore, lang: str) -> list[str]:
    name = esc(h.display) if h.display == h.host else f"{esc(h.display)}<br><small>{esc(h.host)}</small>"
    kind = esc(kind_label(h.kind, lang)) + (f" <small>({esc(t('guessed', lang))})</small>" if h.kind_inferred else "")
    reasons = "".join(f'<li title="{esc(r)}">{esc(reason_text(r, lang))}</li>' for r in h.reasons)
    return [
        name,
        kind,
        _state(h.state, lang),
        esc(verdict_label(h.verdict, lang)),
        f"<ul>{reasons}</ul>" if reasons else "",
        esc(h.title or ""),
        esc(h.server or ""),
        _url(h.final_url),
        esc(h.cert_issuer or ""),
        esc(when(h.cert_not_after, lang)) if h.cert_not_after else "",
    ]


_WEB_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def _url(url: str | None) -> str:
    """A link for an http(s) URL; any other text (``javascript:``, ``data:``, ...) stays text."""
    if not url:
        return ""
    if _WEB_URL.fullmatch(url):
        return f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">{esc(url)}</a>'
    return esc(url)


_TREND_CAPTION = {  # here rather than in i18n.STRINGS: the only words of this chart
    "vi": "Tỉ lệ đơn vị đạt từng giai đoạn qua các lần quét",
    "en": "Organisations attaining each phase, scan after scan",
}
_TREND_COLOURS = ("#0969da", "#cf222e", "#1a7f37", "#8250df", "#9a6700", "#57606a")
_PLOT_X, _PLOT_W, _PLOT_Y, _PLOT_H, _LEGEND_W = 50, 520, 10, 200, 260
_DATE_LABELS = 8  # dates written under the x axis at most


def _trend_chart(trend: Trend, phases: list[str], lang: str, titles: Titles) -> str:
    """Lines of each phase's share (0-100 %) over the scans in ``trend``; every text escaped, numbers formatted here."""
    order = list(dict.fromkeys([*phases, *(p for _, shares in trend for p in shares)]))
    width, height = _PLOT_X + _PLOT_W + _LEGEND_W, _PLOT_Y + _PLOT_H + 40
    step = _PLOT_W / max(len(trend) - 1, 1)

    def x(i: int) -> float:
        return _PLOT_X + (i * step if len(trend) > 1 else _PLOT_W / 2)

    def y(share: float) -> float:
        return _PLOT_Y + (1 - _clamp(share)) * _PLOT_H

    caption = _TREND_CAPTION[lang]
    out = [
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(caption)}">',
        f"<title>{esc(caption)}</title>",
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        out.append(f'<line class="axis" x1="{_PLOT_X}" y1="{y(tick):.1f}" x2="{_PLOT_X + _PLOT_W}" y2="{y(tick):.1f}"/>')
        out.append(f'<text x="{_PLOT_X - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{esc(percent(tick, lang))}</text>')
    every = -(-len(trend) // _DATE_LABELS)
    for i, (day, _) in enumerate(trend):
        if i % every == 0 or i == len(trend) - 1:
            out.append(f'<text x="{x(i):.1f}" y="{_PLOT_Y + _PLOT_H + 18}" text-anchor="middle">{esc(day)}</text>')
    for n, phase in enumerate(order):
        colour, name = _TREND_COLOURS[n % len(_TREND_COLOURS)], short_title(phase, lang, titles)
        points = [(i, day, shares[phase]) for i, (day, shares) in enumerate(trend) if phase in shares]
        path = " ".join(f"{x(i):.1f},{y(share):.1f}" for i, _, share in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [
            f'<circle cx="{x(i):.1f}" cy="{y(share):.1f}" r="3" fill="{colour}">'
            f"<title>{esc(f'{name} · {day}: {percent(share, lang)}')}</title></circle>"
            for i, day, share in points
        ]
        ly = _PLOT_Y + 14 + n * 18
        out.append(f'<line x1="{width - _LEGEND_W + 10}" y1="{ly - 4}" x2="{width - _LEGEND_W + 30}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="3"/>')
        out.append(f'<text x="{width - _LEGEND_W + 36}" y="{ly}"><title>{esc(name)}</title>{esc(_short(name))}</text>')
    out.append(f'</svg><figcaption class="note">{esc(caption)}</figcaption></figure>')
    return "\n".join(out)
