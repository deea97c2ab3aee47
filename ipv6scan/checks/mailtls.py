"""mx.starttls6: the mail servers encrypt over IPv6 (STARTTLS) wherever they do over IPv4.

A mail server reached over IPv6 is often another machine or a relay in front of it; when it offers no
STARTTLS, or its handshake fails, mail delivered over IPv6 travels in clear text (or is refused by a
sender that requires TLS, MTA-STS), while over IPv4 it is encrypted. Judged on the probes that greeted
(mx.ipv6 says who did not); nothing is verified in the handshake, as mail servers encrypt
opportunistically. When no address encrypts on either family, that is said, but it is no IPv6 problem.
Not counted for the web verdict.
"""

from __future__ import annotations

from ..model import CheckResult, Family, HostFacts, Outcome, SmtpProbe
from ._facts import did, untested_ipv6
from ._registry import FAIL, N_A, PASS, UNTESTED, WARN, CheckContext, check, result, say
from ._zone import mail_servers


def _encrypts(p: SmtpProbe) -> bool:
    return p.starttls == Outcome.OK


def _at(server: str, p: SmtpProbe) -> dict:
    """ "2001:db8::25 (mail.gov.example) offers no STARTTLS" / "... : the TLS handshake timed out" """
    if p.starttls is None:
        return say("starttls6_not_offered", address=p.address, server=server)
    return say("starttls6_failed", address=p.address, server=server, did=did(p.starttls, p.tls_detail))


@check(ids=("mx.starttls6",), area="mx", order=133, counts=False,
       reasons=("starttls6_ok", "starttls6_missing", "starttls_none", "starttls6_unknown", "starttls6_no_ipv6",
                "starttls6_not_checked", "scanner_no_ipv6", "no_mx", "zone_not_checked", "zone_dns_failed"))
def check_mail_starttls(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """mx.starttls6: every mail server address that greets over IPv6 completes STARTTLS, as over IPv4."""
    servers = mail_servers("mx.starttls6", facts)
    if isinstance(servers, CheckResult):
        return [servers]
    greeted = [(m.name, p) for m in servers for p in m.probes if p.outcome == Outcome.OK]
    v6 = [(name, p) for name, p in greeted if p.family is Family.V6]
    v4 = [(name, p) for name, p in greeted if p.family is Family.V4]
    if not v6:  # (the scanner had no IPv6: nobody knows whether they would greet)
        return [untested_ipv6("mx.starttls6", [p for m in servers for p in m.probes], say("starttls6.what"))
                or result("mx.starttls6", N_A, "starttls6_no_ipv6", say("starttls6_no_ipv6"))]
    if any(p.ehlo is None and p.tls_detail is None for _, p in v6):  # a scan before 1.8: EHLO not asked
        return [result("mx.starttls6", N_A, "starttls6_not_checked", say("starttls6_not_checked"))]
    plain = [(name, p) for name, p in v6 if not _encrypts(p)]
    if not plain:
        return [result("mx.starttls6", PASS, "starttls6_ok",
                       say("starttls6_ok", items=[say("starttls6_pair", address=p.address, server=name,
                                                      protocol=p.tls_protocol or "TLS") for name, p in v6]))]
    if any(p.ehlo is None for _, p in plain):  # EHLO itself failed: what it would offer is unknown
        unknown = [say("starttls6_ehlo_failed", address=p.address, server=name) for name, p in plain if p.ehlo is None]
        return [result("mx.starttls6", UNTESTED, "starttls6_unknown", say("starttls6_unknown", items=unknown))]
    encrypted4 = [p.address for _, p in v4 if _encrypts(p)]
    if encrypted4:
        return [result("mx.starttls6", FAIL, "starttls6_missing",
                       say("starttls6_missing", v4=encrypted4, items=[_at(name, p) for name, p in plain]))]
    if any(_encrypts(p) for _, p in v6):
        return [result("mx.starttls6", WARN, "starttls6_missing",
                       say("starttls6_partly", items=[_at(name, p) for name, p in plain]))]
    return [result("mx.starttls6", WARN, "starttls_none", say("starttls_none"))]
