"""The zone's servers over IPv6: name servers (ns.ipv6) and mail servers (mx.ipv6)."""

from __future__ import annotations

from ..model import CheckResult, HostFacts
from ._facts import answers_ipv6
from ._registry import N_A, PASS, WARN, CheckContext, check, result, say
from ._zone import mail_servers, no_server_answers, zone_problem

_ZONE = ("zone_not_checked", "zone_dns_failed", "scanner_no_ipv6")


@check(ids=("ns.ipv6",), area="ns", order=120, reasons=("ns_ipv6", "ns_single_ipv6", "ns_no_ipv6", "not_probed", *_ZONE))
def check_name_servers(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """ns.ipv6: at least two of the zone's name servers answer DNS queries over IPv6."""
    zone = facts.zone
    problem = zone_problem("ns.ipv6", zone, zone.ns_lookup if zone else None)
    if problem:
        return [problem]
    servers = zone.name_servers
    if not servers:
        return [result("ns.ipv6", N_A, "not_probed", say("no_name_server", zone=zone.zone))]
    ok = [s.name for s in servers if answers_ipv6(s)]
    if len(ok) >= 2:
        return [result("ns.ipv6", PASS, "ns_ipv6", say("ns_answer", names=ok))]
    if ok:
        return [result("ns.ipv6", WARN, "ns_single_ipv6", say("ns_single", name=ok[0], zone=zone.zone))]
    return [no_server_answers("ns.ipv6", "ns_no_ipv6", say("no_ns_answers", zone=zone.zone), servers)]


@check(ids=("mx.ipv6",), area="mx", order=130, counts=False,
       reasons=("mx_ipv6", "mx_no_ipv6", "no_mx", *_ZONE))
def check_mail_servers(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """mx.ipv6: at least one mail server greets over IPv6 (listed, but not counted for the web verdict)."""
    servers = mail_servers("mx.ipv6", facts)
    if isinstance(servers, CheckResult):
        return [servers]
    zone = facts.zone
    assert zone is not None
    ok = [s.name for s in servers if answers_ipv6(s)]
    if ok:
        return [result("mx.ipv6", PASS, "mx_ipv6", say("mx_answers", names=ok))]
    return [no_server_answers("mx.ipv6", "mx_no_ipv6", say("no_mx_answers", zone=zone.zone), servers)]
