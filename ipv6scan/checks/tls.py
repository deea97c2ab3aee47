"""TLS checks: trust and handshake per family (tls.ipv6, tls.ipv4), the same certificate on
both (tls.same_cert), expiry (tls.expiry) and the negotiated protocol (tls.protocol)."""

from __future__ import annotations

from datetime import timedelta

from ..model import CheckResult, Family, HostFacts, WebProbe
from ._facts import cert_probes, did, other, parse_time, tls_probes, tls_problem, untested_ipv6, where
from ._registry import FAIL, N_A, PASS, WARN, CheckContext, check, result, say

_OLD_PROTOCOLS = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.0", "TLSv1.1"})


@check(ids=("tls.ipv6", "tls.ipv4"), area="tls", order=60,
       reasons=("tls_valid", "tls_invalid", "tls_ipv6_only_problem", "ipv4_problem", "scanner_no_ipv6", "not_probed"))
def check_tls(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.ipv6, tls.ipv4: certificate trust and handshake per family, compared with the other family."""
    return [_tls_check(facts, Family.V6), _tls_check(facts, Family.V4)]


def _tls_check(facts: HostFacts, family: Family) -> CheckResult:
    """A TLS failure seen on both families is "tls_invalid"; on IPv6 alone it FAILs, on IPv4 alone it WARNs."""
    cid = f"tls.{family}"
    mine = tls_probes(facts, family)
    if not mine:
        untested = untested_ipv6(cid, facts.web, say("tls_over", family=family.value)) if family is Family.V6 else None
        return untested or result(cid, N_A, "not_probed", say("no_tls_over", family=family.value))
    problems = [p for p in mine if tls_problem(p)]
    if not problems:
        return result(cid, PASS, "tls_valid", say("cert_valid_on", where=[where(p) for p in mine]))
    failures = [say("failure", where=where(p), did=did(tls_problem(p))) for p in problems]
    if any(tls_problem(p) for p in tls_probes(facts, other(family))):
        params = say("tls_fails_both", failures=failures, other=other(family).value)
        return result(cid, FAIL, "tls_invalid", params)
    params = say("tls_fails_here", failures=failures, other=other(family).value)
    if family == Family.V6:
        return result(cid, FAIL, "tls_ipv6_only_problem", params)
    return result(cid, WARN, "ipv4_problem", params)


@check(ids=("tls.same_cert",), area="tls", order=70, severity=WARN,
       reasons=("tls_same_cert", "tls_cert_differs", "scanner_no_ipv6", "not_probed"))
def check_same_cert(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.same_cert: IPv4 and IPv6 serve the same set of leaf certificates."""
    v4, v6 = cert_probes(facts, Family.V4), cert_probes(facts, Family.V6)
    if not v4 or not v6:
        return [untested_ipv6("tls.same_cert", facts.web, say("what.same_cert"))
                or result("tls.same_cert", N_A, "not_probed", say("certs_not_both"))]
    if {p.tls.cert.sha256 for p in v4} == {p.tls.cert.sha256 for p in v6}:
        return [result("tls.same_cert", PASS, "tls_same_cert", say("same_cert"))]
    return [result("tls.same_cert", WARN, "tls_cert_differs", say("cert_differs", v4=_certs(v4), v6=_certs(v6)))]


def _certs(probes: list[WebProbe]) -> list[dict]:
    return [say("serves_cert", where=where(p), sha256=p.tls.cert.sha256) for p in probes]


@check(ids=("tls.expiry",), area="tls", order=80, severity=WARN, reasons=("tls_expiry_ok", "tls_expiring", "not_probed"))
def check_expiry(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.expiry: the certificate that expires first still has at least ``expiry_warn_days`` left."""
    probes = cert_probes(facts, Family.V4) + cert_probes(facts, Family.V6)
    if not probes:
        return [result("tls.expiry", N_A, "not_probed", say("no_certificate"))]
    first = min(probes, key=lambda p: parse_time(p.tls.cert.not_after))
    expires = parse_time(first.tls.cert.not_after)
    days = (expires - ctx.now) // timedelta(days=1)
    places = [where(p) for p in probes if p.tls.cert.sha256 == first.tls.cert.sha256]
    until = expires.date().isoformat()
    if days >= ctx.expiry_warn_days:
        return [result("tls.expiry", PASS, "tls_expiry_ok", say("cert_valid_for", where=places, days=days, until=until))]
    left = say("expires_in", days=days) if days >= 0 else say("expired_ago", days=-days)
    return [result("tls.expiry", WARN, "tls_expiring", say("cert_expiring", where=places, left=left, until=until))]


@check(ids=("tls.protocol",), area="tls", order=90, severity=WARN,
       reasons=("tls_protocol_ok", "tls_old_protocol", "not_probed"))
def check_protocol(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """tls.protocol: every handshake negotiated TLS 1.2 or newer."""
    probes = [p for p in facts.web if p.tls is not None and p.tls.protocol]
    if not probes:
        return [result("tls.protocol", N_A, "not_probed", say("no_handshake"))]
    old = [p for p in probes if p.tls.protocol in _OLD_PROTOCOLS]
    if not old:
        return [result("tls.protocol", PASS, "tls_protocol_ok", say("protocol_ok"))]
    params = say("old_protocol", negotiated=[say("negotiated", where=where(p), protocol=p.tls.protocol) for p in old])
    return [result("tls.protocol", WARN, "tls_old_protocol", params)]
