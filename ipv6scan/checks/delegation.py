"""dns.delegation: each zone on the host's own path is delegated to the name servers it lists itself.

The parent's referral (``ZoneLink.glue.delegated``, asked over IPv6 as a resolver walking down asks it) and the
zone's own NS set (``ZoneLink.servers``) should name the same servers (RFC 1034 4.2.2; Zonemaster's
"consistency" tests). Where they differ, one side was not updated: a server only the parent names (a stale
delegation: a resolver may start there) or one only the zone lists (a server resolvers that trust the
parent never ask). Whether an IPv6-only resolver still gets in is ``dns.chain_ipv6``'s question; this notice
names the drift, so the owner can fix it at the registrar or in the zone.

Read for the zones on the path of the host's own name below a TLD, whose parent answered with a referral; a
zone served by its parent's own servers shows no referral and is not judged. A notice: never counted.
"""

from __future__ import annotations

from ..model import CheckResult, HostFacts, Outcome
from ._registry import N_A, PASS, WARN, CheckContext, check, result, say

CID = "dns.delegation"


@check(ids=(CID,), area="ns", order=126, counts=False, severity=WARN,
       reasons=("delegation_ok", "delegation_mismatch", "delegation_not_seen", "chain_not_checked"))
def check_delegation(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.delegation: the parent delegates each zone on the host's path to the name servers the zone lists."""
    chain = facts.chain
    if chain is None:
        return [result(CID, N_A, "chain_not_checked", say("chain_not_checked"))]
    own = {z for n in chain.names if n.role == "host" for z in n.zones}
    seen = [link for link in chain.zones
            if link.zone in own and link.outcome == Outcome.OK and link.glue is not None
            and link.glue.outcome == Outcome.OK and link.glue.referral and link.glue.delegated is not None]
    if not seen:
        return [result(CID, N_A, "delegation_not_seen", say("delegation.not_seen"))]
    drift = []
    for link in seen:
        listed = {s.name for s in link.servers}
        delegated = set(link.glue.delegated)  # type: ignore[union-attr, arg-type]  (seen: known)
        if listed != delegated:
            drift.append(say("delegation.differs", zone=link.zone, parent=link.glue.parent,  # type: ignore[union-attr]
                             parent_only=sorted(delegated - listed) or [say("delegation.none")],
                             zone_only=sorted(listed - delegated) or [say("delegation.none")]))
    if drift:
        return [result(CID, WARN, "delegation_mismatch", say("delegation.mismatch", items=drift))]
    return [result(CID, PASS, "delegation_ok", say("delegation.ok", zones=[link.zone for link in seen]))]
