"""Score a scan against a policy: hosts against criteria, organisations against phases, the list in totals.

Pure: host records and a policy in, a :class:`~ipv6scan.scores.ScoreReport` out;
no I/O, and the clock is read only for ``generated`` when ``now`` is not given.

Every judgement is three-valued (plus not-applicable): a host whose IPv6 could
not be tested (verdict untestable, unresolvable or error, a check untestable or
missing) is ``unknown`` — never counted as compliant, never as failing — and
combining states follows one rule (:func:`_all`): any fail fails, otherwise any
unknown is unknown, otherwise any explained (a failure with a waiver in force,
:mod:`ipv6scan.waivers`) is explained, otherwise pass. The rules are documented in
``docs/policy.md`` and ``docs/waivers.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from fractions import Fraction
from itertools import groupby

from .catalogue import say_ui
from .checks._profiles import profile_names
from .checks._service import BREAKS, BROKEN_ZONES, dep_state, dependencies, landing, zone_states
from .kinds import KINDS, infer_kind, infer_org
from .locales import collation_key
from .model import CheckResult, CheckStatus, Dependency, Family, HostFacts, HostRecord, HostResult, Verdict
from .policy import LANGS, Criterion, Phase, Policy, Requirement, words
from .scores import (
    Blocker,
    CriterionInfo,
    CriterionResult,
    HostScore,
    KindTotal,
    OrgPhase,
    OrgScore,
    PhaseTotal,
    RequirementResult,
    ScoreReport,
    State,
    ThirdParty,
    WaiverNote,
)
from .waivers import Waiver, Waivers

PASS, FAIL, UNKNOWN, N_A, EXPLAINED = State.PASS, State.FAIL, State.UNKNOWN, State.NOT_APPLICABLE, State.EXPLAINED
ATTAINED = frozenset({PASS, EXPLAINED})  # a phase attained, with or without an explanation
# Verdicts that say nothing about the host's IPv6: a condition on the verdict is unknown, never failed.
UNKNOWN_VERDICTS = frozenset({Verdict.UNTESTABLE, Verdict.UNRESOLVABLE, Verdict.ERROR})

Judgement = tuple[State, list[str]]  # a state and the reason codes behind it (empty when it passes)


def score(
    records: Iterable[HostRecord],
    policy: Policy,
    *,
    as_of: date | None = None,
    scan_started: str | None = None,
    scan_file: str | None = None,
    lang: str = "en",
    now: datetime | None = None,
    waivers: Waivers | None = None,
) -> ScoreReport:
    """Score host records against a policy.

    ``as_of`` (the date hosts are judged at, see :func:`in_force`) defaults to the
    date of ``scan_started``, else of the earliest host scanned. Every phase is
    scored whatever its period, so phases not started yet show what is missing.
    ``lang`` ("en" or "vi") picks titles and todo texts; ``now`` stamps ``generated``.
    ``waivers`` explain failures (in force on ``as_of``: explained; expired: still failing).
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    records = list(records)
    now = now or datetime.now(UTC)
    as_of = as_of or _scan_date(scan_started, records) or now.date()
    phases = in_force(policy, as_of)
    used: set[str] = set()
    hosts = sorted((_score_host(r, policy, phases, waivers, as_of, used) for r in records), key=_host_order)
    orgs = [_score_org(org, list(group), policy, lang) for org, group in groupby(hosts, key=lambda h: h.org)]
    ladders = [_ladder(policy, org.phases) for org in orgs]
    return ScoreReport(
        policy=policy.id,
        policy_version=policy.version,
        policy_title=policy.title.text(lang),
        scan_started=scan_started,
        scan_file=scan_file,
        generated=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        as_of=as_of.isoformat(),
        hosts=hosts,
        orgs=orgs,
        phases=[_phase_total(phase, [ladder[phase.id] for ladder in ladders], lang) for phase in policy.phases],
        kinds=_kind_totals(hosts),
        lang=lang,
        criteria=[
            CriterionInfo(id=c.id, title=c.title.text(lang), source=words(c.source, lang), kinds=list(c.kinds),
                          note=words(c.note, lang))
            for c in policy.criteria
        ],
        waivers_file=waivers.origin if waivers is not None else None,
        tls_profiles=sorted({r.facts.tls_profile or profile_names()[0] for r in records}),
        waivers_unused=[w.source for w in (waivers.all if waivers is not None else []) if w.source not in used],
        third_parties=third_parties(hosts),
    )


