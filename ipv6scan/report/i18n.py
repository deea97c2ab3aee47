"""Every word a report shows, in Vietnamese and English, and the language-dependent formatting.

The words themselves are data in ``ipv6scan/catalogue``: ``STRINGS`` are the UI
strings of ``ui.toml`` (key -> {"vi": ..., "en": ...}; kinds, states and verdicts are
keys too: ``kind.portal``, ``state.pass``, ``verdict.ready``), reason codes read from
``checks.toml``; a code the catalogue does not know is shown as the code.

Numbers, shares and dates follow the language by :mod:`ipv6scan.locales` (one rule
for every output: ``58,8%`` and ``1.234`` in Vietnamese, ``58.8%`` and ``1,234`` in
English, shares rounded *down* to one decimal); organisations are listed in
Vietnamese collation order.

The renderers share the rest of what they show from here too: phase and
criterion titles (:func:`report_titles`), a phase's summary line and notes, each
organisation's attainment per phase, what it must fix for its next phase
(:func:`fixes`), who is furthest behind (:func:`behind`), the order hosts are
listed in. Everything returned is plain text: each renderer escapes it for its
format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from .. import catalogue
from ..locales import collation_key, number, percent, when
from ..scores import Blocker, HostScore, KindTotal, OrgScore, PhaseTotal, ScoreReport, State, ThirdParty

LANGS = ("vi", "en")

Titles = Mapping[str, Mapping[str, str]]  # policy id (phase, criterion) -> {"vi": ..., "en": ...}

STRINGS: dict[str, dict[str, str]] = catalogue.ui()  # key -> {"vi": ..., "en": ...}, from catalogue/ui.toml

STATE_SYMBOL = {State.PASS: "✓", State.FAIL: "✗", State.UNKNOWN: "?", State.NOT_APPLICABLE: "–", State.EXPLAINED: "≈"}

# Worst first: the order hosts are listed in within an organisation.
STATE_ORDER = {State.FAIL: 0, State.UNKNOWN: 1, State.EXPLAINED: 2, State.PASS: 3, State.NOT_APPLICABLE: 4}


_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def one_line(text: object) -> str:
    """``text`` on one line: line breaks become spaces; other control and bidi-override characters go.

    Every renderer but CSV applies it to every string: no escape sequence from a
    site reaches the terminal, no line break splits a Markdown table row, no
    invisible character reorders what a page shows.
    """
    return _INVISIBLE.sub("", _BREAKS.sub(" ", str(text)))


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")


def t(key: str, lang: str, **values: object) -> str:
    """The UI string ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    text = STRINGS[key][lang]
    return text.format(**values) if values else text


def label(prefix: str, code: str, lang: str) -> str:
    """A kind / state / verdict name; a code without a translation is shown as the code."""
    entry = STRINGS.get(f"{prefix}.{code}")
    return entry[lang] if entry else code


def kind_label(kind: str, lang: str) -> str:
    return label("kind", kind, lang)


def state_label(state: State, lang: str) -> str:
    return label("state", state.value, lang)


def verdict_label(verdict: str, lang: str) -> str:
    return label("verdict", verdict, lang)


def reason_text(code: str, lang: str) -> str:
    """One line for a reason code in ``lang`` (the catalogue's), else the code.

    The scorer's ``not_checked:<check id>`` (a check the scan has no result of) reads as such.
    """
    if code.startswith("not_checked:"):
        return t("reason_not_checked", lang, check=code.removeprefix("not_checked:"))
    return catalogue.reason_line(code, lang)


def report_titles(report: ScoreReport, titles: Titles | None) -> Titles:
    """Policy, phase and criterion titles by id: the caller's (per language), else the report's own.

    The report carries its titles in the language it was scored in (``report.lang``);
    they stand in for any language the caller gives no title in.
    """
    own = {report.policy: report.policy_title} | {p.phase: p.title for p in report.phases}
    own |= {c.id: c.title for c in report.criteria}
    merged = {ident: dict.fromkeys(LANGS, text) for ident, text in own.items() if text}
    for ident, texts in (titles or {}).items():
        merged.setdefault(ident, {}).update({lang: text for lang, text in texts.items() if text})
    return merged


def title(ident: str, lang: str, titles: Titles | None) -> str:
    """The title of a phase or criterion id (see :func:`report_titles`), else the id."""
    return (titles or {}).get(ident, {}).get(lang) or ident


def short_title(ident: str, lang: str, titles: Titles | None) -> str:
    """A title's head, for column headers and charts: ``Giai đoạn 1 (2021–2022)`` of
    ``Giai đoạn 1 (2021–2022): Cổng thông tin điện tử ...``; a title without ``": "`` whole."""
    return title(ident, lang, titles).split(": ", 1)[0]


