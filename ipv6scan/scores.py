"""Typed results of scoring a scan against a policy (what ``scoring.py`` computes, ``report/`` renders).

Scoring is pure: host results + facts + a policy -> these records. Every state
is one of :class:`State`: a host that was untestable or unresolvable is
``unknown``, never counted as compliant nor as failing.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

# 1.1: waivers (State.EXPLAINED, CriterionResult.waiver, the *explained counts)
# 1.2: the whole service on IPv6 only (HostScore.blocked_by, ScoreReport.third_parties)
# 1.3: the TLS profiles the hosts were judged against (ScoreReport.tls_profiles)
# 1.4: a blocker's role "link": a government site the host's page links to that an IPv6-only citizen cannot open
SCORES_SCHEMA_VERSION = "1.4"


class State(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"  # untestable / unresolvable / scanner error: not counted either way
    NOT_APPLICABLE = "not_applicable"
    # failed, with an explanation in force (a waiver: comply or explain): not failing, shown apart from a pass
    EXPLAINED = "explained"


class WaiverNote(msgspec.Struct, kw_only=True):
    """The waiver a criterion result was judged with: applied (in force) or expired (the failure stands)."""

    reason: str  # the explanation, as the waivers file gives it
    expires: str  # ISO date: the last day it is in force
    scope: str  # "host" or "org": what the waiver names
    expired: bool = False  # True: it ended before the date judged at, so it was not applied
    source: str = ""  # where it was declared ("waivers.toml:12")
    approved_by: str | None = None


class Struct(msgspec.Struct):
    """Base of the records (msgspec does not inherit ``kw_only``: each record sets it)."""


class CriterionResult(Struct, kw_only=True):
    criterion: str  # id in the policy
    state: State
    reasons: list[str] = []  # reason codes from the host's checks (why not)
    waiver: WaiverNote | None = None  # the explanation for a failure (state EXPLAINED), or the one that expired


class Blocker(Struct, kw_only=True):
    """Something a host's service needs that an IPv6-only client cannot use: a dependency of its page or a zone."""

    name: str  # the dependency's host (or IP literal), or the zone's apex
    role: str  # "dependency", "zone", or from 1.4 "link" (a government site the page links to, a click away)
    state: str  # dependency: no_aaaa, ipv4_literal, broken; zone: no_aaaa, silent
    outcome: str | None = None  # a broken dependency: how its request over IPv6 ended
    kinds: list[str] = []  # a dependency: what the page loads from it (script, image, ...)


class ThirdParty(Struct, kw_only=True):
    """A blocker ranked across the scan: how many hosts (and organisations) it breaks on IPv6 only."""

    name: str
    role: str
    state: str  # the worst seen (a dependency broken on one page and without AAAA on none: broken)
    outcome: str | None = None
    kinds: list[str] = []
    hosts: int  # scanned hosts it breaks
    orgs: int
    examples: list[str] = []  # the first few of them (display names)


class HostScore(Struct, kw_only=True):
    host: str
    display: str
    org: str
    kind: str
    kind_inferred: bool = False  # kind guessed from the host name, not given in the list
    verdict: str
    state: State  # all applicable criteria pass / any fails / otherwise unknown
    criteria: list[CriterionResult] = []
    reasons: list[str] = []  # the host verdict's reason codes (from checks)
    # A few things the site itself said, for people reading a report. Hostile input:
    # every renderer escapes them (HTML, Markdown) or neutralises them (CSV).
    title: str | None = None  # page title (IPv6 if any, else IPv4)
    server: str | None = None  # Server header
    final_url: str | None = None  # where the IPv6 redirect chain ended
    cert_issuer: str | None = None
    cert_not_after: str | None = None
    blocked_by: list[Blocker] = []  # what breaks this host's service on IPv6 only (its page's dependencies, zones)


class RequirementResult(Struct, kw_only=True):
    """One requirement of a phase for one organisation: these kinds must meet these criteria."""

    kinds: list[str]
    criteria: list[str]
    state: State
    hosts: list[str] = []  # the org's hosts this requirement looked at
    failing: list[str] = []  # hosts that fail it
    unknown: list[str] = []  # hosts whose state is unknown
    missing_kinds: list[str] = []  # required kinds the org has no host of in the list


class OrgPhase(Struct, kw_only=True):
    phase: str
    state: State  # the phase's own requirements: pass / fail / unknown (depends on unknown hosts)
    requirements: list[RequirementResult] = []
    # Attainment on the ladder: pass only when this phase and every earlier ladder phase pass.
    attainment: State = State.NOT_APPLICABLE


class OrgScore(Struct, kw_only=True):
    org: str
    hosts: int
    compliant_hosts: int
    explained_hosts: int = 0  # hosts not failing only thanks to a waiver
    phases: list[OrgPhase] = []
    attained: list[str] = []  # phase ids attained, in policy order
    next_phase: str | None = None  # the first phase not attained
    todo: list[str] = []  # what is missing for next_phase, for people (hosts + reason codes)


class PhaseTotal(Struct, kw_only=True):
    phase: str
    orgs_total: int
    orgs_attained: int  # including those attaining it with an explanation
    orgs_unknown: int
    share: float  # orgs_attained / orgs_total (0 when no orgs)
    target_share: float  # from the policy
    met: bool  # share >= target_share
    # The phase as the policy describes it, so a report needs no policy file to be read.
    title: str = ""  # in the report's language
    source: str = ""  # the instrument it comes from
    start: str | None = None  # ISO dates; end None: open-ended
    end: str | None = None
    standalone: bool = False  # outside the ladder of phases (neither needs nor blocks another)
    binding: bool = True  # False: scored and shown, but hosts are not judged against it
    orgs_explained: int = 0  # of orgs_attained, those attaining it only with a waiver


class KindTotal(Struct, kw_only=True):
    kind: str
    hosts: int
    compliant: int
    failing: int
    unknown: int
    share: float  # (compliant + explained) / (compliant + explained + failing); unknown hosts are left out
    explained: int = 0  # failing, with a waiver in force


class CriterionInfo(Struct, kw_only=True):
    """A criterion as the policy describes it (what ``CriterionResult.criterion`` refers to)."""

    id: str
    title: str  # in the report's language
    source: str
    kinds: list[str] = []
    note: str | None = None


class ScoreReport(Struct, kw_only=True):
    schema_version: str = SCORES_SCHEMA_VERSION
    policy: str  # policy id
    policy_version: str
    policy_title: str
    scan_started: str | None = None
    scan_file: str | None = None
    generated: str
    as_of: str  # the date phases are judged at (scan date by default)
    hosts: list[HostScore] = []
    orgs: list[OrgScore] = []
    phases: list[PhaseTotal] = []
    kinds: list[KindTotal] = []
    lang: str = "en"  # language of titles and todo texts ("en" or "vi")
    criteria: list[CriterionInfo] = []  # the policy's criteria, in policy order
    waivers_file: str | None = None  # the waivers file the scan was judged with
    waivers_unused: list[str] = []  # waivers that matched no failing criterion ("waivers.toml, waiver 2: …")
    third_parties: list[ThirdParty] = []  # blockers ranked by the hosts they break on IPv6 only, most first
    # The TLS profiles (checks/tls-profiles.toml names) the hosts were judged against (--tls-profile; the
    # default when the scan chose none): what the tls_profile criterion means in this report
    tls_profiles: list[str] = []
