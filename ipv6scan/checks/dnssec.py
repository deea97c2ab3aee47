"""zone.dnssec: the zone is signed (DS at the parent, DNSKEY at the apex). Presence, not validation."""

from __future__ import annotations

from ..model import CheckResult, HostFacts
from ._facts import failed, lookup_failure
from ._registry import FAIL, N_A, PASS, UNTESTED, CheckContext, check, result, say
from ._zone import zone_problem


@check(ids=("zone.dnssec",), area="zone", order=140, counts=False,
       reasons=("dnssec_signed", "dnssec_unsigned", "zone_not_checked", "zone_dns_failed"))
def check_dnssec(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """zone.dnssec: the zone is signed (DS at the parent, DNSKEY at the apex). Presence, not validation."""
    zone = facts.zone
    sec = zone.dnssec if zone else None
    problem = zone_problem("zone.dnssec", zone, sec.ds if sec else None)
    if problem:
        return [problem]
    if sec is None:
        return [result("zone.dnssec", N_A, "zone_not_checked", say("dnssec_not_checked"))]
    if failed(sec.dnskey):
        return [result("zone.dnssec", UNTESTED, "zone_dns_failed", lookup_failure(sec.dnskey))]
    if sec.ds.records and sec.dnskey.records:
        return [result("zone.dnssec", PASS, "dnssec_signed", say("signed", zone=zone.zone))]
    missing = [n for n, lk in (("DS", sec.ds), ("DNSKEY", sec.dnskey)) if not lk.records]
    return [result("zone.dnssec", FAIL, "dnssec_unsigned", say("unsigned", zone=zone.zone, missing=missing))]
