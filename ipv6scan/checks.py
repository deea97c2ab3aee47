"""Judge one host: pure functions from :class:`HostFacts` to :class:`HostResult`.

No I/O and no clock: :func:`judge` takes ``now`` (by default the time the host's
scan started), so re-judging a saved scan gives the same result.

Each check is a small function ``(facts, ctx) -> list[CheckResult]``. ``CHECKS``
lists them in report order, most fundamental first (DNS, web, TLS, parity,
redirects, name servers, mail); :func:`verdict_of` then picks the verdict from
the facts and collects the reason codes behind it, worst first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .addresses import IPNetwork, is_allowed, parse_prefixes
from .model import (
    CERT_FAILURES,
    DNS_FAILURES,
    TLS_FAILURES,
    Address,
    CheckResult,
    CheckStatus,
    DnsLookup,
    Family,
    HostFacts,
    HostResult,
    MailServer,
    NameServer,
    Outcome,
    ParityFacts,
    Resolution,
    Verdict,
    WebProbe,
    ZoneFacts,
)

SCHEMES = ("http", "https")
SIMILARITY_THRESHOLD = 0.9  # below this the IPv6 page is "another page"
# Checks listed in the result but not counted for the web verdict (a later
# scoring layer judges mail domains).
NOT_IN_VERDICT = frozenset({"mx.ipv6", "zone.dnssec"})  # listed, judged by the policy layer

PASS, FAIL, WARN, INFO = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.INFO
UNTESTED, N_A = CheckStatus.UNTESTABLE, CheckStatus.NOT_APPLICABLE

_FAMILY = {Family.V4: "IPv4", Family.V6: "IPv6"}
_NOT_PROBED = frozenset({Outcome.SKIPPED_NON_GLOBAL, Outcome.UNTESTABLE})
_ANSWERED = CERT_FAILURES | {Outcome.OK}
# A scheme that only ever met these on every address is "not offered" rather than broken.
_NOTHING_LISTENING = frozenset({Outcome.REFUSED, Outcome.TIMEOUT, Outcome.UNREACHABLE, Outcome.RESET})
_OLD_PROTOCOLS = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.0", "TLSv1.1"})

# What a connection did, as the end of a sentence ("HTTPS on 2001:db8::10 port 443 ...").
_PHRASES: dict[Outcome, str] = {
    Outcome.TIMEOUT: "timed out",
    Outcome.REFUSED: "refused the connection",
    Outcome.UNREACHABLE: "was unreachable",
    Outcome.RESET: "reset the connection",
    Outcome.PROTOCOL_ERROR: "did not answer with a valid response",
    Outcome.TLS_HANDSHAKE_FAILED: "failed the TLS handshake",
    Outcome.TLS_UNTRUSTED: "served a certificate from an untrusted issuer (or an incomplete chain)",
    Outcome.TLS_SELF_SIGNED: "served a self-signed certificate",
    Outcome.TLS_EXPIRED: "served an expired certificate",
    Outcome.TLS_NOT_YET_VALID: "served a certificate that is not yet valid",
    Outcome.TLS_HOSTNAME_MISMATCH: "served a certificate for another host name",
    Outcome.ERROR: "failed",
}
# Connection outcomes as they appear in reason codes, e.g. "https_refused_ipv6".
_KINDS: dict[Outcome, str] = {
    Outcome.REFUSED: "refused",
    Outcome.TIMEOUT: "timeout",
    Outcome.UNREACHABLE: "unreachable",
    Outcome.RESET: "reset",
    Outcome.PROTOCOL_ERROR: "protocol_error",
    Outcome.TLS_HANDSHAKE_FAILED: "tls_handshake_failed",
    Outcome.ERROR: "error",
}
_DNS_PHRASES: dict[Outcome, str] = {
    Outcome.DNS_NXDOMAIN: "the name does not exist (NXDOMAIN)",
    Outcome.DNS_SERVFAIL: "the resolver answered SERVFAIL",
    Outcome.DNS_REFUSED: "the resolver refused the query",
    Outcome.DNS_TIMEOUT: "the query timed out",
    Outcome.DNS_ERROR: "the answer was malformed or unexpected",
    Outcome.CNAME_LOOP: "the CNAME chain loops",
    Outcome.CNAME_TOO_LONG: "the CNAME chain is too long",
}
# Redirect-chain endings over IPv6: reason code and the end of a sentence ({url}: where it ended).
_REDIRECT_ENDINGS: dict[Outcome, tuple[str, str]] = {
    Outcome.REDIRECT_LEAVES_FAMILY: ("redirect_leaves_ipv6", "leads to {url}, which has no IPv6 address"),
    Outcome.REDIRECT_LOOP: ("redirect_loop_ipv6", "loops"),
    Outcome.TOO_MANY_REDIRECTS: ("too_many_redirects_ipv6", "has too many redirects"),
    Outcome.REDIRECT_REFUSED: (
        "redirect_refused_ipv6",
        "leads to {url}, which may not be followed (unsupported scheme or non-global address)",
    ),
}


@dataclass(frozen=True)
class CheckContext:
    """What checks need besides the facts: the judging time and the user's policy."""

    now: datetime
    expiry_warn_days: int
    allowed: list[IPNetwork]


