"""mx.spf6: mail the mail servers send over IPv6 passes the zone's SPF wherever mail over IPv4 does.

A mail server usually sends from the addresses it receives on. An SPF record written before IPv6 lists
``ip4:`` only: once the server sends over IPv6, receivers see an address SPF does not authorise and
refuse the mail or file it as spam, while over IPv4 it passes. Judged by comparing the families on the
same record (``SpfFacts``): when no IPv4 address of the mail servers passes either, the zone's mail
leaves through other relays, which this scan does not see, and nothing is said about IPv6. A lookup that
failed on the way is unknown. Not counted for the web verdict.
"""

from __future__ import annotations

from ..model import CheckResult, Family, HostFacts, SpfCheck, SpfResult
from ._registry import FAIL, INFO, N_A, PASS, UNTESTED, WARN, CheckContext, check, result, say
from ._zone import mail_servers


def _why(c: SpfCheck) -> dict:
    """ "more than 10 DNS lookups (10)"; "no answer to TXT x.example" """
    return say(f"spferr.{c.error or 'no_answer'}", at=c.error_at or "")


def _at(c: SpfCheck) -> dict:
    """ "2001:db8::25 (mail.gov.example): fail" """
    return say("spf6_at", address=c.address, server=c.server, result=say(f"spf.{c.result}"))


@check(ids=("mx.spf6",), area="mx", order=132, counts=False,
       reasons=("spf6_ok", "spf6_not_covered", "spf6_broken", "spf6_dns_failed", "spf6_none", "spf6_other_senders",
                "spf6_no_ipv6", "spf6_not_checked", "no_mx", "zone_not_checked", "zone_dns_failed"))
def check_mail_spf(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """mx.spf6: the zone's SPF passes the mail servers' IPv6 addresses as it passes their IPv4 ones."""
    servers = mail_servers("mx.spf6", facts)
    if isinstance(servers, CheckResult):
        return [servers]
    zone = facts.zone
    assert zone is not None
    if not any(a.family is Family.V6 for m in servers for a in m.resolution.addresses):
        return [result("mx.spf6", N_A, "spf6_no_ipv6", say("spf6_no_ipv6", zone=zone.zone))]
    spf = zone.spf
    if spf is None:
        return [result("mx.spf6", N_A, "spf6_not_checked", say("spf6_not_checked"))]
    if spf.record is None and not spf.checks:
        return [result("mx.spf6", INFO, "spf6_none", say("spf6_none", zone=spf.domain))]
    v6 = [c for c in spf.checks if c.family is Family.V6]
    v4 = [c for c in spf.checks if c.family is Family.V4]
    if not v6:  # (more addresses than were put to SPF)
        return [result("mx.spf6", N_A, "spf6_not_checked", say("spf6_not_checked"))]
    failed = next((c for c in spf.checks if c.result is SpfResult.TEMPERROR), None)
    if failed is not None:
        return [result("mx.spf6", UNTESTED, "spf6_dns_failed", say("spf6_dns_failed", zone=spf.domain, why=_why(failed)))]
    broken = next((c for c in spf.checks if c.result is SpfResult.PERMERROR), None)
    if broken is not None:
        return [result("mx.spf6", WARN, "spf6_broken", say("spf6_broken", zone=spf.domain, why=_why(broken)))]
    refused = [c for c in v6 if c.result is not SpfResult.PASS]
    if not refused:
        return [result("mx.spf6", PASS, "spf6_ok", say("spf6_ok", zone=spf.domain, items=[_at(c) for c in v6]))]
    passed4 = [c for c in v4 if c.result is SpfResult.PASS]
    if passed4:
        return [result("mx.spf6", FAIL, "spf6_not_covered",
                       say("spf6_not_covered", zone=spf.domain, items=[_at(c) for c in refused],
                           v4=[c.address for c in passed4]))]
    return [result("mx.spf6", INFO, "spf6_other_senders", say("spf6_other_senders", zone=spf.domain))]
