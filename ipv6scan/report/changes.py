"""What changed since the previous audit, for the audit's HTML and Markdown reports (plain text, any renderer).

From the audit's :class:`~ipv6scan.diff.Diff`: the two scans compared, a warning when
the target list changed (the shares are then over different sets of hosts), each
phase's share before and after, the hosts by kind of change (regressions confirmed by
the re-scan first, then transient ones, improvements, unknown changes, hosts added and
removed, other reasons), each organisation whose attainment of a phase changed, and
how many hosts did not change.
"""

from __future__ import annotations

from typing import Any

from ..diff import Change, Diff, HostDiff, Observation, ScanRef
from ..locales import number, percent, when
from ..scores import ScoreReport, State
from .i18n import Titles, kind_label, reason_text, short_title, t, verdict_label

SECTIONS = (Change.REGRESSED, Change.TRANSIENT, Change.IMPROVED, Change.UNKNOWN, Change.ADDED, Change.REMOVED,
            Change.CHANGED)
HOST_COLUMNS = ("col_org", "col_host", "col_kind", "col_before", "col_after", "col_reasons")
PHASE_COLUMNS = ("col_phase", "col_before", "col_after", "col_change")


def changes_view(found: Diff, report: ScoreReport, lang: str, titles: Titles) -> dict[str, Any]:
    """The section's words and rows (see the module docstring)."""
    sections = []
    for change in SECTIONS:
        hosts = found.of(change)
        if hosts:
            sections.append({"css": change.value, "title": f"{t(f'diff.{change.value}', lang)}: {number(len(hosts), lang)}",
                             "rows": [_host_row(h, lang) for h in hosts]})
    return {
        "heading": t("changes_heading", lang),
        "between": f"{_ref(found.before, lang)} → {_ref(found.after, lang)}",
        "warning": t("targets_changed", lang, added=number(len(found.added), lang),
                     removed=number(len(found.removed), lang)) if found.targets_changed else "",
        "phase_header": [t(k, lang) for k in PHASE_COLUMNS],
        "phase_rows": [[short_title(p.phase, lang, titles),
                        f"{percent(p.share_before, lang)} ({p.attained_before}/{p.total_before})",
                        f"{percent(p.share_after, lang)} ({p.attained_after}/{p.total_after})",
                        _delta(p.share_after - p.share_before, lang)] for p in found.phases],
        "host_header": [t(k, lang) for k in HOST_COLUMNS],
        "sections": sections,
        "orgs_title": t("changes_orgs", lang),
        "orgs": [f"{o.org}: {short_title(o.phase, lang, titles)}: {_attained(o.before, lang)} → {_attained(o.after, lang)}"
                 + (f" ({', '.join(o.hosts)})" if o.hosts else "") for o in found.orgs],
        "unchanged": t("diff_unchanged", lang, n=number(found.unchanged, lang)),
    }


def _ref(ref: ScanRef, lang: str) -> str:
    label = t("scan_n", lang, scan=ref.scan_id) if ref.scan_id is not None else ref.label
    return t("scan_ref", lang, label=label, when=when(ref.started, lang), hosts=number(ref.hosts, lang))


def _delta(delta: float, lang: str) -> str:
    if not delta:
        return "="
    return ("+" if delta > 0 else "−") + percent(abs(delta), lang)


def _attained(state: State | None, lang: str) -> str:
    return t("not_in_scan", lang) if state is None else t(f"attain.{state.value}", lang)


def _side(side: Observation | None, lang: str) -> str:
    return verdict_label(side.verdict, lang) if side is not None else "—"


def _host_row(h: HostDiff, lang: str) -> list[str]:
    after = _side(h.after, lang)
    if h.recheck is not None:
        after += f" · {t('recheck_word', lang)} {_side(h.recheck, lang)}"
    shown = h.after or h.before
    reasons = "; ".join(reason_text(code, lang) for code in shown.reasons) if shown else ""
    return [h.org, h.display, kind_label(h.kind, lang) if h.kind else "?", _side(h.before, lang), after, reasons]
