"""mx.ptr6: each IPv6 address of the zone's mail servers has a PTR whose name resolves back to it.

A mail server usually sends from where it receives. The large mail providers refuse mail from an IPv6
address without forward-confirmed reverse DNS (a PTR, and that name's AAAA holding the address), so a
province's mail system moved to IPv6 without it loses its outgoing mail there. A failed lookup is
unknown, never "no PTR". Not counted for the web verdict; the policy's mail criteria may name it.
"""

from __future__ import annotations

from ..model import DNS_UNANSWERED, CheckResult, HostFacts, ReverseName
from ._facts import lookup_failure
from ._registry import FAIL, N_A, PASS, UNTESTED, CheckContext, check, result, say
from ._zone import mail_servers

def _unknown(r: ReverseName) -> bool:
    """The PTR, or a forward lookup that could have confirmed it, failed (and nothing confirmed it)."""
    return r.ptr.outcome in DNS_UNANSWERED or (not r.confirmed and any(f.outcome in DNS_UNANSWERED for f in r.forward))


@check(ids=("mx.ptr6",), area="mx", order=131, counts=False,
       reasons=("ptr6_ok", "ptr6_missing", "ptr6_dns_failed", "ptr6_no_ipv6", "ptr6_not_checked", "no_mx",
                "zone_not_checked", "zone_dns_failed"))
def check_mail_reverse(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """mx.ptr6: every IPv6 address of the mail servers has forward-confirmed reverse DNS."""
    servers = mail_servers("mx.ptr6", facts)
    if isinstance(servers, CheckResult):
        return [servers]
    zone = facts.zone
    assert zone is not None
    if any(m.reverse is None for m in servers):
        return [result("mx.ptr6", N_A, "ptr6_not_checked", say("ptr6_not_checked"))]
    found = [(m.name, r) for m in servers for r in m.reverse or []]
    if not found:
        return [result("mx.ptr6", N_A, "ptr6_no_ipv6", say("ptr6_no_ipv6", zone=zone.zone))]
    bad = []
    for server, r in found:
        if r.confirmed or _unknown(r):
            continue
        if not r.ptr.records:  # NXDOMAIN or NODATA (a failed lookup is unknown, above)
            bad.append(say("ptr6_missing_at", address=r.address, server=server))
        else:
            bad.append(say("ptr6_unconfirmed_at", address=r.address, server=server, names=r.ptr.records))
    if bad:
        return [result("mx.ptr6", FAIL, "ptr6_missing", say("ptr6_bad", items=bad))]
    unknown = [say("ptr6_failed_at", address=r.address, server=server,
                   failure=lookup_failure(r.ptr if r.ptr.outcome in DNS_UNANSWERED else
                                          next(f for f in r.forward if f.outcome in DNS_UNANSWERED)))
               for server, r in found if not r.confirmed]
    if unknown:
        return [result("mx.ptr6", UNTESTED, "ptr6_dns_failed", say("ptr6_unknown", items=unknown))]
    return [result("mx.ptr6", PASS, "ptr6_ok",
                   say("ptr6_ok", items=[say("ptr6_pair", address=r.address, name=r.confirmed[0]) for _, r in found]))]
