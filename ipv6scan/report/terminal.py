"""The phase summary on the terminal (rich).

Phase totals against their targets, organisations × phases (✓ attained, ✗ not,
? unknown), compliance per system kind, then the organisations furthest behind
with what they must fix. Text from the scan, the lists or the policy is always a
``Text`` object (never console markup) kept on one line without control
characters (:func:`~.i18n.one_line`), so no escape sequence reaches the terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..scores import PhaseTotal, ScoreReport, State
from .i18n import (
    STATE_SYMBOL,
    Titles,
    behind,
    check_lang,
    explanations,
    heading,
    kind_columns,
    kind_row,
    legend,
    next_phase,
    number,
    one_line,
    percent,
    phase_share,
    phase_states,
    phase_tags,
    report_titles,
    short_title,
    summary,
    t,
    third_party_line,
    unused_waivers,
    when,
)

STATE_STYLE = {State.PASS: "bold green", State.FAIL: "bold red", State.UNKNOWN: "yellow", State.NOT_APPLICABLE: "dim",
               State.EXPLAINED: "bold cyan"}


def render_terminal(
    report: ScoreReport, console: Console, *, lang: str = "vi", worst: int = 10, titles: Titles | None = None
) -> None:
    """Print the summary; ``worst`` organisations furthest behind are listed with their fixes."""
    check_lang(lang)
    titles = report_titles(report, titles)
    console.print(_text(heading(report, lang, titles), "bold"))
    scanned, judged = when(report.scan_started, lang), when(report.as_of, lang)
    console.print(_text(f"{t('scan_date', lang)}: {scanned} · {t('as_of', lang)}: {judged}"))
    console.print(_text(summary(report, lang)))
    console.print(_phases(report, lang, titles))
    if report.orgs:
        console.print(_orgs(report, lang, titles))
        console.print(Text(legend(report, lang), style="dim"))
    if report.kinds:
        console.print(_kinds(report, lang))
    if report.waivers_file:
        _explanations(report, console, lang, titles, worst)
    if report.third_parties:
        _third_parties(report, console, lang, worst)
    _worst(report, console, lang, titles, worst)


def _third_parties(report: ScoreReport, console: Console, lang: str, most: int) -> None:
    """What breaks the most services on IPv6 only, one line each (the reports have them all)."""
    console.print(_text(t("third_parties_heading", lang), "bold"))
    for tp in report.third_parties[:most]:
        line = Text("• ")
        line.append(_text(third_party_line(tp, lang)))
        console.print(line)
    if len(report.third_parties) > most:
        console.print(_text(t("third_parties_more", lang, n=number(len(report.third_parties) - most, lang)), "dim"))


def _explanations(report: ScoreReport, console: Console, lang: str, titles: Titles, most: int) -> None:
    """The explanations (expired ones first: they fail again), at most ``most`` lines, then unused waivers."""
    rows = sorted(explanations(report, lang, titles), key=lambda e: not e.expired)
    console.print(_text(t("explanations_heading", lang), "bold"))
    for e in rows[:most]:
        line = Text("• ")
        line.append(one_line(e.host), style="cyan")
        line.append(f" · {one_line(e.criterion)}: {one_line(e.reason)} ({t('col_expires', lang)} {e.expires}) ")
        line.append(one_line(e.status), style="bold red" if e.expired else "cyan")
        console.print(line)
    if len(rows) > most:
        console.print(_text(t("more_explanations", lang, n=number(len(rows) - most, lang)), "dim"))
    if unused := unused_waivers(report, lang):
        console.print(_text(unused, "yellow"))


def _text(value: object, style: str = "") -> Text:
    return Text(one_line(value), style=style)


def _phase_name(total: PhaseTotal, lang: str, titles: Titles) -> Text:
    name = _text(short_title(total.phase, lang, titles))
    for tag in phase_tags(total, lang):
        name.append(f" ({tag})", style="dim")
    return name


def _phases(report: ScoreReport, lang: str, titles: Titles) -> Table:
    table = Table(title=t("phases_heading", lang))
    for key in ("col_phase", "col_attained", "col_unknown", "col_share", "col_target", "col_result"):
        table.add_column(t(key, lang))  # words wrap whole: no "(2021–2022" / ")" split at 80 columns
    for p in report.phases:
        result = Text(t("target_met" if p.met else "target_not_met", lang), style="bold green" if p.met else "bold red")
        table.add_row(
            _phase_name(p, lang, titles),
            f"{number(p.orgs_attained, lang)}/{number(p.orgs_total, lang)}",
            number(p.orgs_unknown, lang),
            phase_share(p, lang),
            percent(p.target_share, lang),
            result,
        )
    return table


def _orgs(report: ScoreReport, lang: str, titles: Titles) -> Table:
    """Organisations x phases; the phase columns are numbered (the caption names them), so it reads at 80 columns."""
    phases = [p.phase for p in report.phases]
    key = " · ".join(f"{i} = {short_title(p, lang, titles)}" for i, p in enumerate(phases, 1))
    table = Table(title=t("orgs_heading", lang), caption=one_line(f"{t('col_phase', lang)}: {key}"))
    table.add_column(t("col_org", lang))
    table.add_column(t("col_hosts", lang), justify="right")
    table.add_column(t("col_compliant", lang), justify="right")
    for i, _ in enumerate(phases, 1):
        table.add_column(str(i), justify="center", no_wrap=True, min_width=1)
    table.add_column(t("col_next_phase", lang))
    for org in report.orgs:
        marks = [Text(STATE_SYMBOL[s], style=STATE_STYLE[s]) for s in phase_states(org, phases)]
        following = _text(next_phase(org, lang, titles), "" if org.next_phase else "green")
        table.add_row(_text(org.org), number(org.hosts, lang), number(org.compliant_hosts, lang), *marks, following)
    return table


def _kinds(report: ScoreReport, lang: str) -> Table:
    table = Table(title=t("kinds_heading", lang), caption=t("share_note", lang))
    columns = kind_columns(report)
    table.add_column(t(columns[0], lang))
    for key in columns[1:]:
        table.add_column(t(key, lang), justify="right")
    for k in report.kinds:
        name, *numbers = kind_row(k, lang, report)
        table.add_row(_text(name), *numbers)
    return table


def _worst(report: ScoreReport, console: Console, lang: str, titles: Titles, worst: int) -> None:
    rows = behind(report, lang, titles)
    if not rows or worst <= 0:
        return
    console.print(_text(t("worst_heading", lang), "bold"))
    for org, todo in rows[:worst]:
        line = Text("• ")
        line.append(one_line(org.org), style="bold")
        line.append(f" → {one_line(next_phase(org, lang, titles))}")
        console.print(line)
        for fix in todo:
            item = Text("    - ")
            if fix.host:
                item.append(one_line(fix.host), style="cyan")
                item.append(": ")
            item.append(one_line(fix.detail))
            console.print(item)
    if len(rows) > worst:
        console.print(_text(t("more_orgs", lang, n=number(len(rows) - worst, lang)), "dim"))
