"""The report as an Excel workbook, the form ministries exchange: written with XlsxWriter.

* **Summary** (``Tổng hợp``): the report's facts; one row per phase (organisations
  attaining it, of how many, the share and its target as numbers, met or not);
  compliance per kind of system; one row per organisation (hosts, compliant hosts,
  its state in each phase, its next phase, what it must fix).
* **Hosts** (``Hệ thống``): every host, with kind, verdict, state, each criterion's
  state and its reasons in words (and as codes, for filters).
* **One sheet per organisation**, in Vietnamese order: its hosts, as above.

Every text cell is written as text (``write_string``), and the workbook is opened
with ``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` off:
a page title ``=HYPERLINK(…)`` from a scanned site is a string in a cell, never a
formula Excel would run. Shares are numbers (the value rounded down to one decimal
of a percent, :func:`~ipv6scan.locales.tenths_down`) with a percent format, so a
spreadsheet can sum and chart them. Sheet names are made legal (31 characters,
none of ``[]:*?/\\``) and unique. ``constant_memory`` keeps memory flat: rows go to
disk as they are written.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..locales import tenths_down, when
from ..scores import HostScore, ScoreReport
from .i18n import (
    EXPLANATION_COLUMNS,
    THIRD_PARTY_COLUMNS,
    blocked_line,
    blocker_kinds,
    blocker_name,
    blocker_problem,
    Titles,
    behind,
    fixes_line,
    explanation_rows,
    facts,
    heading,
    host_explanations,
    kind_label,
    next_phase,
    one_line,
    phase_states,
    reason_text,
    report_titles,
    short_title,
    sorted_hosts,
    state_label,
    t,
    title,
    unused_waivers,
    verdict_label,
)

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31


def sheet_name(name: str, taken: set[str]) -> str:
    """A legal, unique (case-insensitively, as Excel compares) sheet name for ``name``; adds it to ``taken``."""
    base = _SHEET_FORBIDDEN.sub("_", one_line(name)).strip().strip("'") or "_"
    if base.casefold() == "history":  # reserved by Excel
        base = f"{base}_"
    candidate, n = base[:_SHEET_MAX], 1
    while candidate.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: _SHEET_MAX - len(suffix)] + suffix
    taken.add(candidate.casefold())
    return candidate


def write_xlsx(report: ScoreReport, path: Path, *, lang: str, titles: Titles | None = None) -> None:
    """Write the workbook to ``path`` (atomically: a temporary file, then renamed)."""
    import xlsxwriter

    from ..atomic import replacing

    titles = report_titles(report, titles)
    with replacing(path, "wb") as f:
        book = xlsxwriter.Workbook(f, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False,
        })
        _Book(book, report, lang, titles).write()
        book.close()


class _Book:
    def __init__(self, book, report: ScoreReport, lang: str, titles: Titles) -> None:
        self.book, self.report, self.lang, self.titles = book, report, lang, titles
        self.bold = book.add_format({"bold": True})
        self.head = book.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True,
                                     "valign": "top"})
        self.share = book.add_format({"num_format": "0.0%"})
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        self.title_format = book.add_format({"bold": True, "font_size": 14})
        self.taken: set[str] = set()
        self.criteria = list(dict.fromkeys([c.id for c in report.criteria]
                                           + [c.criterion for h in report.hosts for c in h.criteria]))

    def write(self) -> None:
        self._summary()
        self._hosts(self.book.add_worksheet(sheet_name(self.t("sheet_hosts"), self.taken)), sorted_hosts(self.report),
                    with_org=True)
        by_org: dict[str, list[HostScore]] = {}
        for h in sorted_hosts(self.report):
            by_org.setdefault(h.org, []).append(h)
        if self.report.waivers_file:
            self._explanations(self.book.add_worksheet(sheet_name(self.t("explanations_sheet"), self.taken)))
        for org in self.report.orgs:
            sheet = self.book.add_worksheet(sheet_name(org.org, self.taken))
            self._hosts(sheet, by_org.get(org.org, []), with_org=False, caption=org.org)
        self._third_parties(self.book.add_worksheet(sheet_name(self.t("sheet_third_parties"), self.taken)))

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def _row(self, sheet, row: int, cells: list[object], fmt=None) -> None:
        for col, value in enumerate(cells):
            if value == "" or value is None:
                if fmt is not None:
                    sheet.write_blank(row, col, None, fmt)
            elif isinstance(value, bool):
                sheet.write_string(row, col, self.t("yes" if value else "no"), fmt)
            elif isinstance(value, int | float):
                sheet.write_number(row, col, value, fmt)
            else:
                sheet.write_string(row, col, one_line(value), fmt)

    def _summary(self) -> None:
        report, lang, titles = self.report, self.lang, self.titles
        sheet = self.book.add_worksheet(sheet_name(self.t("sheet_summary"), self.taken))
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 12, 16)
        sheet.write_string(0, 0, one_line(heading(report, lang, titles)), self.title_format)
        row = 2
        for name, value in facts(report, lang, titles):
            sheet.write_string(row, 0, one_line(name), self.bold)
            sheet.write_string(row, 1, one_line(value))
            row += 1
        row += 1
        sheet.write_string(row, 0, self.t("phases_heading"), self.bold)
        row += 1
        self._row(sheet, row, [self.t(k) for k in ("col_phase", "col_attained", "col_orgs_total", "col_share", "col_target",
                                                    "col_result")], self.head)
        for p in report.phases:
            row += 1
            self._row(sheet, row, [title(p.phase, lang, titles), p.orgs_attained, p.orgs_total])
            if p.orgs_total:
                sheet.write_number(row, 3, float(tenths_down(p.share)) / 100, self.share)
            sheet.write_number(row, 4, float(tenths_down(p.target_share)) / 100, self.share)
            sheet.write_string(row, 5, self.t("target_met" if p.met else "target_not_met"))
        row += 2
        sheet.write_string(row, 0, self.t("kinds_heading"), self.bold)
        row += 1
        self._row(sheet, row, [self.t(k) for k in ("col_kind", "col_hosts", "col_compliant", "col_failing",
                                                    "col_unknown", "col_share")], self.head)
        for k in report.kinds:
            row += 1
            self._row(sheet, row, [kind_label(k.kind, lang), k.hosts, k.compliant, k.failing, k.unknown])
            if k.compliant + k.failing:
                sheet.write_number(row, 5, float(tenths_down(k.share)) / 100, self.share)
        row += 2
        sheet.write_string(row, 0, self.t("orgs_heading"), self.bold)
        row += 1
        phases = [p.phase for p in report.phases]
        header = [self.t("col_org"), self.t("col_hosts"), self.t("col_compliant")]
        header += [short_title(p, lang, titles) for p in phases] + [self.t("col_next_phase"), self.t("col_todo")]
        self._row(sheet, row, header, self.head)
        todo = {org.org: items for org, items in behind(report, lang, titles)}
        for org in report.orgs:
            row += 1
            self._row(sheet, row, [org.org, org.hosts, org.compliant_hosts]
                      + [state_label(s, lang) for s in phase_states(org, phases)]
                      + [next_phase(org, lang, titles), fixes_line(todo.get(org.org, []))])

    def _explanations(self, sheet) -> None:
        sheet.write_string(0, 0, self.t("explanations_heading"), self.title_format)
        sheet.write_string(1, 0, self.t("explanations_note"))
        self._row(sheet, 3, [self.t(k) for k in EXPLANATION_COLUMNS], self.head)
        sheet.set_column(0, len(EXPLANATION_COLUMNS) - 1, 24)
        sheet.set_column(3, 3, 60, self.wrap)
        row = 3
        for row, cells in enumerate(explanation_rows(self.report, self.lang, self.titles), start=4):
            self._row(sheet, row, list(cells))
        if unused := unused_waivers(self.report, self.lang):
            sheet.write_string(row + 2, 0, unused)

    def _third_parties(self, sheet) -> None:
        lang = self.lang
        sheet.write_string(0, 0, self.t("third_parties_heading"), self.title_format)
        sheet.write_string(1, 0, self.t("third_parties_note"))
        self._row(sheet, 3, [self.t(k) for k in THIRD_PARTY_COLUMNS], self.head)
        sheet.set_column(0, 0, 8)
        sheet.set_column(1, 3, 30)
        sheet.set_column(4, 5, 14)
        sheet.set_column(6, 6, 60, self.wrap)
        if not self.report.third_parties:
            sheet.write_string(4, 0, self.t("third_parties_none"))
            return
        for rank, tp in enumerate(self.report.third_parties, 1):
            self._row(sheet, 3 + rank, [rank, blocker_name(tp, lang), blocker_problem(tp, lang),
                                        blocker_kinds(tp, lang), tp.hosts, tp.orgs, ", ".join(tp.examples)])
        sheet.autofilter(3, 0, 3 + len(self.report.third_parties), len(THIRD_PARTY_COLUMNS) - 1)

    def _hosts(self, sheet, hosts: list[HostScore], *, with_org: bool, caption: str | None = None) -> None:
        lang, titles = self.lang, self.titles
        keys = ["col_host", "col_display"] + (["col_org"] if with_org else []) + ["col_kind", "col_kind_inferred",
                                                                                  "col_verdict", "col_state"]
        tail = ["col_reasons", "col_reason_codes", "col_blocked_by", "col_title", "col_server", "col_final_url", "col_cert_issuer",
                "col_cert_not_after"] + (["col_explanation"] if self.report.waivers_file else [])
        header = [self.t(k) for k in keys] + [title(c, lang, titles) for c in self.criteria] + [self.t(k) for k in tail]
        first = 0
        if caption is not None:
            sheet.write_string(0, 0, one_line(caption), self.title_format)
            first = 2
        self._row(sheet, first, header, self.head)
        sheet.freeze_panes(first + 1, 1)
        sheet.set_column(0, len(header) - 1, 18)
        sheet.set_column(0, 1, 30)
        reasons_col = len(keys) + len(self.criteria)
        sheet.set_column(reasons_col, reasons_col, 60, self.wrap)
        row = first
        for h in hosts:
            row += 1
            states = {c.criterion: c.state for c in h.criteria}
            cells: list[object] = [h.host, h.display] + ([h.org] if with_org else [])
            cells += [kind_label(h.kind, lang), h.kind_inferred, verdict_label(h.verdict, lang), state_label(h.state, lang)]
            cells += [state_label(states[c], lang) if c in states else "" for c in self.criteria]
            cells += ["; ".join(reason_text(r, lang) for r in h.reasons), "; ".join(h.reasons), blocked_line(h, lang),
                      h.title or "",
                      h.server or "", h.final_url or "", h.cert_issuer or "",
                      when(h.cert_not_after, lang) if h.cert_not_after else ""]
            cells += [host_explanations(h, lang)] if self.report.waivers_file else []
            self._row(sheet, row, cells)
        if hosts:
            sheet.autofilter(first, 0, row, len(header) - 1)