def kind_share(total: KindTotal, lang: str) -> str:
    """A kind's compliance, or ``–`` when none of its hosts could be judged."""
    return percent(total.share, lang) if total.compliant + total.explained + total.failing else "–"


def phase_share(total: PhaseTotal, lang: str) -> str:
    """The share of organisations attaining a phase, or ``–`` when it concerns none."""
    return percent(total.share, lang) if total.orgs_total else "–"


KIND_COLUMNS = ("col_kind", "col_hosts", "col_compliant", "col_failing", "col_unknown", "col_share")
KIND_COLUMNS_EXPLAINED = ("col_kind", "col_hosts", "col_compliant", "col_explained", "col_failing", "col_unknown",
                          "col_share")


def kind_columns(report: ScoreReport) -> tuple[str, ...]:
    """The per-kind table's column keys: with an "explained" column when the scan was judged with waivers."""
    return KIND_COLUMNS_EXPLAINED if report.waivers_file else KIND_COLUMNS


def kind_row(total: KindTotal, lang: str, report: ScoreReport) -> list[str]:
    """A row of the per-kind table (columns :func:`kind_columns`)."""
    explained = (total.explained,) if report.waivers_file else ()
    counts = [number(n, lang) for n in (total.hosts, total.compliant, *explained, total.failing, total.unknown)]
    return [kind_label(total.kind, lang), *counts, kind_share(total, lang)]


def legend(report: ScoreReport, lang: str) -> str:
    """What the symbols mean (with ≈ when the scan was judged with waivers)."""
    return t("legend", lang) + (f" · {t('legend_explained', lang)}" if report.waivers_file else "")


def phase_line(total: PhaseTotal, lang: str, titles: Titles | None) -> str:
    """``Giai đoạn 1: 20/34 đơn vị (58,8%) — mục tiêu 50% — Đạt`` (+ how many are unknown)."""
    line = t(
        "phase_line",
        lang,
        phase=title(total.phase, lang, titles),
        attained=number(total.orgs_attained, lang),
        total=number(total.orgs_total, lang),
        share=phase_share(total, lang),
        target=percent(total.target_share, lang),
        result=t("target_met" if total.met else "target_not_met", lang),
    )
    if total.orgs_explained:
        line += f" ({t('phase_explained', lang, n=number(total.orgs_explained, lang))})"
    if total.orgs_unknown:
        line += f" ({t('phase_unknown', lang, n=number(total.orgs_unknown, lang))})"
    return line


def heading(report: ScoreReport, lang: str, titles: Titles | None) -> str:
    return f"{t('report_title', lang)}: {title(report.policy, lang, titles)}"


def facts(report: ScoreReport, lang: str, titles: Titles | None) -> list[tuple[str, str]]:
    """The report's header facts as (label, value): policy, scan date, judged as of, generated, scan file."""
    policy = f"{title(report.policy, lang, titles)} ({report.policy}, {t('version', lang)} {report.policy_version})"
    rows = [
        (t("policy", lang), policy),
        (t("scan_date", lang), when(report.scan_started, lang)),
        (t("as_of", lang), when(report.as_of, lang)),
        (t("generated", lang), when(report.generated, lang)),
    ]
    if report.tls_profiles:
        rows.append((t("tls_profile_label", lang), ", ".join(_profile_title(p, lang) for p in report.tls_profiles)))
    if report.scan_file:
        rows.append((t("scan_file", lang), report.scan_file))
    if report.waivers_file:
        rows.append((t("waivers_file", lang), report.waivers_file))
    return rows


def _profile_title(name: str, lang: str) -> str:
    """A TLS profile's title in ``lang`` (its name, when this version does not ship it)."""
    from ..checks._profiles import shipped_profile

    profile = shipped_profile(name)
    return profile.title[lang] if profile is not None else name


def summary(report: ScoreReport, lang: str) -> str:
    return t("summary", lang, hosts=number(len(report.hosts), lang), orgs=number(len(report.orgs), lang))


def phase_states(org: OrgScore, phases: list[str]) -> list[State]:
    """Whether the organisation attained each of ``phases`` (its ladder attainment), as the scorer says."""
    attainment = {p.phase: p.attainment for p in org.phases}
    return [attainment.get(phase, State.NOT_APPLICABLE) for phase in phases]


def next_phase(org: OrgScore, lang: str, titles: Titles | None) -> str:
    return short_title(org.next_phase, lang, titles) if org.next_phase else t("all_attained", lang)


