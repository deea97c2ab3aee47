"""mx.cert6: the certificate a mail server shows over IPv6 (after STARTTLS) holds up wherever IPv4's does.

A sender that verifies (MTA-STS in enforce mode, as the large providers honour it) delivers only to a
mail server whose certificate names it, is in date and chains to a trusted root. An IPv6 address is often
another machine or a relay, with a certificate of its own: when that one fails where IPv4's holds, mail
sent over IPv6 is refused by such senders (or falls back to IPv4 while there is one).

Judged from what each STARTTLS handshake served (``SmtpProbe.tls``, recorded as served: the handshake
verifies nothing), as tls.chain, tls.name and tls.expiry judge the web's: the chain's last issuer in the
trust store, the leaf's names (RFC 6125) against the mail server's name, the dates against the judging
time. A failure on both families is said (a warning) but is no IPv6 problem. Not counted for the verdict.
"""

from __future__ import annotations

from datetime import datetime

from ..model import CheckResult, Family, HostFacts, Outcome, SmtpProbe
from ._facts import parse_time, untested_ipv6
from ._registry import FAIL, N_A, PASS, WARN, CheckContext, check, result, say
from ._zone import mail_servers

CID = "mx.cert6"


def problems(p: SmtpProbe, now: datetime) -> list[dict] | None:
    """What keeps the certificate ``p`` was shown from holding up, as fragments (empty: it holds up); None: no
    certificate recorded (no STARTTLS, or a scan before 1.9)."""
    t = p.tls
    if p.starttls != Outcome.OK or t is None or t.cert is None:
        return None
    found = []
    if parse_time(t.cert.not_after) < now:
        found.append(say("cert6.expired", until=parse_time(t.cert.not_after).date().isoformat()))
    elif parse_time(t.cert.not_before) > now:
        found.append(say("cert6.not_yet", since=parse_time(t.cert.not_before).date().isoformat()))
    if t.name_matches is False:
        found.append(say("cert6.wrong_name"))
    if t.issuer_in_store is False:
        last = t.intermediates[-1] if t.intermediates else t.cert
        found.append(say("cert6.untrusted", issuer=last.issuer))
    return found


@check(ids=(CID,), area="mx", order=134, counts=False,
       reasons=("cert6_ok", "cert6_worse", "cert6_invalid", "cert6_none", "scanner_no_ipv6", "no_mx",
                "zone_not_checked", "zone_dns_failed"))
def check_mail_cert(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """mx.cert6: every mail server address that encrypts over IPv6 shows a certificate that holds up, as IPv4's."""
    servers = mail_servers(CID, facts)
    if isinstance(servers, CheckResult):
        return [servers]
    shown = [(m.name, p, found) for m in servers for p in m.probes if (found := problems(p, ctx.now)) is not None]
    v6 = [(name, p, found) for name, p, found in shown if p.family is Family.V6]
    if not v6:  # (the scanner had no IPv6: nothing was shown over it)
        return [untested_ipv6(CID, [p for m in servers for p in m.probes], say("cert6.what"))
                or result(CID, N_A, "cert6_none", say("cert6_none"))]
    bad = [say("cert6_at", address=p.address, server=name, problems=found) for name, p, found in v6 if found]
    if not bad:
        return [result(CID, PASS, "cert6_ok", say("cert6_ok", items=[say("cert6_pair", address=p.address, server=name)
                                                                     for name, p, _ in v6]))]
    good4 = [p.address for name, p, found in shown if p.family is Family.V4 and not found]
    if good4:
        return [result(CID, FAIL, "cert6_worse", say("cert6_worse", v4=good4, items=bad))]
    return [result(CID, WARN, "cert6_invalid", say("cert6_invalid", items=bad))]