Check = Callable[[HostFacts, CheckContext], list[CheckResult]]
Servers = list[NameServer] | list[MailServer]


# ---------------------------------------------------------------- entry points


def judge(facts: HostFacts, *, now: datetime | None = None, expiry_warn_days: int = 21) -> HostResult:
    """Run every check on the facts of one host and pick its verdict.

    ``now`` defaults to the time the host's scan started, so re-judging a saved
    scan is reproducible. The facts are never modified.
    """
    if facts.error is not None:
        return _scanner_error(facts)
    ctx = CheckContext(
        now=_aware(now) if now is not None else _parse_time(facts.started),
        expiry_warn_days=expiry_warn_days,
        allowed=_allowed(facts),
    )
    checks = [result for check in CHECKS for result in check(facts, ctx)]
    verdict, reasons = verdict_of(checks, facts)
    return HostResult(host=facts.host, verdict=verdict, reasons=reasons, checks=checks)


def verdict_of(checks: list[CheckResult], facts: HostFacts) -> tuple[Verdict, list[str]]:
    """The verdict (rules in order, see docs) and the reason codes behind it, worst first."""
    verdict = _verdict(checks, facts)
    return verdict, _reasons(verdict, checks)


def _verdict(checks: list[CheckResult], facts: HostFacts) -> Verdict:
    """First match wins: unresolvable, no IPv6, all AAAA unreachable, untestable, nothing answers, a FAIL, ready."""
    res = facts.resolution
    if res.chain_outcome != Outcome.OK or _failed(res.aaaa):
        return Verdict.UNRESOLVABLE  # a DNS failure is never "no IPv6"
    v6 = _addresses(res, Family.V6)
    if not v6:
        return Verdict.NO_IPV6
    allowed = _allowed(facts)
    if not any(_routable(a, allowed) for a in v6):
        return Verdict.BROKEN_IPV6  # published, but nobody can reach any of it
    if _untestable(facts):
        return Verdict.UNTESTABLE
    if not any(_answered(p) for p in facts.web if p.family == Family.V6):
        return Verdict.BROKEN_IPV6
    if any(c.status == FAIL for c in checks if c.id not in NOT_IN_VERDICT):
        return Verdict.PARTIAL
    return Verdict.READY


def _reasons(verdict: Verdict, checks: list[CheckResult]) -> list[str]:
    """FAIL reasons in check order, then WARN; for an untestable verdict, why it was untestable first."""
    order = [FAIL, WARN]
    if verdict == Verdict.UNTESTABLE:
        order.insert(0, UNTESTED)
    counted = [c for c in checks if c.id not in NOT_IN_VERDICT]
    return list(dict.fromkeys(c.reason for status in order for c in counted if c.status == status))


def _scanner_error(facts: HostFacts) -> HostResult:
    """The scanner itself failed on this host: its facts are incomplete, so nothing else is judged."""
    message = f"The scanner failed on {facts.display}: {facts.error}"
    check = _result("scan.error", UNTESTED, "scanner_error", message)
    return HostResult(host=facts.host, verdict=Verdict.ERROR, reasons=[check.reason], checks=[check])


# ---------------------------------------------------------------- DNS