def phase_notes(total: PhaseTotal, lang: str) -> list[str]:
    """Where a phase comes from and when it runs; whether it binds and whether it is on the ladder."""
    notes = [t("basis", lang, source=total.source)] if total.source else []
    if total.start and total.end:
        notes.append(t("period", lang, start=when(total.start, lang), end=when(total.end, lang)))
    elif total.start:
        notes.append(t("period_open", lang, start=when(total.start, lang)))
    notes += [t("not_binding", lang)] if not total.binding else []
    return notes + ([t("standalone", lang)] if total.standalone else [])


def phase_tags(total: PhaseTotal, lang: str) -> list[str]:
    """One-word tags for a phase that does not bind, or stands outside the ladder."""
    tags = [t("tag_not_binding", lang)] if not total.binding else []
    return tags + ([t("tag_standalone", lang)] if total.standalone else [])


class Fix(NamedTuple):
    """One thing an organisation must do for its next phase: about a host (or none), and what."""

    host: str | None
    detail: str


def fixes(org: OrgScore, hosts: Mapping[str, HostScore], lang: str, titles: Titles | None) -> list[Fix]:
    """What ``org`` lacks for its next phase, from the phase's requirement results.

    Required kinds the list has no host of, then each failing host, then each
    unknown one, once, with the reasons of the required criteria it does not meet.
    The scorer's free-text ``todo`` is shown only when the requirements say nothing.
    """
    if org.next_phase is None:
        return []
    phase = next((p for p in org.phases if p.phase == org.next_phase), None)
    requirements = [r for r in (phase.requirements if phase else []) if r.state is not State.PASS]
    missing = dict.fromkeys(k for r in requirements for k in r.missing_kinds)
    out = [Fix(None, t("fix_missing_kind", lang, kind=kind_label(k, lang))) for k in missing]
    failing: dict[str, dict[str, None]] = {}
    unknown: dict[str, dict[str, None]] = {}
    for req in requirements:
        for name in req.failing:
            failing.setdefault(name, {}).update(dict.fromkeys(req.criteria))
        for name in req.unknown:
            unknown.setdefault(name, {}).update(dict.fromkeys(req.criteria))
    for name, criteria in failing.items():
        host = hosts.get(name)
        text = _reasons(host, criteria, State.FAIL, lang)
        names = ", ".join(title(c, lang, titles) for c in criteria)
        out.append(Fix(_display(host, name), text or t("fix_failing", lang, criteria=names)))
    for name, criteria in unknown.items():
        if name not in failing:
            host = hosts.get(name)
            text = _reasons(host, criteria, State.UNKNOWN, lang)
            detail = t("fix_unknown", lang, reasons=text) if text else state_label(State.UNKNOWN, lang)
            out.append(Fix(_display(host, name), detail))
    return out or [Fix(None, line) for line in org.todo]


def fixes_line(items: list[Fix]) -> str:
    """Fixes on one line, for a spreadsheet cell: ``host: what; what``."""
    return "; ".join(f"{f.host}: {f.detail}" if f.host else f.detail for f in items)


def behind(report: ScoreReport, lang: str, titles: Titles | None) -> list[tuple[OrgScore, list[Fix]]]:
    """Organisations with a phase still to attain, furthest behind first, each with its fixes.

    Furthest = the earliest next phase (in policy order), then the most to fix, then by name.
    """
    hosts = {h.host: h for h in report.hosts}
    order = {p.phase: i for i, p in enumerate(report.phases)}
    rows = [(org, fixes(org, hosts, lang, titles)) for org in report.orgs if org.next_phase is not None]
    return sorted(rows, key=lambda row: (order.get(row[0].next_phase or "", -1), -len(row[1]), collation_key(row[0].org)))


class Explanation(NamedTuple):
    """One waiver as a host was judged with it: in force (the criterion explained) or expired (still failing)."""

    org: str
    host: str
    criterion: str  # its title in the language
    reason: str
    expires: str  # the date in the language
    status: str  # "in force" / "expired: ..." in the language
    expired: bool
    approved_by: str
    source: str


def explanations(report: ScoreReport, lang: str, titles: Titles | None) -> list[Explanation]:
    """Every waiver a host was judged with, in the order hosts are listed; expired ones first within a host."""
    rows = []
    for h in sorted_hosts(report):
        notes = [(c, c.waiver) for c in h.criteria if c.waiver is not None]
        for c, w in sorted(notes, key=lambda cw: not cw[1].expired):
            status = t("explanation_expired" if w.expired else "explanation_in_force", lang)
            rows.append(Explanation(h.org, _display(h, h.host), title(c.criterion, lang, titles), w.reason,
                                    when(w.expires, lang), status, w.expired, w.approved_by or "", w.source))
    return rows


EXPLANATION_COLUMNS = ("col_org", "col_host", "col_criterion", "col_explanation", "col_expires", "col_status",
                       "col_approved_by")