def in_force(policy: Policy, as_of: date) -> list[Phase]:
    """The phases hosts are judged against: binding phases started by ``as_of``.

    Before any has started, the first to start. Non-binding phases (e.g. an
    unconfirmed decision) are scored for organisations but never judge hosts,
    unless the policy has no binding phase at all.
    """
    binding = [p for p in policy.phases if p.binding] or list(policy.phases)
    started = [p for p in binding if p.start <= as_of]
    first = min(p.start for p in binding)
    return started or [p for p in binding if p.start == first]


def evaluate(criterion: Criterion, result: HostResult, kind: str) -> CriterionResult:
    """One criterion for one host: every condition given must hold (three-valued AND)."""
    if kind not in criterion.kinds:
        return CriterionResult(criterion=criterion.id, state=N_A)
    if result.verdict == Verdict.ERROR:  # the scanner failed: the facts are incomplete
        reasons = list(result.reasons) or [str(result.verdict)]
        return CriterionResult(criterion=criterion.id, state=UNKNOWN, reasons=reasons)
    parts = [_verdict_in(criterion.verdicts, result)] if criterion.verdicts else []
    parts += [_checks(cid, result, must_pass=True) for cid in criterion.checks_pass]
    parts += [_checks(cid, result, must_pass=False) for cid in criterion.checks_not_fail]
    state, reasons = _combine(parts)
    return CriterionResult(criterion=criterion.id, state=state, reasons=reasons)


# ---------------------------------------------------------------- hosts


def _verdict_in(verdicts: list[Verdict], result: HostResult) -> Judgement:
    """Pass when the verdict is listed; unknown for verdicts that tested nothing; else fail (FAIL checks' reasons)."""
    if result.verdict in verdicts:
        return PASS, []
    if result.verdict in UNKNOWN_VERDICTS:
        return UNKNOWN, list(result.reasons) or [str(result.verdict)]
    failed = {c.reason for c in result.checks if c.status == CheckStatus.FAIL}
    return FAIL, [r for r in result.reasons if r in failed] or list(result.reasons) or [str(result.verdict)]


def _checks(cid: str, result: HostResult, *, must_pass: bool) -> Judgement:
    """Every result of check ``cid``: must pass, or must not fail. Missing from the scan: unknown."""
    found = [c for c in result.checks if c.id == cid]
    if not found:
        return UNKNOWN, [f"not_checked:{cid}"]
    return _combine([(_check_state(c, must_pass), [c.reason]) for c in found])


def _check_state(check: CheckResult, must_pass: bool) -> State:
    """Untestable is unknown; not-applicable is unknown where a pass is needed (nothing was judged)."""
    if check.status == CheckStatus.UNTESTABLE:
        return UNKNOWN
    if check.status == CheckStatus.NOT_APPLICABLE:
        return UNKNOWN if must_pass else PASS
    if must_pass:
        return PASS if check.status == CheckStatus.PASS else FAIL
    return FAIL if check.status == CheckStatus.FAIL else PASS


