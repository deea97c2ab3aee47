"""DNS checks: the name resolves (dns.resolve), has AAAA (dns.aaaa) that can be reached
(dns.aaaa_global), and A (dns.a, IPv4 side: problems are warnings)."""

from __future__ import annotations

from ..model import CheckResult, Family, HostFacts, Outcome
from ._facts import addresses, dns_reason, dns_reasons, dns_why, failed, lookup_failure, lookup_reason, routable
from ._registry import FAIL, INFO, N_A, PASS, WARN, CheckContext, check, result, say


@check(ids=("dns.resolve",), area="dns", order=10, reasons=("dns_ok", "no_addresses", *dns_reasons()))
def check_dns_resolve(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.resolve: the CNAME chain ends and the name has at least one address."""
    res, name = facts.resolution, facts.display
    if res.chain_outcome != Outcome.OK:
        chain = [res.name, *res.cname_chain] if res.cname_chain else []
        params = say("resolve_failed", name=name, chain=say("chain", names=" → ".join(chain)) if chain else "",
                     why=dns_why(res.chain_outcome))
        return [result("dns.resolve", FAIL, dns_reason(res.chain_outcome), params)]
    if res.addresses:
        params = say("resolved", name=name, addresses=[a.address for a in res.addresses])
        return [result("dns.resolve", PASS, "dns_ok", params)]
    # NXDOMAIN first: the name does not exist, whatever else failed.
    bad = sorted((x for x in (res.aaaa, res.a) if failed(x)), key=lambda x: x.outcome != Outcome.DNS_NXDOMAIN)
    if bad:
        return [result("dns.resolve", FAIL, lookup_reason(bad[0]), lookup_failure(bad[0]))]
    return [result("dns.resolve", FAIL, "no_addresses", say("no_addresses", name=name))]


@check(ids=("dns.aaaa",), area="dns", order=20, reasons=("aaaa_present", "no_aaaa", *dns_reasons()))
def check_dns_aaaa(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.aaaa: the AAAA lookup succeeded with records (a lookup failure is not "no AAAA")."""
    return [_lookup_check(facts, Family.V6)]


@check(ids=("dns.aaaa_global",), area="dns", order=30, reasons=("aaaa_routable", "aaaa_not_global", "not_probed"))
def check_dns_aaaa_global(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.aaaa_global: every AAAA can be reached: globally routable, or in a prefix the user allowed."""
    v6 = addresses(facts.resolution, Family.V6)
    if not v6:
        return [result("dns.aaaa_global", N_A, "not_probed", say("no_ipv6_to_classify", name=facts.display))]
    blocked = [a for a in v6 if not routable(a, ctx.allowed)]
    if not blocked:
        params = say("aaaa_routable", name=facts.display, addresses=[a.address for a in v6])
        return [result("dns.aaaa_global", PASS, "aaaa_routable", params)]
    listed = [say("special_address", address=a.address, category=say(f"special.{a.special or 'reserved'}"))
              for a in blocked]
    who = say("nobody_reaches_ipv6" if len(blocked) == len(v6) else "those_unreachable")
    params = say("aaaa_not_global", name=facts.display, addresses=listed, who=who)
    return [result("dns.aaaa_global", FAIL, "aaaa_not_global", params)]


@check(ids=("dns.a",), area="dns", order=40, severity=WARN, reasons=("a_present", "no_a", *dns_reasons()))
def check_dns_a(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.a: the A lookup (IPv4 side: problems are warnings, an IPv6-only host is fine)."""
    return [_lookup_check(facts, Family.V4)]


def _lookup_check(facts: HostFacts, family: Family) -> CheckResult:
    """The A or AAAA lookup: FAIL for AAAA problems, WARN/INFO for A (we judge IPv6 readiness)."""
    res = facts.resolution
    lookup, rdtype = (res.aaaa, "AAAA") if family == Family.V6 else (res.a, "A")
    cid = f"dns.{rdtype.lower()}"
    if res.chain_outcome != Outcome.OK:
        return result(cid, N_A, dns_reason(res.chain_outcome), say("not_judged_resolve", rdtype=rdtype, name=facts.display))
    found = addresses(res, family)
    if failed(lookup):
        return result(cid, FAIL if family == Family.V6 else WARN, lookup_reason(lookup), lookup_failure(lookup))
    if not found:
        status, reason = (FAIL, "no_aaaa") if family == Family.V6 else (INFO, "no_a")
        return result(cid, status, reason, say("no_record", name=facts.display, rdtype=rdtype))
    params = say("has_records", name=facts.display, rdtype=rdtype, addresses=[a.address for a in found])
    return result(cid, PASS, f"{rdtype.lower()}_present", params)