def check_dns_resolve(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.resolve: the CNAME chain ends and the name has at least one address."""
    res, name = facts.resolution, facts.display
    if res.chain_outcome != Outcome.OK:
        chain = f" ({' → '.join([res.name, *res.cname_chain])})" if res.cname_chain else ""
        message = f"Resolving {name}{chain} failed: {_dns_phrase(res.chain_outcome)}"
        return [_result("dns.resolve", FAIL, _dns_reason(res.chain_outcome), message)]
    if res.addresses:
        return [_result("dns.resolve", PASS, "dns_ok", f"{name} resolved to {_join(a.address for a in res.addresses)}")]
    # NXDOMAIN first: the name does not exist, whatever else failed.
    failed = sorted((x for x in (res.aaaa, res.a) if _failed(x)), key=lambda x: x.outcome != Outcome.DNS_NXDOMAIN)
    if failed:
        return [_result("dns.resolve", FAIL, _lookup_reason(failed[0]), _lookup_failure(failed[0]))]
    return [_result("dns.resolve", FAIL, "no_addresses", f"{name} has neither A nor AAAA records")]


def check_dns_aaaa(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.aaaa: the AAAA lookup succeeded with records (a lookup failure is not "no AAAA")."""
    return [_lookup_check(facts, Family.V6)]


def check_dns_aaaa_global(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.aaaa_global: every AAAA can be reached: globally routable, or in a prefix the user allowed."""
    v6 = _addresses(facts.resolution, Family.V6)
    if not v6:
        return [_result("dns.aaaa_global", N_A, "not_probed", f"{facts.display} has no IPv6 address to classify")]
    blocked = [a for a in v6 if not _routable(a, ctx.allowed)]
    if not blocked:
        message = f"Every IPv6 address of {facts.display} can be reached ({_join(a.address for a in v6)})"
        return [_result("dns.aaaa_global", PASS, "aaaa_routable", message)]
    listed = _join(f"{a.address} ({(a.special or 'special').replace('_', ' ')})" for a in blocked)
    who = "nobody can reach the site over IPv6" if len(blocked) == len(v6) else "those addresses cannot be reached"
    message = f"{facts.display} publishes AAAA records that are not globally routable: {listed}, so {who}"
    return [_result("dns.aaaa_global", FAIL, "aaaa_not_global", message)]


def check_dns_a(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.a: the A lookup (IPv4 side: problems are warnings, an IPv6-only host is fine)."""
    return [_lookup_check(facts, Family.V4)]


def _lookup_check(facts: HostFacts, family: Family) -> CheckResult:
    """The A or AAAA lookup: FAIL for AAAA problems, WARN/INFO for A (we judge IPv6 readiness)."""
    res = facts.resolution
    lookup, rdtype = (res.aaaa, "AAAA") if family == Family.V6 else (res.a, "A")
    cid = f"dns.{rdtype.lower()}"
    if res.chain_outcome != Outcome.OK:
        message = f"{rdtype} not judged: resolving {facts.display} failed"
        return _result(cid, N_A, _dns_reason(res.chain_outcome), message)
    found = _addresses(res, family)
    if _failed(lookup):
        status = FAIL if family == Family.V6 else WARN
        return _result(cid, status, _lookup_reason(lookup), _lookup_failure(lookup))
    if not found:
        status, reason = (FAIL, "no_aaaa") if family == Family.V6 else (INFO, "no_a")
        return _result(cid, status, reason, f"{facts.display} has no {rdtype} record")
    message = f"{facts.display} has {rdtype} {_join(a.address for a in found)}"
    return _result(cid, PASS, f"{rdtype.lower()}_present", message)


# ---------------------------------------------------------------- web


def check_web(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """web.<scheme>.<family>: did every address of that family answer that scheme (first request)?"""
    return [_web_check(facts, scheme, family) for scheme in SCHEMES for family in (Family.V4, Family.V6)]


def _web_check(facts: HostFacts, scheme: str, family: Family) -> CheckResult:
    """IPv6 failures FAIL, IPv4 failures WARN; a scheme nobody offers on any family is only INFO."""
    cid, label = f"web.{scheme}.{family}", scheme.upper()
    probes = _probes(facts, scheme, family)
    probed = [p for p in probes if p.outcome not in _NOT_PROBED]
    if not probed:
        return _not_probed(cid, probes, f"{label} over {_FAMILY[family]}")
    failed = [p for p in probed if not _answered(p)]
    if not failed:
        return _result(cid, PASS, f"{scheme}_ok_{family}", f"{label} answered on {_join(_where(p) for p in probed)}")
    if _absent(facts, scheme):
        message = f"{label} is not offered over IPv4 or IPv6: {_failures(failed)}"
        return _result(cid, INFO, f"{scheme}_absent", message)
    if family == Family.V6:
        reason = f"{scheme}_{_KINDS.get(failed[0].outcome, 'error')}_ipv6"
        return _result(cid, FAIL, reason, f"{label} on {_failures(failed)}")
    return _result(cid, WARN, "ipv4_problem", f"{label} on {_failures(failed)}")


def _absent(facts: HostFacts, scheme: str) -> bool:
    """The site does not offer this scheme at all (nothing listening on any family) but offers the other."""
    probed = [p for p in facts.web if p.scheme == scheme and p.outcome not in _NOT_PROBED]
    other_answers = any(_answered(p) for p in facts.web if p.scheme != scheme)
    return other_answers and all(p.outcome in _NOTHING_LISTENING for p in probed)


# ---------------------------------------------------------------- TLS


def check_tls(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.ipv6, tls.ipv4: certificate trust and handshake per family, compared with the other family."""
    return [_tls_check(facts, Family.V6), _tls_check(facts, Family.V4)]


def _tls_check(facts: HostFacts, family: Family) -> CheckResult:
    """A TLS failure seen on both families is "tls_invalid"; on IPv6 alone it FAILs, on IPv4 alone it WARNs."""
    cid, other = f"tls.{family}", Family.V4 if family == Family.V6 else Family.V6
    mine = _tls_probes(facts, family)
    if not mine:
        return _result(cid, N_A, "not_probed", f"No TLS handshake over {_FAMILY[family]} to judge")
    problems = [p for p in mine if _tls_problem(p)]
    if not problems:
        return _result(cid, PASS, "tls_valid", f"The certificate on {_join(_where(p) for p in mine)} is valid")
    text = "HTTPS on " + _join(f"{_where(p)} {_PHRASES[_tls_problem(p)]}" for p in problems)
    if any(_tls_problem(p) for p in _tls_probes(facts, other)):
        return _result(cid, FAIL, "tls_invalid", f"{text}, and TLS fails over {_FAMILY[other]} too")
    if family == Family.V6:
        return _result(cid, FAIL, "tls_ipv6_only_problem", f"{text}, a problem IPv4 does not have")
    return _result(cid, WARN, "ipv4_problem", f"{text}, a problem IPv6 does not have")


def check_same_cert(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.same_cert: IPv4 and IPv6 serve the same set of leaf certificates."""
    v4, v6 = _cert_probes(facts, Family.V4), _cert_probes(facts, Family.V6)
    if not v4 or not v6:
        return [_result("tls.same_cert", N_A, "not_probed", "Certificates were not seen over both IPv4 and IPv6")]
    if {p.tls.cert.sha256 for p in v4} == {p.tls.cert.sha256 for p in v6}:
        return [_result("tls.same_cert", PASS, "tls_same_cert", "IPv4 and IPv6 serve the same certificate")]
    message = f"The certificate differs between families: over IPv4 {_cert_list(v4)}; over IPv6 {_cert_list(v6)}"
    return [_result("tls.same_cert", WARN, "tls_cert_differs", message)]


def check_expiry(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.expiry: the certificate that expires first still has at least ``expiry_warn_days`` left."""
    probes = _cert_probes(facts, Family.V4) + _cert_probes(facts, Family.V6)
    if not probes:
        return [_result("tls.expiry", N_A, "not_probed", "No certificate to check")]
    first = min(probes, key=lambda p: _parse_time(p.tls.cert.not_after))
    expires = _parse_time(first.tls.cert.not_after)
    days = (expires - ctx.now) // timedelta(days=1)
    where = _join(_where(p) for p in probes if p.tls.cert.sha256 == first.tls.cert.sha256)
    when = f"{expires:%Y-%m-%d}"
    if days >= ctx.expiry_warn_days:
        message = f"The certificate on {where} is valid for {_count(days, 'more day')} (until {when})"
        return [_result("tls.expiry", PASS, "tls_expiry_ok", message)]
    left = f"expires in {_count(days, 'day')}" if days >= 0 else f"expired {_count(-days, 'day')} ago"
    return [_result("tls.expiry", WARN, "tls_expiring", f"The certificate on {where} {left} ({when})")]


def check_protocol(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.protocol: every handshake negotiated TLS 1.2 or newer."""
    probes = [p for p in facts.web if p.tls is not None and p.tls.protocol]
    if not probes:
        return [_result("tls.protocol", N_A, "not_probed", "No TLS handshake completed")]
    old = [p for p in probes if p.tls.protocol in _OLD_PROTOCOLS]
    if not old:
        return [_result("tls.protocol", PASS, "tls_protocol_ok", "Every HTTPS connection used TLS 1.2 or newer")]
    message = "HTTPS on " + _join(f"{_where(p)} negotiated {p.tls.protocol}" for p in old)
    return [_result("tls.protocol", WARN, "tls_old_protocol", message)]


# ---------------------------------------------------------------- parity and redirects


def check_parity(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """parity.<scheme>: the scheme answers on both families, with the same status and page."""
    return [result for scheme in SCHEMES for result in _parity_checks(facts, scheme)]


def _parity_checks(facts: HostFacts, scheme: str) -> list[CheckResult]:
    """Answering on IPv4 but not IPv6 FAILs; answering on both is judged by the recorded comparison."""
    cid, label = f"parity.{scheme}", scheme.upper()
    v4, v6 = _reach(facts, scheme, Family.V4), _reach(facts, scheme, Family.V6)
    if v6 is None:
        return [_not_probed(cid, _probes(facts, scheme, Family.V6), f"{label} over IPv6")]
    if v4 and not v6:
        return [_result(cid, FAIL, f"{scheme}_ipv4_only", f"{label} answers over IPv4 but on no IPv6 address")]
    if v6 and not v4:
        return [_result(cid, INFO, f"{scheme}_ipv6_only", f"{label} answers over IPv6 but not over IPv4")]
    comparisons = [c for c in facts.parity if c.scheme == scheme]
    if not (v4 and v6 and comparisons):
        return [_result(cid, N_A, "not_compared", f"{label} was not compared between IPv4 and IPv6")]
    return [_compare(cid, label, c) for c in comparisons]


def _compare(cid: str, label: str, c: ParityFacts) -> CheckResult:
    """Same final status, and pages at least ``SIMILARITY_THRESHOLD`` alike."""
    if c.v4_status != c.v6_status:
        v4, v6 = f"{c.v4_status} over IPv4 ({c.v4_address})", f"{c.v6_status} over IPv6 ({c.v6_address})"
        message = f"{label} returned status {v4} but {v6}"
        return _result(cid, FAIL, "parity_status_differs", message)
    if c.similarity is None:
        message = f"The {label} pages over IPv4 ({c.v4_address}) and IPv6 ({c.v6_address}) could not be compared"
        return _result(cid, INFO, "parity_not_comparable", message)
    v6 = f"IPv6 ({c.v6_address}, {_size(c.v6_length)})"
    v4 = f"IPv4 ({c.v4_address}, {_size(c.v4_length)})"
    pages = f"the {label} page over {v6} is {_percent(c.similarity)} similar to the one over {v4}"
    if c.similarity < SIMILARITY_THRESHOLD:
        return _result(cid, FAIL, "parity_content_differs", f"A different page: {pages}")
    return _result(cid, PASS, "parity_ok", f"The same page: {pages}")


def check_redirects(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """redirect.ipv6: redirect chains followed over IPv6 stay on IPv6 and end in an answer."""
    answered = [p for p in facts.web if p.family == Family.V6 and _answered(p)]
    if not answered:
        return [_result("redirect.ipv6", N_A, "not_probed", "Nothing answered over IPv6, so no redirect was followed")]
    broken = [p for p in answered if _chain_failed(p)]
    if not broken:
        message = "Redirects followed over IPv6 stay on IPv6 and end in an answer"
        return [_result("redirect.ipv6", PASS, "redirect_ok_ipv6", message)]
    endings = [_redirect_ending(p) for p in broken]
    chains = (f"the {p.scheme.upper()} redirect chain from {_where(p)} {text}" for p, (_, text) in zip(broken, endings))
    message = "Over IPv6, " + _join(chains)
    return [_result("redirect.ipv6", FAIL, endings[0][0], message)]


def _chain_failed(p: WebProbe) -> bool:
    """The redirect chain ended badly after the first answer (not just the first hop's own certificate problem)."""
    ending = p.final_outcome
    return ending not in (None, Outcome.OK) and (ending != p.outcome or len(p.hops) > 1)


def _redirect_ending(p: WebProbe) -> tuple[str, str]:
    """Reason code and sentence end for a failed redirect chain."""
    url = p.final_url or (p.hops[-1].url if p.hops else "the next hop")
    if p.final_outcome in _REDIRECT_ENDINGS:
        reason, text = _REDIRECT_ENDINGS[p.final_outcome]
        return reason, text.format(url=url)
    return "redirect_failed_ipv6", f"fails at {url}, which {_phrase(p.final_outcome, None)}"


# ---------------------------------------------------------------- name servers and mail


def check_name_servers(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """ns.ipv6: at least two of the zone's name servers answer DNS queries over IPv6."""
    zone = facts.zone
    problem = _zone_problem("ns.ipv6", zone, zone.ns_lookup if zone else None)
    if problem:
        return [problem]
    servers = zone.name_servers
    if not servers:
        return [_result("ns.ipv6", N_A, "not_probed", f"No name server of {zone.zone} to probe")]
    answering = [s.name for s in servers if _answers_ipv6(s)]
    if len(answering) >= 2:
        return [_result("ns.ipv6", PASS, "ns_ipv6", f"Name servers {_join(answering)} answer over IPv6")]
    if answering:
        message = f"Only {answering[0]} answers DNS over IPv6 for {zone.zone}; at least two name servers should"
        return [_result("ns.ipv6", WARN, "ns_single_ipv6", message)]
    return [_no_server_answers("ns.ipv6", "ns_no_ipv6", f"No name server of {zone.zone} answers over IPv6", servers)]


def check_mail_servers(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """mx.ipv6: at least one mail server greets over IPv6 (listed, but not counted for the web verdict)."""
    zone = facts.zone
    problem = _zone_problem("mx.ipv6", zone, zone.mx_lookup if zone else None)
    if problem:
        return [problem]
    servers = [m for m in zone.mail_servers if m.name.strip(".")]  # a null MX (".") accepts no mail
    if not servers:
        return [_result("mx.ipv6", N_A, "no_mx", f"{zone.zone} has no mail server (MX)")]
    answering = [s.name for s in servers if _answers_ipv6(s)]
    if answering:
        return [_result("mx.ipv6", PASS, "mx_ipv6", f"Mail server {_join(answering)} answers SMTP over IPv6")]
    headline = f"No mail server of {zone.zone} answers SMTP over IPv6"
    return [_no_server_answers("mx.ipv6", "mx_no_ipv6", headline, servers)]


def check_dnssec(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """zone.dnssec: the zone is signed (DS at the parent, DNSKEY at the apex). Presence, not validation."""
    zone = facts.zone
    sec = zone.dnssec if zone else None
    problem = _zone_problem("zone.dnssec", zone, sec.ds if sec else None)
    if problem:
        return [problem]
    if sec is None:
        return [_result("zone.dnssec", N_A, "zone_not_checked", "DNSSEC was not checked")]
    if _failed(sec.dnskey):
        return [_result("zone.dnssec", UNTESTED, "zone_dns_failed", _lookup_failure(sec.dnskey))]
    if sec.ds.records and sec.dnskey.records:
        return [_result("zone.dnssec", PASS, "dnssec_signed", f"{zone.zone} is signed: DS at the parent, DNSKEY at the apex")]
    missing = " and ".join(n for n, lk in (("DS", sec.ds), ("DNSKEY", sec.dnskey)) if not lk.records)
    return [_result("zone.dnssec", FAIL, "dnssec_unsigned", f"{zone.zone} is not signed: no {missing} records")]


def _zone_problem(cid: str, zone: ZoneFacts | None, lookup: DnsLookup | None) -> CheckResult | None:
    """Why NS/MX cannot be judged: zone not checked, or its apex / record lookup failed."""
    if zone is None:
        return _result(cid, N_A, "zone_not_checked", "The zone's name and mail servers were not checked")
    if zone.outcome != Outcome.OK or zone.zone is None:
        detail = f": {zone.detail}" if zone.detail else ""
        message = f"The enclosing zone could not be found ({zone.outcome}){detail}"
        return _result(cid, UNTESTED, "zone_dns_failed", message)
    if lookup is not None and _failed(lookup):
        return _result(cid, UNTESTED, "zone_dns_failed", _lookup_failure(lookup))
    return None


def _no_server_answers(cid: str, reason: str, headline: str, servers: Servers) -> CheckResult:
    """FAIL when every server is known not to answer over IPv6; UNTESTABLE when some could not be judged."""
    stories = _join(_server_story(s) for s in servers)
    unknown = [why for s in servers if (why := _ipv6_unknown(s))]
    if unknown:
        why = "scanner_no_ipv6" if "scanner_no_ipv6" in unknown else unknown[0]
        return _result(cid, UNTESTED, why, f"{headline}, but not every server could be tested: {stories}")
    return _result(cid, FAIL, reason, f"{headline}: {stories}")


def _answers_ipv6(server: NameServer | MailServer) -> bool:
    return any(p.family == Family.V6 and p.outcome == Outcome.OK for p in server.probes)


def _ipv6_unknown(server: NameServer | MailServer) -> str | None:
    """Why the server's IPv6 could not be judged (untestable probe, DNS failure), or None."""
    if any(p.family == Family.V6 and p.outcome == Outcome.UNTESTABLE for p in server.probes):
        return "scanner_no_ipv6"
    res = server.resolution
    if res.chain_outcome != Outcome.OK or _failed(res.aaaa):
        return "zone_dns_failed"
    return None


def _server_story(server: NameServer | MailServer) -> str:
    """What happened to one server over IPv6, e.g. "ns1.example at 2001:db8::53 timed out"."""
    v6 = [p for p in server.probes if p.family == Family.V6]
    if v6:
        return f"{server.name} " + _join(f"at {p.address} {_phrase(p.outcome, p.detail)}" for p in v6)
    if _failed(server.resolution.aaaa):
        return f"{server.name}: {_lookup_failure(server.resolution.aaaa)}"
    return f"{server.name} has no IPv6 address"


CHECKS: tuple[Check, ...] = (
    check_dns_resolve,
    check_dns_aaaa,
    check_dns_aaaa_global,
    check_dns_a,
    check_web,
    check_tls,
    check_same_cert,
    check_expiry,
    check_protocol,
    check_parity,
    check_redirects,
    check_name_servers,
    check_mail_servers,
    check_dnssec,
)


# ---------------------------------------------------------------- helpers on facts


def _allowed(facts: HostFacts) -> tuple[IPNetwork, ...]:
    return _prefixes(tuple(facts.allowed_special))


@functools.lru_cache(maxsize=64)
def _prefixes(texts: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parsed once per distinct list (every host of a scan carries the same one); a tuple, so no caller can change it."""
    return tuple(parse_prefixes(texts))


def _addresses(res: Resolution, family: Family) -> list[Address]:
    return [a for a in res.addresses if a.family == family]


def _routable(address: Address, allowed: list[IPNetwork]) -> bool:
    """Can it be probed: globally routable, or inside a special prefix the user allowed?"""
    return address.special is None or is_allowed(address.address, allowed)


def _failed(lookup: DnsLookup) -> bool:
    """A DNS failure (anything but an answer or a clean "no such record")."""
    return lookup.outcome not in (Outcome.OK, Outcome.DNS_NODATA)


def _untestable(facts: HostFacts) -> bool:
    """The scanner could not test IPv6: it had none, or no IPv6 probe could be made."""
    v6 = [p.outcome for p in facts.web if p.family == Family.V6]
    return not facts.scanner_ipv6 or (Outcome.UNTESTABLE in v6 and all(o in _NOT_PROBED for o in v6))


def _probes(facts: HostFacts, scheme: str, family: Family) -> list[WebProbe]:
    return [p for p in facts.web if p.scheme == scheme and p.family == family]


def _answered(p: WebProbe) -> bool:
    """An HTTP response came back (a certificate problem still means the server answered)."""
    return p.outcome in _ANSWERED


def _reach(facts: HostFacts, scheme: str, family: Family) -> bool | None:
    """Did any address of the family answer the scheme? None when none was probed."""
    probed = [p for p in _probes(facts, scheme, family) if p.outcome not in _NOT_PROBED]
    return any(_answered(p) for p in probed) if probed else None


def _tls_problem(p: WebProbe) -> Outcome | None:
    """The TLS failure of the first handshake of an HTTPS probe, if any."""
    seen = (p.tls.outcome if p.tls is not None else None, p.outcome)
    return next((o for o in seen if o in TLS_FAILURES), None)


def _tls_probes(facts: HostFacts, family: Family) -> list[WebProbe]:
    """HTTPS probes of the family that got as far as a TLS handshake."""
    return [p for p in _probes(facts, "https", family) if p.tls is not None or _tls_problem(p)]


def _cert_probes(facts: HostFacts, family: Family) -> list[WebProbe]:
    return [p for p in _probes(facts, "https", family) if p.tls is not None and p.tls.cert is not None]


# ---------------------------------------------------------------- helpers on words


def _result(cid: str, status: CheckStatus, reason: str, message: str) -> CheckResult:
    return CheckResult(id=cid, status=status, reason=reason, message=message)


def _not_probed(cid: str, probes: list[WebProbe], what: str) -> CheckResult:
    """A check with nothing probed: untestable (scanner without IPv6), skipped (non-global) or absent."""
    if any(p.outcome == Outcome.UNTESTABLE for p in probes):
        message = f"{what} could not be tested: the scanner has no IPv6 connectivity"
        return _result(cid, UNTESTED, "scanner_no_ipv6", message)
    if probes:
        message = f"{what} was not probed: {_join(p.address for p in probes)} is not globally routable"
        return _result(cid, N_A, "skipped_non_global", message)
    return _result(cid, N_A, "not_probed", f"{what} was not probed: no address")


def _where(p: WebProbe) -> str:
    return f"{p.address} port {p.port}"


def _phrase(outcome: Outcome | None, detail: str | None) -> str:
    text = _PHRASES.get(outcome, f"failed ({outcome})")
    return f"{text} ({detail})" if outcome == Outcome.ERROR and detail else text


def _failures(probes: list[WebProbe]) -> str:
    """ "2001:db8::10 port 443 refused the connection and 2001:db8::11 port 443 timed out" """
    return _join(f"{_where(p)} {_phrase(p.outcome, p.detail)}" for p in probes)


def _cert_list(probes: list[WebProbe]) -> str:
    return _join(f"{_where(p)} serves sha256 {p.tls.cert.sha256[:16]}…" for p in probes)


def _dns_kind(outcome: Outcome) -> Outcome:
    return outcome if outcome in DNS_FAILURES else Outcome.DNS_ERROR


def _dns_phrase(outcome: Outcome) -> str:
    return _DNS_PHRASES[_dns_kind(outcome)]


def _dns_reason(outcome: Outcome, rdtype: str | None = None) -> str:
    """Reason code of a DNS failure: NXDOMAIN and CNAME trouble concern the name; others the record type."""
    kind = _dns_kind(outcome)
    if kind in (Outcome.DNS_NXDOMAIN, Outcome.CNAME_LOOP, Outcome.CNAME_TOO_LONG) or rdtype is None:
        return str(kind)
    return f"{kind}_{rdtype.lower()}"


def _lookup_reason(lookup: DnsLookup) -> str:
    return _dns_reason(lookup.outcome, lookup.rdtype)


def _lookup_failure(lookup: DnsLookup) -> str:
    return f"The {lookup.rdtype} lookup for {lookup.name} failed: {_dns_phrase(lookup.outcome)}"


def _join(items: Iterable[str]) -> str:
    """ "a", "a and b", "a, b and c" """
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _size(length: int | None) -> str:
    return "unknown size" if length is None else f"{length:,} bytes"


def _percent(fraction: float) -> str:
    """Rounded down, so a page below the threshold never shows as the threshold."""
    return f"{int(round(fraction * 100, 6))}%"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _parse_time(text: str) -> datetime:
    """ISO 8601 (``Z`` or an offset; naive means UTC)."""
    return _aware(datetime.fromisoformat(text))


# ---------------------------------------------------------------- reason texts


def _reason_texts() -> dict[str, str]:
    """One line of English per reason code, for renderers."""
    texts = {
        "scanner_error": "The scanner itself failed on this host (a bug); nothing was judged",
        "dns_ok": "The name resolved to at least one address",
        "no_addresses": "The name exists but has neither A nor AAAA records",
        "a_present": "The name has IPv4 (A) addresses",
        "no_a": "The name has no IPv4 (A) address (fine for IPv6 readiness)",
        "aaaa_present": "The name has IPv6 (AAAA) addresses",
        "no_aaaa": "The name has no IPv6 (AAAA) address",
        "aaaa_routable": "Every IPv6 address is globally routable (or in a prefix allowed for this scan)",
        "aaaa_not_global": "An AAAA record is a non-global address (ULA, link-local, loopback, ...) nobody can reach",
        "not_probed": "Nothing to probe or judge for this check",
        "not_compared": "The page was not compared between IPv4 and IPv6",
        "skipped_non_global": "Not probed: the address is not globally routable",
        "scanner_no_ipv6": "Could not be tested: the scanner had no IPv6 connectivity",
        "ipv4_problem": "A problem over IPv4 only (noted; this scanner judges IPv6 readiness)",
        "tls_valid": "The certificate is trusted, valid and matches the host name",
        "tls_invalid": "The certificate or TLS handshake fails over both IPv4 and IPv6 (broken for everyone)",
        "tls_ipv6_only_problem": "The certificate or TLS handshake fails over IPv6 but not over IPv4",
        "tls_same_cert": "IPv4 and IPv6 serve the same certificate",
        "tls_cert_differs": "IPv4 and IPv6 serve different certificates",
        "tls_expiry_ok": "The certificate is not close to expiry",
        "tls_expiring": "A certificate expires soon (or has expired)",
        "tls_protocol_ok": "Every HTTPS connection used TLS 1.2 or newer",
        "tls_old_protocol": "An HTTPS connection used a protocol older than TLS 1.2",
        "parity_ok": "The same page is served over IPv4 and IPv6",
        "parity_status_differs": "IPv4 and IPv6 return different HTTP status codes",
        "parity_content_differs": "IPv6 serves a different page than IPv4",
        "parity_not_comparable": "The pages over IPv4 and IPv6 could not be compared",
        "redirect_ok_ipv6": "Redirects followed over IPv6 stay on IPv6 and end in an answer",
        "redirect_failed_ipv6": "A redirect chain followed over IPv6 fails at a later hop",
        "ns_ipv6": "At least two name servers answer DNS queries over IPv6",
        "dnssec_signed": "The zone is signed with DNSSEC (DS and DNSKEY present)",
        "dnssec_unsigned": "The zone is not signed with DNSSEC",
        "ns_single_ipv6": "Only one name server answers over IPv6 (at least two are required)",
        "ns_no_ipv6": "No name server of the zone answers DNS queries over IPv6",
        "mx_ipv6": "A mail server answers SMTP over IPv6",
        "mx_no_ipv6": "No mail server of the zone answers SMTP over IPv6",
        "no_mx": "The zone has no mail server (MX)",
        "zone_not_checked": "The zone's name and mail servers were not checked",
        "zone_dns_failed": "A DNS lookup for the zone or its servers failed, so this could not be judged",
    }
    for reason, text in _REDIRECT_ENDINGS.values():
        texts[reason] = "A redirect chain followed over IPv6 " + text.format(url="a URL")
    for outcome in DNS_FAILURES:
        phrase = _DNS_PHRASES[outcome]
        texts[_dns_reason(outcome)] = f"Resolving the name failed: {phrase}"
        for rdtype in ("A", "AAAA"):
            texts.setdefault(_dns_reason(outcome, rdtype), f"The {rdtype} lookup failed: {phrase}")
    for scheme in SCHEMES:
        label = scheme.upper()
        for family in Family:
            texts[f"{scheme}_ok_{family}"] = f"{label} answers on every {_FAMILY[family]} address"
        for outcome, kind in _KINDS.items():
            texts[f"{scheme}_{kind}_ipv6"] = f"{label} over IPv6 {_PHRASES[outcome]} on at least one address"
        texts[f"{scheme}_absent"] = f"{label} is not offered over either family"
        texts[f"{scheme}_ipv4_only"] = f"{label} answers over IPv4 but on no IPv6 address"
        texts[f"{scheme}_ipv6_only"] = f"{label} answers over IPv6 but not over IPv4"
    return texts


REASON_TEXT: dict[str, str] = _reason_texts()
