"""zone.dnssec_valid: the zone's chain of trust holds from a trust anchor (Circular 32/2017 art. 15(4)).

zone.dnssec says whether DS and DNSKEY records are there; this one says whether a validating
resolver accepts them (``DnssecFacts.validation``): secure passes; insecure (proven unsigned) fails
with ``dnssec_insecure``; bogus fails with the reason a validator gives (an expired signature, no key
matching the DS, a signature that does not verify, no signed proof of "no DS"), naming the zone where
the chain broke; indeterminate (no trust anchor covers the zone, DNS failed on the way) is untested,
never a failure. Does not count for the verdict: the policy names it.
"""

from __future__ import annotations

from ..model import CheckResult, DnssecStatus, HostFacts
from ._registry import FAIL, N_A, PASS, UNTESTED, CheckContext, check, result, say
from ._zone import zone_problem

CID = "zone.dnssec_valid"
_BOGUS = {
    "signature_expired": "dnssec_signature_expired",
    "signature_not_yet_valid": "dnssec_signature_not_yet_valid",
    "signature_invalid": "dnssec_signature_invalid",
    "no_signature": "dnssec_signature_invalid",
    "no_matching_key": "dnssec_no_matching_key",
    "no_dnskey": "dnssec_no_matching_key",
    "no_ds_proof": "dnssec_no_ds_proof",
}


@check(ids=(CID,), area="zone", order=145, counts=False,
       reasons=("dnssec_secure", "dnssec_insecure", *sorted(set(_BOGUS.values())), "dnssec_bogus",
                "dnssec_indeterminate", "dnssec_no_anchor", "zone_not_checked", "zone_dns_failed"))
def check_dnssec_valid(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """zone.dnssec_valid: secure from a trust anchor down to the zone's keys and SOA."""
    zone = facts.zone
    problem = zone_problem(CID, zone, None)
    if problem:
        return [problem]
    sec = zone.dnssec
    v = sec.validation if sec else None
    if v is None:
        return [result(CID, N_A, "zone_not_checked", say("dnssec_not_validated"))]
    where = v.broken_at or zone.zone
    if v.status is DnssecStatus.SECURE:
        last = v.links[-1] if v.links else None
        return [result(CID, PASS, "dnssec_secure",
                       say("dnssec.secure", zone=zone.zone, anchor=v.anchor, expires=last.expires if last else ""))]
    if v.status is DnssecStatus.INSECURE:
        key = "dnssec.unsupported" if v.reason == "unsupported_algorithm" else "dnssec.insecure"
        return [result(CID, FAIL, "dnssec_insecure", say(key, zone=zone.zone, at=where))]
    if v.status is DnssecStatus.BOGUS:
        link = v.links[-1] if v.links else None
        reason = _BOGUS.get(v.reason, "dnssec_bogus")
        return [result(CID, FAIL, reason, say(f"dnssec.{v.reason}" if v.reason in _BOGUS else "dnssec.bogus",
                                                zone=zone.zone, at=where,
                                                until=link.expired_at if link and link.expired_at else "",
                                                detail=v.detail or ""))]
    if v.reason == "no_anchor":
        return [result(CID, UNTESTED, "dnssec_no_anchor", say("dnssec.no_anchor", zone=zone.zone))]
    return [result(CID, UNTESTED, "dnssec_indeterminate", say("dnssec.indeterminate", zone=zone.zone, at=where,
                                                               detail=v.detail or ""))]
