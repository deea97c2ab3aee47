"""The phase report as one self-contained HTML page, from a Jinja2 template.

No external assets and no script: inline CSS (``templates/report.css``, with a print
stylesheet for A4) and inline SVG charts (:mod:`.charts`: share of organisations per
phase against its target, share of compliant hosts per kind, and in audits each
phase's share over past scans), a strict Content-Security-Policy. Then, for an audit,
what changed since the previous one; the organisations × phases table; the
explanations (waivers) in force or expired; per organisation what it must fix and
every host with its reasons, page title, server, final URL and certificate; last the
criteria and their sources.

This module builds the page's view (plain text and numbers, from :mod:`.i18n`); the
template only lays it out. Jinja2 escapes every value (``autoescape``) and the
environment's ``finalize`` first puts it on one line without control or bidi
characters (:func:`~.i18n.one_line`). A URL becomes a link only when it starts with
``http://`` or ``https://``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from ..diff import Diff
from ..scores import HostScore, ScoreReport, State
from .changes import changes_view
from .charts import Bar, Trend, bar_chart, trend_chart
from .i18n import (
    EXPLANATION_COLUMNS,
    THIRD_PARTY_COLUMNS,
    TOP_THIRD_PARTIES,
    blocked_line,
    third_party_rows,
    STATE_SYMBOL,
    Titles,
    behind,
    explanation_rows,
    facts,
    heading,
    host_explanations,
    kind_columns,
    kind_label,
    kind_row,
    kind_share,
    legend,
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

_WEB_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)

_WORDS = ("phases_heading", "kinds_heading", "share_note", "orgs_heading", "org_detail_heading", "col_next_phase",
          "col_todo", "all_attained", "criteria_heading")
_HOST_COLUMNS = ("col_host", "col_kind", "col_state", "col_verdict", "col_reasons", "col_title", "col_server",
                 "col_final_url", "col_cert_issuer", "col_cert_not_after")


@lru_cache(maxsize=1)
def _template() -> Any:
    import jinja2
    from markupsafe import Markup

    def finalize(value: object) -> object:
        return value if isinstance(value, Markup) else one_line("" if value is None else value)

    env = jinja2.Environment(loader=jinja2.PackageLoader("ipv6scan.report", "templates"), autoescape=True,
                             finalize=finalize, undefined=jinja2.StrictUndefined, trim_blocks=False)
    return env.get_template("report.html.j2")


@lru_cache(maxsize=1)
def _css() -> str:
    return resources.files(__package__).joinpath("templates/report.css").read_text(encoding="utf-8")


def render_html(report: ScoreReport, *, lang: str, titles: Titles | None = None, trend: Trend | None = None,
                changes: Diff | None = None) -> str:
    """The page; ``trend`` (oldest first) adds a line chart of each phase's share over past scans,
    ``changes`` (an audit's diff against the previous one) a "what changed" section."""
    titles = report_titles(report, titles)
    return _template().render(**view(report, lang, titles, trend, changes))


def view(report: ScoreReport, lang: str, titles: Titles, trend: Trend | None, changes: Diff | None) -> dict[str, Any]:
    """Everything the template shows, as plain text and numbers."""
    phases = [p.phase for p in report.phases]
    todo = {org.org: items for org, items in behind(report, lang, titles)}
    hosts: dict[str, list[HostScore]] = {}
    for h in sorted_hosts(report):
        hosts.setdefault(h.org, []).append(h)
    return {
        "lang": lang,
        "csp": CSP,
        "css": _css(),
        "heading": heading(report, lang, titles),
        "facts": facts(report, lang, titles),
        "summary": summary(report, lang),
        "words": {key: t(key, lang) for key in _WORDS},
        "phases": [{"line": phase_line(p, lang, titles), "notes": " · ".join(phase_notes(p, lang))}
                   for p in report.phases],
        "phase_chart": bar_chart(t("chart_phases", lang), [
            Bar(f"{short_title(p.phase, lang, titles)}: {phase_share(p, lang)}", p.share if p.orgs_total else None,
                "bar-met" if p.met else "bar-miss", target=p.target_share,
                note=f"{t('col_target', lang)} {percent(p.target_share, lang)}")
            for p in report.phases]),
        "trend": trend_chart(t("chart_trend", lang), trend,
                             [(p.phase, short_title(p.phase, lang, titles), p.target_share) for p in report.phases],
                             lang, t("col_target", lang)) if trend else None,
        "changes": changes_view(changes, report, lang, titles) if changes is not None else None,
        "kind_chart": bar_chart(t("chart_kinds", lang), [
            Bar(f"{kind_label(k.kind, lang)}: {kind_share(k, lang)}",
                k.share if k.compliant + k.explained + k.failing else None, "bar")
            for k in report.kinds]),
        "kinds": {"header": [t(k, lang) for k in kind_columns(report)],
                  "rows": [kind_row(k, lang, report) for k in report.kinds]},
        "third_parties": {
            "heading": t("third_parties_heading", lang), "note": t("third_parties_note", lang),
            "none": t("third_parties_none", lang),
            "header": [t(k, lang) for k in THIRD_PARTY_COLUMNS],
            "rows": third_party_rows(report, lang, TOP_THIRD_PARTIES),
            "more": t("third_parties_more", lang, n=number(len(report.third_parties) - TOP_THIRD_PARTIES, lang))
            if len(report.third_parties) > TOP_THIRD_PARTIES else "",
        },
        "orgs": {
            "header": [t("col_org", lang), t("col_hosts", lang), t("col_compliant", lang)]
            + [short_title(p, lang, titles) for p in phases] + [t("col_next_phase", lang)],
            "rows": [{"name": org.org, "hosts": org.hosts, "compliant": org.compliant_hosts,
                      "states": [_state(s, lang) for s in phase_states(org, phases)],
                      "next": next_phase(org, lang, titles)} for org in report.orgs],
            "legend": legend(report, lang),
        },
        "explanations": {
            "heading": t("explanations_heading", lang), "note": t("explanations_note", lang),
            "header": [t(k, lang) for k in EXPLANATION_COLUMNS], "rows": explanation_rows(report, lang, titles),
            "unused": unused_waivers(report, lang),
        } if report.waivers_file else None,
        "sections": [{"name": org.org, "next": next_phase(org, lang, titles) if org.next_phase else "",
                      "fixes": todo.get(org.org, []), "hosts": [_host(h, lang) for h in hosts.get(org.org, [])]}
                     for org in report.orgs],
        "host_header": [t(k, lang) for k in _HOST_COLUMNS],
        "criteria": [{"name": title(c.id, lang, titles), "kinds": ", ".join(kind_label(k, lang) for k in c.kinds),
                      "basis": t("basis", lang, source=c.source)} for c in report.criteria],
    }


def _state(state: State, lang: str) -> dict[str, str]:
    return {"css": state.value, "symbol": STATE_SYMBOL[state], "label": state_label(state, lang)}


def _host(h: HostScore, lang: str) -> dict[str, Any]:
    return {
        "display": h.display,
        "ascii": "" if h.display == h.host else h.host,
        "kind": kind_label(h.kind, lang),
        "guessed": t("guessed", lang) if h.kind_inferred else "",
        "state": _state(h.state, lang),
        "verdict": verdict_label(h.verdict, lang),
        "reasons": [(r, reason_text(r, lang)) for r in h.reasons],
        "explanation": host_explanations(h, lang),
        "blocked": (t("col_blocked_by", lang) + ": " + blocked_line(h, lang)) if h.blocked_by else "",
        "title": h.title or "",
        "server": h.server or "",
        "final_url": h.final_url or "",
        "link": bool(h.final_url and _WEB_URL.fullmatch(h.final_url)),
        "issuer": h.cert_issuer or "",
        "expires": when(h.cert_not_after, lang) if h.cert_not_after else "",
    }