def _score_host(record: HostRecord, policy: Policy, phases: Sequence[Phase], waivers: Waivers | None, as_of: date,
                used: set[str]) -> HostScore:
    """Kind and org (guessed from the name when the list gave none), criteria, and the host's state."""
    facts, result = record.facts, record.result
    kind = facts.kind or infer_kind(facts.host)
    org = facts.org or infer_org(facts.host)
    criteria = [evaluate(c, result, kind) for c in policy.criteria if kind in c.kinds]
    if waivers is not None:
        criteria = [_explained(c, waivers.find(facts.host, org, c.criterion), as_of, used) for c in criteria]
    counted = {cid for phase in phases for req in phase.requirements if kind in req.kinds for cid in req.criteria}
    return HostScore(
        host=facts.host,
        display=facts.display,
        org=org,
        kind=kind,
        kind_inferred=not facts.kind,
        verdict=str(result.verdict),
        state=_all(c.state for c in criteria if c.criterion in counted),
        criteria=criteria,
        reasons=list(result.reasons),
        **_site(facts),
        blocked_by=blockers(facts),
    )


# ---------------------------------------------------------------- the whole service on IPv6 only

EXAMPLES = 5  # hosts named per third party
_WORST = {"broken": 0, "silent": 0, "ns_names": 0, "no_glue6": 0, "delegation": 0, "ipv4_literal": 1, "no_aaaa": 2}  # a broken AAAA is worse than none: it stalls


def blockers(facts: HostFacts) -> list[Blocker]:
    """What an IPv6-only client cannot use of this host's service: each dependency that breaks, each zone."""
    out = [_origin_blocker(d, state, "dependency") for d, state in dependencies(facts) if state in BREAKS]
    if facts.chain is not None:
        out += [Blocker(name=zone, role="zone", state=str(state)) for zone, state in zone_states(facts.chain).items()
                if state in BROKEN_ZONES]
    links = facts.page.links if facts.page is not None else None
    out += [_origin_blocker(link, state, "link")  # (a click away: ranked with the rest, by how many link to each)
            for link in links or () if (state := dep_state(link)) in BREAKS]
    return out


def _origin_blocker(dep: Dependency, state: str, role: str) -> Blocker:
    """A dependency or a linked site that breaks, and how its request over IPv6 ended (where its redirects led)."""
    probe = landing(dep)
    return Blocker(name=dep.host, role=role, state=str(state), kinds=list(dep.kinds),
                   outcome=str(probe.outcome) if probe is not None and state == "broken" else None)


def third_parties(hosts: Sequence[HostScore]) -> list[ThirdParty]:
    """Every blocker of the scan, ranked: most hosts broken first, then most organisations, then by name."""
    ranked: dict[tuple[str, str], ThirdParty] = {}
    orgs: dict[tuple[str, str], set[str]] = {}
    for host in hosts:
        for b in host.blocked_by:
            key = (b.role, b.name)
            entry = ranked.get(key)
            if entry is None:
                entry = ranked[key] = ThirdParty(name=b.name, role=b.role, state=b.state, outcome=b.outcome, hosts=0,
                                                 orgs=0)
                orgs[key] = set()
            elif _WORST.get(b.state, 3) < _WORST.get(entry.state, 3):
                entry.state, entry.outcome = b.state, b.outcome
            entry.hosts += 1
            orgs[key].add(host.org)
            entry.kinds += [k for k in b.kinds if k not in entry.kinds]
            if len(entry.examples) < EXAMPLES:
                entry.examples.append(host.display)
    for key, entry in ranked.items():
        entry.orgs = len(orgs[key])
    return sorted(ranked.values(), key=lambda e: (-e.hosts, -e.orgs, e.role, e.name))


def _explained(result: CriterionResult, waiver: Waiver | None, as_of: date, used: set[str]) -> CriterionResult:
    """A failed criterion with a waiver: explained while the waiver is in force, else failed and noted expired."""
    if waiver is None or result.state != FAIL:
        return result
    used.add(waiver.source)
    expired = waiver.expires < as_of
    note = WaiverNote(reason=waiver.reason, expires=waiver.expires.isoformat(), scope=waiver.scope, expired=expired,
                      source=waiver.source, approved_by=waiver.approved_by)
    return CriterionResult(criterion=result.criterion, state=FAIL if expired else EXPLAINED, reasons=result.reasons,
                           waiver=note)


