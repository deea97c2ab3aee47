"""CSV for spreadsheets: one row per host, one per organisation, and one per third party breaking IPv6-only.

UTF-8 with a byte-order mark (so Excel shows Vietnamese), the ``csv`` module's
minimal quoting and ``\\r\\n`` line ends. Headers, kinds, verdicts and states
follow the report language; reason codes are given as codes and as text.

A cell that starts with a character a spreadsheet reads as a formula (``= + - @``,
their full-width forms, tab, CR, LF) is prefixed with ``'`` (OWASP CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from ..atomic import replacing
from ..scores import ScoreReport
from .i18n import (
    THIRD_PARTY_COLUMNS,
    Titles,
    blocked_line,
    behind,
    fixes_line,
    host_explanations,
    kind_label,
    next_phase,
    phase_states,
    reason_text,
    report_titles,
    short_title,
    sorted_hosts,
    state_label,
    t,
    third_party_rows,
    title,
    verdict_label,
)

_FORMULA_START = tuple("=+-@\t\r\n＝＋－＠")


def cell(value: object) -> object:
    """A value safe to open in a spreadsheet: formula-like text gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write(path: Path, header: list[str], rows: Iterable[list[object]]) -> None:
    with replacing(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([cell(h) for h in header])
        writer.writerows([cell(c) for c in row] for row in rows)


def write_hosts_csv(report: ScoreReport, path: Path, *, lang: str, titles: Titles | None = None) -> None:
    """One row per host; one column per criterion (policy order, then any other a host names)."""
    titles = report_titles(report, titles)
    named = [c.id for c in report.criteria] + [c.criterion for h in report.hosts for c in h.criteria]
    criteria = list(dict.fromkeys(named))
    head = ("col_org", "col_host", "col_display", "col_kind", "col_kind_inferred", "col_verdict", "col_state")
    tail = ("col_reason_codes", "col_reasons", "col_blocked_by", "col_title", "col_server", "col_final_url", "col_cert_issuer",
            "col_cert_not_after") + (("col_explanation",) if report.waivers_file else ())
    header = [t(k, lang) for k in head] + [title(c, lang, titles) for c in criteria] + [t(k, lang) for k in tail]
    rows = []
    for h in sorted_hosts(report):
        states = {c.criterion: c.state for c in h.criteria}
        inferred = t("yes" if h.kind_inferred else "no", lang)
        row: list[object] = [h.org, h.host, h.display, kind_label(h.kind, lang), inferred,
                             verdict_label(h.verdict, lang), state_label(h.state, lang)]
        row += [state_label(states[c], lang) if c in states else "" for c in criteria]
        row += ["; ".join(h.reasons), "; ".join(reason_text(r, lang) for r in h.reasons), blocked_line(h, lang),
                h.title or "", h.server or "", h.final_url or "", h.cert_issuer or "", h.cert_not_after or ""]
        row += [host_explanations(h, lang)] if report.waivers_file else []
        rows.append(row)
    _write(path, header, rows)


def write_orgs_csv(report: ScoreReport, path: Path, *, lang: str, titles: Titles | None = None) -> None:
    """One row per organisation: whether it attained each phase, its next phase and what it must fix."""
    titles = report_titles(report, titles)
    phases = [p.phase for p in report.phases]
    header = [t("col_org", lang), t("col_hosts", lang), t("col_compliant", lang)]
    header += [short_title(p, lang, titles) for p in phases] + [t("col_next_phase", lang), t("col_todo", lang)]
    todo = {org.org: items for org, items in behind(report, lang, titles)}
    rows = [
        [org.org, org.hosts, org.compliant_hosts]
        + [state_label(s, lang) for s in phase_states(org, phases)]
        + [next_phase(org, lang, titles)]
        + [fixes_line(todo.get(org.org, []))]
        for org in report.orgs
    ]
    _write(path, header, rows)


def write_third_parties_csv(report: ScoreReport, path: Path, *, lang: str) -> None:
    """One row per host or zone that breaks scanned services on IPv6 only, most hosts broken first."""
    _write(path, [t(k, lang) for k in THIRD_PARTY_COLUMNS], third_party_rows(report, lang))
