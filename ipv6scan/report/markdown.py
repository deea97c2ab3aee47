"""The phase report in Markdown, to paste into an official report.

Title and scan facts, one line per phase (attained / total vs target, its source
and period), compliance per system kind, a table of organisations × phases, what
each organisation must fix for its next phase (furthest behind first), the
criteria and their sources, and every host with its reasons.

Every string goes through :func:`md`: the punctuation that Markdown (CommonMark,
GFM, pandoc) gives a meaning inside a line is backslash-escaped, so text from
the scan, the target list or the policy can open no link, emphasis, heading
closer, HTML tag, entity or table cell; it is kept on one line
(:func:`~.i18n.one_line`). No such text ever starts a line.
"""

from __future__ import annotations

import re

from ..diff import Diff
from ..scores import ScoreReport
from .changes import changes_view
from .i18n import (
    EXPLANATION_COLUMNS,
    THIRD_PARTY_COLUMNS,
    TOP_THIRD_PARTIES,
    STATE_SYMBOL,
    Titles,
    behind,
    explanation_rows,
    facts,
    heading,
    kind_label,
    kind_columns,
    kind_row,
    legend,
    next_phase,
    number,
    one_line,
    phase_line,
    phase_notes,
    phase_states,
    reason_text,
    report_titles,
    short_title,
    sorted_hosts,
    state_label,
    summary,
    t,
    third_party_rows,
    title,
    unused_waivers,
    when,
    blocked_line,
)

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#!|~&$^])")


def md(text: object) -> str:
    """``text`` as literal Markdown inline text, safe in a table cell."""
    return _SPECIAL.sub(r"\\\1", one_line(text))


def render_markdown(report: ScoreReport, *, lang: str, titles: Titles | None = None, changes: Diff | None = None) -> str:
    """The report; ``changes`` (an audit's diff against the previous audit) adds a "what changed" section."""
    titles = report_titles(report, titles)
    out = [f"# {md(heading(report, lang, titles))}", ""]
    out += [f"- **{md(name)}**: {md(value)}" for name, value in facts(report, lang, titles)]
    out += ["", md(summary(report, lang))]
    out += ["", f"## {md(t('phases_heading', lang))}", ""]
    for total in report.phases:
        out.append(f"- {md(phase_line(total, lang, titles))}")
        notes = phase_notes(total, lang)
        out += [f"  - {md(' · '.join(notes))}"] if notes else []
    if changes is not None:
        out += _changes(changes_view(changes, report, lang, titles))
    out += ["", f"## {md(t('kinds_heading', lang))}", ""]
    out += _table([t(k, lang) for k in kind_columns(report)], [kind_row(k, lang, report) for k in report.kinds])
    out += ["", md(t("share_note", lang))]
    out += _third_parties(report, lang)
    out += ["", f"## {md(t('orgs_heading', lang))}", ""]
    out += _orgs(report, lang, titles)
    out += ["", md(legend(report, lang))]
    out += ["", f"## {md(t('fixes_heading', lang))}", ""]
    for org, todo in behind(report, lang, titles):
        out += [f"### {md(org.org)}", "", f"{md(t('col_next_phase', lang))}: **{md(next_phase(org, lang, titles))}**"]
        out += [""] + [f"- **{md(fix.host)}**: {md(fix.detail)}" if fix.host else f"- {md(fix.detail)}" for fix in todo]
        out.append("")
    if report.criteria:
        out += [f"## {md(t('criteria_heading', lang))}", ""]
        for c in report.criteria:
            kinds = "(" + ", ".join(kind_label(k, lang) for k in c.kinds) + ")"
            out.append(f"- **{md(title(c.id, lang, titles))}** {md(kinds)}: {md(t('basis', lang, source=c.source))}")
        out.append("")
    if report.waivers_file:
        out += [f"## {md(t('explanations_heading', lang))}", "", md(t("explanations_note", lang)), ""]
        out += _table([t(k, lang) for k in EXPLANATION_COLUMNS], explanation_rows(report, lang, titles))
        out += ["", md(unused)] if (unused := unused_waivers(report, lang)) else []
        out.append("")
    out += [f"## {md(t('hosts_heading', lang))}", ""]
    out += _hosts(report, lang)
    return "\n".join(out) + "\n"


def _changes(view: dict) -> list[str]:
    out = ["", f"## {md(view['heading'])}", "", md(view["between"])]
    out += ["", f"> **{md(view['warning'])}**"] if view["warning"] else []
    out += [""] + _table(view["phase_header"], view["phase_rows"])
    for section in view["sections"]:
        out += ["", f"### {md(section['title'])}", ""] + _table(view["host_header"], section["rows"])
    if view["orgs"]:
        out += ["", f"### {md(view['orgs_title'])}", ""] + [f"- {md(line)}" for line in view["orgs"]]
    return out + ["", md(view["unchanged"])]


def _third_parties(report: ScoreReport, lang: str) -> list[str]:
    out = ["", f"## {md(t('third_parties_heading', lang))}", "", md(t("third_parties_note", lang)), ""]
    if not report.third_parties:
        return out + [md(t("third_parties_none", lang))]
    out += _table([t(k, lang) for k in THIRD_PARTY_COLUMNS], third_party_rows(report, lang, TOP_THIRD_PARTIES))
    more = len(report.third_parties) - TOP_THIRD_PARTIES
    return out + (["", md(t("third_parties_more", lang, n=number(more, lang)))] if more > 0 else [])


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GFM table; every cell is escaped here."""
    lines = ["| " + " | ".join(md(h) for h in header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]


def _orgs(report: ScoreReport, lang: str, titles: Titles) -> list[str]:
    phases = [p.phase for p in report.phases]
    header = [t("col_org", lang), t("col_hosts", lang), t("col_compliant", lang)]
    header += [short_title(p, lang, titles) for p in phases] + [t("col_next_phase", lang)]
    rows = [
        [org.org, number(org.hosts, lang), number(org.compliant_hosts, lang)]
        + [f"{STATE_SYMBOL[s]} {state_label(s, lang)}" for s in phase_states(org, phases)]
        + [next_phase(org, lang, titles)]
        for org in report.orgs
    ]
    return _table(header, rows)


def _hosts(report: ScoreReport, lang: str) -> list[str]:
    keys = ("col_host", "col_org", "col_kind", "col_state", "col_reasons", "col_blocked_by", "col_title", "col_server",
            "col_final_url", "col_cert_issuer", "col_cert_not_after")
    rows = []
    for h in sorted_hosts(report):
        name = h.display if h.display == h.host else f"{h.display} ({h.host})"
        kind = kind_label(h.kind, lang) + (f" ({t('guessed', lang)})" if h.kind_inferred else "")
        reasons = "; ".join(reason_text(r, lang) for r in h.reasons)
        expires = when(h.cert_not_after, lang) if h.cert_not_after else ""
        rows.append([name, h.org, kind, state_label(h.state, lang), reasons, blocked_line(h, lang), h.title or "",
                     h.server or "",
                     h.final_url or "", h.cert_issuer or "", expires])
    return _table([t(k, lang) for k in keys], rows)