def _site(facts: HostFacts) -> dict[str, str | None]:
    """What the site said about itself, preferring IPv6 and HTTPS answers."""
    probes = sorted(facts.web, key=lambda p: (p.family != Family.V6, p.scheme != "https"))
    cert = next((p.tls.cert for p in probes if p.tls is not None and p.tls.cert is not None), None)
    return {
        "title": next((p.title for p in probes if p.title), None),
        "server": next((p.headers["server"] for p in probes if "server" in p.headers), None),
        "final_url": next((p.final_url for p in probes if p.family == Family.V6 and p.final_url), None),
        "cert_issuer": cert.issuer if cert else None,
        "cert_not_after": cert.not_after if cert else None,
    }


# ---------------------------------------------------------------- organisations


def _score_org(org: str, hosts: list[HostScore], policy: Policy, lang: str) -> OrgScore:
    """Each phase's requirements, the phases attained (the ladder), the next one and what it needs."""
    phases = [_org_phase(phase, hosts) for phase in policy.phases]
    ladder = _ladder(policy, phases)
    for org_phase in phases:
        org_phase.attainment = ladder[org_phase.phase]
    next_phase = next((p for p in policy.phases if not p.standalone and ladder[p.id] not in (PASS, EXPLAINED, N_A)),
                      None)
    return OrgScore(
        org=org,
        hosts=len(hosts),
        compliant_hosts=sum(h.state == PASS for h in hosts),
        explained_hosts=sum(h.state == EXPLAINED for h in hosts),
        phases=phases,
        attained=[p.id for p in policy.phases if ladder[p.id] in ATTAINED],
        next_phase=next_phase.id if next_phase else None,
        todo=_todo(next_phase, hosts, lang) if next_phase else [],
    )


def _org_phase(phase: Phase, hosts: list[HostScore]) -> OrgPhase:
    requirements = [_requirement(req, hosts) for req in phase.requirements]
    return OrgPhase(phase=phase.id, state=_all(r.state for r in requirements), requirements=requirements)


def _requirement(req: Requirement, hosts: list[HostScore]) -> RequirementResult:
    """All (or any) of the org's hosts of these kinds meet the criteria; a required kind absent fails it."""
    mine = [(h, _meets(h, req)[0]) for h in hosts if h.kind in req.kinds]
    missing = [k for k in req.kinds if req.required and not any(h.kind == k for h, _ in mine)]
    combine = _all if req.scope == "all" else _any
    return RequirementResult(
        kinds=list(req.kinds),
        criteria=list(req.criteria),
        state=FAIL if missing else combine(state for _, state in mine),
        hosts=[h.host for h, _ in mine],
        failing=[h.host for h, state in mine if state == FAIL],
        unknown=[h.host for h, state in mine if state == UNKNOWN],
        missing_kinds=missing,
    )


def _meets(host: HostScore, req: Requirement) -> Judgement:
    """One host against a requirement's criteria (they apply to its kind: the policy loader checks it)."""
    results = {c.criterion: c for c in host.criteria}
    return _combine([(results[cid].state, results[cid].reasons) for cid in req.criteria])


def _ladder(policy: Policy, phases: list[OrgPhase]) -> dict[str, State]:
    """Attainment per phase: a ladder phase is attained only when the earlier ladder phases are.

    Pass: attained. Unknown: would be attained if the unknown hosts pass. Not
    applicable: nothing of the phase concerns the org (it neither blocks nor counts).
    Standalone phases stand on their own state.
    """
    own = {p.phase: p.state for p in phases}
    ladder, before = {}, PASS
    for phase in policy.phases:
        state = own[phase.id]
        if state == N_A or phase.standalone:
            ladder[phase.id] = state
            continue
        ladder[phase.id] = before = _all([before, state])
    return ladder