def explanation_rows(report: ScoreReport, lang: str, titles: Titles | None) -> list[list[str]]:
    """The explanations table (columns ``EXPLANATION_COLUMNS``), for every renderer."""
    return [[e.org, e.host, e.criterion, e.reason, e.expires, e.status, e.approved_by]
            for e in explanations(report, lang, titles)]


def unused_waivers(report: ScoreReport, lang: str) -> str:
    """The line naming waivers that matched no failing criterion, or "" when every one was used."""
    return t("explanations_unused", lang, items=", ".join(report.waivers_unused)) if report.waivers_unused else ""


def host_explanations(host: HostScore, lang: str) -> str:
    """A host's explanations on one line (for a table cell): ``reason (in force until 30/06/2027)``."""
    return "; ".join(f"{c.waiver.reason} ({t('col_expires', lang)} {when(c.waiver.expires, lang)}"
                     f"{', ' + t('explanation_expired', lang) if c.waiver.expired else ''})"
                     for c in host.criteria if c.waiver is not None)


def sorted_hosts(report: ScoreReport) -> list[HostScore]:
    """Hosts by organisation, worst state first, then by name."""
    return sorted(report.hosts, key=lambda h: (collation_key(h.org), STATE_ORDER[h.state], h.display or h.host))


def _reasons(host: HostScore | None, criteria: Mapping[str, None], state: State, lang: str) -> str:
    """Why ``host`` is in ``state`` for ``criteria``: those criteria's reasons, else the verdict's."""
    if host is None:
        return ""
    codes = [r for c in host.criteria if c.criterion in criteria and c.state is state for r in c.reasons]
    return "; ".join(reason_text(code, lang) for code in dict.fromkeys(codes or host.reasons))


def _display(host: HostScore | None, name: str) -> str:
    return host.display if host is not None and host.display else name


# ---------------------------------------------------------------- the whole service on IPv6 only

THIRD_PARTY_COLUMNS = ("col_rank", "col_blocker", "col_problem", "col_used_for", "col_hosts_broken", "col_orgs",
                       "col_examples")
TOP_THIRD_PARTIES = 20  # rows in the terminal, Markdown and HTML (CSV, XLSX and JSON have them all)


def blocker_problem(item: Blocker | ThirdParty, lang: str) -> str:
    """Why an IPv6-only client cannot use it: "has no AAAA", "timed out", "no name server answers over IPv6"."""
    if item.role == "zone":
        return catalogue.render({"f": f"zone.{item.state}"}, lang)
    if item.state == "broken":
        from ..checks._facts import did
        from ..model import Outcome

        outcome = Outcome(item.outcome) if item.outcome in Outcome._value2member_map_ else None
        return catalogue.render({"f": "dep.broken", "did": did(outcome)}, lang)
    return catalogue.render({"f": f"dep.{item.state}"}, lang)


def blocker_name(item: Blocker | ThirdParty, lang: str) -> str:
    """The dependency's host, or "zone x" for a zone."""
    return t("zone_named", lang, zone=item.name) if item.role == "zone" else item.name


def blocker_kinds(item: Blocker | ThirdParty, lang: str) -> str:
    if item.role == "zone":
        return t("zone_used_for", lang)
    return catalogue.join([catalogue.render({"f": f"depkind.{k}"}, lang) for k in item.kinds], lang)


def blocked_line(host: HostScore, lang: str) -> str:
    """What breaks a host on IPv6 only, for a table cell: "js.x (script) has no AAAA; zone y: …"."""
    parts = []
    for b in host.blocked_by:
        kinds = f" ({blocker_kinds(b, lang)})" if b.kinds and b.role != "zone" else ""
        parts.append(f"{blocker_name(b, lang)}{kinds}: {blocker_problem(b, lang)}")
    return "; ".join(parts)


def third_party_rows(report: ScoreReport, lang: str, limit: int | None = None) -> list[list[str]]:
    """The ranked blockers as table rows (``THIRD_PARTY_COLUMNS``)."""
    return [[number(i, lang), blocker_name(tp, lang), blocker_problem(tp, lang), blocker_kinds(tp, lang),
             number(tp.hosts, lang), number(tp.orgs, lang), ", ".join(tp.examples) + (" …" if tp.hosts > len(tp.examples) else "")]
            for i, tp in enumerate(report.third_parties[:limit], 1)]


def third_party_line(tp: ThirdParty, lang: str) -> str:
    """ "js.cdn.example: has no AAAA — breaks 41 hosts (12 organisations)" """
    return t("third_party_line", lang, name=blocker_name(tp, lang), problem=blocker_problem(tp, lang),
             hosts=number(tp.hosts, lang), orgs=number(tp.orgs, lang))
