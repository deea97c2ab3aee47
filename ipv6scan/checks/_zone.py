"""Helpers for the zone checks (name servers, mail servers, DNSSEC)."""

from __future__ import annotations

from ..model import CheckResult, DnsLookup, Family, HostFacts, MailServer, NameServer, Outcome, ZoneFacts
from ._facts import did, failed, ipv6_untested, lookup_failure
from ._registry import FAIL, N_A, UNTESTED, result, say

Servers = list[NameServer] | list[MailServer]


def zone_problem(cid: str, zone: ZoneFacts | None, lookup: DnsLookup | None) -> CheckResult | None:
    """Why NS/MX cannot be judged: zone not checked, or its apex / record lookup failed."""
    if zone is None:
        return result(cid, N_A, "zone_not_checked", say("zone_not_checked"))
    if zone.outcome != Outcome.OK or zone.zone is None:
        detail = say("detail", detail=zone.detail) if zone.detail else ""
        return result(cid, UNTESTED, "zone_dns_failed", say("zone_not_found", outcome=str(zone.outcome), detail=detail))
    if lookup is not None and failed(lookup):
        return result(cid, UNTESTED, "zone_dns_failed", lookup_failure(lookup))
    return None


def mail_servers(cid: str, facts: HostFacts) -> list[MailServer] | CheckResult:
    """The zone's mail servers (a null MX, ".", accepts no mail: left out); or why ``cid`` cannot judge them
    (no zone facts, a failed lookup, no MX)."""
    zone = facts.zone
    problem = zone_problem(cid, zone, zone.mx_lookup if zone else None)
    if problem:
        return problem
    assert zone is not None
    servers = [m for m in zone.mail_servers if m.name.strip(".")]
    return servers or result(cid, N_A, "no_mx", say("no_mx", zone=zone.zone))


def no_server_answers(cid: str, reason: str, headline: dict, servers: Servers) -> CheckResult:
    """FAIL when every server is known not to answer over IPv6; UNTESTABLE when some could not be judged."""
    stories = [_story(s) for s in servers]
    unknown = [why for s in servers if (why := _ipv6_unknown(s))]
    if unknown:
        why = "scanner_no_ipv6" if "scanner_no_ipv6" in unknown else unknown[0]
        return result(cid, UNTESTED, why, say("servers_untested", headline=headline, stories=stories))
    return result(cid, FAIL, reason, say("servers_fail", headline=headline, stories=stories))


def _ipv6_unknown(server: NameServer | MailServer) -> str | None:
    """Why the server's IPv6 could not be judged (untestable probe, DNS failure), or None."""
    if ipv6_untested(server.probes):
        return "scanner_no_ipv6"
    res = server.resolution
    if res.chain_outcome != Outcome.OK or failed(res.aaaa):
        return "zone_dns_failed"
    return None


def _story(server: NameServer | MailServer) -> dict:
    """What happened to one server over IPv6, e.g. "ns1.example at 2001:db8::53 timed out"."""
    v6 = [p for p in server.probes if p.family == Family.V6]
    if v6:
        at = [say("at_address", address=p.address, did=did(p.outcome, p.detail)) for p in v6]
        return say("server_at", name=server.name, at=at)
    if failed(server.resolution.aaaa):
        return say("server_lookup_failed", name=server.name, failure=lookup_failure(server.resolution.aaaa))
    return say("server_no_ipv6", name=server.name)