def _todo(phase: Phase, hosts: list[HostScore], lang: str) -> list[str]:
    """For people: each failing or unknown host with its reason codes, then each required kind missing."""
    lines: list[str] = []
    for req in phase.requirements:
        result = _requirement(req, hosts)
        if result.state in (PASS, EXPLAINED, N_A):
            continue
        for host in (h for h in hosts if h.kind in req.kinds):
            state, reasons = _meets(host, req)
            if state == FAIL:
                lines.append(f"{host.display}: {', '.join(reasons)}")
            elif state == UNKNOWN:
                lines.append(say_ui("todo_unknown", lang, host=host.display, reasons=", ".join(reasons)))
        lines += [say_ui("todo_missing", lang, kind=kind) for kind in result.missing_kinds]
    return list(dict.fromkeys(lines))


# ---------------------------------------------------------------- the whole list


def _phase_total(phase: Phase, states: list[State], lang: str) -> PhaseTotal:
    """Organisations attaining the phase (``states``: each one's ladder state) against its target share."""
    total = sum(s != N_A for s in states)
    attained = states.count(PASS) + states.count(EXPLAINED)
    return PhaseTotal(
        phase=phase.id,
        orgs_total=total,
        orgs_attained=attained,
        orgs_unknown=states.count(UNKNOWN),
        share=round(attained / total, 4) if total else 0.0,
        target_share=phase.org_share,
        met=bool(total) and Fraction(attained, total) >= Fraction(str(phase.org_share)),
        title=phase.title.text(lang),
        source=words(phase.source, lang),
        start=phase.start.isoformat(),
        end=phase.end.isoformat() if phase.end else None,
        standalone=phase.standalone,
        binding=phase.binding,
        orgs_explained=states.count(EXPLAINED),
    )


def _kind_totals(hosts: list[HostScore]) -> list[KindTotal]:
    """Per kind (vocabulary order, then any other kind the list used): compliant share of the hosts judged."""
    present = {h.kind for h in hosts}
    kinds = [k for k in KINDS if k in present] + sorted(present - set(KINDS))
    totals = []
    for kind in kinds:
        states = [h.state for h in hosts if h.kind == kind]
        compliant, failing, explained = states.count(PASS), states.count(FAIL), states.count(EXPLAINED)
        judged = compliant + explained + failing
        totals.append(
            KindTotal(
                kind=kind,
                hosts=len(states),
                compliant=compliant,
                failing=failing,
                unknown=states.count(UNKNOWN),
                share=round((compliant + explained) / judged, 4) if judged else 0.0,
                explained=explained,
            )
        )
    return totals


# ---------------------------------------------------------------- helpers


_AND = (FAIL, UNKNOWN, EXPLAINED, PASS)  # the first of these present decides an AND
_OR = (PASS, EXPLAINED, UNKNOWN, FAIL)  # ... and an OR


def _all(states: Iterable[State]) -> State:
    """AND, not-applicable ignored: any fail fails, else any unknown, else any explained, else pass (nothing: n/a)."""
    seen = set(states) - {N_A}
    return next((s for s in _AND if s in seen), N_A)


def _any(states: Iterable[State]) -> State:
    """OR, not-applicable ignored: any pass passes, else any explained, else any unknown, else fail (nothing: n/a)."""
    seen = set(states) - {N_A}
    return next((s for s in _OR if s in seen), N_A)


def _combine(parts: list[Judgement]) -> Judgement:
    """AND of judgements, with the reasons of the parts that decided it."""
    state = _all(s for s, _ in parts)
    if state in (PASS, N_A):
        return state, []
    return state, list(dict.fromkeys(r for s, reasons in parts if s == state for r in reasons))


def _scan_date(scan_started: str | None, records: list[HostRecord]) -> date | None:
    """The scan's date: its header's start, else the earliest host's."""
    times = [scan_started] if scan_started else [r.facts.started for r in records]
    first = min((_utc(datetime.fromisoformat(t)) for t in times), default=None)
    return first.date() if first else None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _host_order(host: HostScore) -> tuple[tuple[bytes, str], str, str]:
    """By organisation (Vietnamese collation: Điện Biên before Yên Bái), then host name, then kind."""
    return collation_key(host.org), host.host, host.kind
