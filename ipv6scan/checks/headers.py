"""parity.headers: what users meet over HTTPS is the same over IPv4 and IPv6 (TLS versions, HSTS, security headers).

Read from the final response of each HTTPS probe that ended on an HTTPS page, per family: the TLS
version of the first hop, the versions the address accepted when asked each alone (``tls.versions``), and Strict-Transport-Security, Content-Security-Policy, X-Content-Type-Options,
X-Frame-Options and Referrer-Policy (absent is a value too). Per-request noise is removed first (CSP
nonces). A difference is a warning naming both sides: a site hardened over one family only. The
certificate is compared by tls.same_cert. It says nothing about IPv6 reachability, so it does not count
for the verdict.
"""

from __future__ import annotations

import re

from ..model import CheckResult, Family, HostFacts, WebProbe
from ._facts import https_pages, untested_ipv6
from ._registry import N_A, PASS, WARN, CheckContext, check, result, say

SECURITY_HEADERS = ("strict-transport-security", "content-security-policy", "x-content-type-options",
                    "x-frame-options", "referrer-policy")
_NONCE = re.compile(r"'nonce-[^']*'", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _value(probe: WebProbe, header: str) -> str:
    raw = probe.headers.get(header)
    if raw is None:
        return ""
    return _SPACE.sub(" ", _NONCE.sub("'nonce'", raw)).strip().lower()


@check(ids=("parity.headers",), area="parity", order=106, counts=False, severity=WARN,
       reasons=("headers_same", "headers_differ", "scanner_no_ipv6", "not_probed"))
def check_header_parity(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """parity.headers: TLS versions, HSTS and the security headers are the same over IPv4 and IPv6."""
    v4, v6 = https_pages(facts, Family.V4), https_pages(facts, Family.V6)
    if not v4 or not v6:
        return [untested_ipv6("parity.headers", facts.web, say("what.headers"))
                or result("parity.headers", N_A, "not_probed", say("headers_one_family"))]
    items = []
    protocols = [sorted({p.tls.protocol for p in side if p.tls is not None and p.tls.protocol}) for side in (v4, v6)]
    if protocols[0] != protocols[1]:
        items.append(say("header_differs", header="TLS", v4=protocols[0] or [say("header_absent")],
                         v6=protocols[1] or [say("header_absent")]))
    # the versions each address accepted when asked one by one (tls.versions; empty when not asked)
    accepted = [sorted({v.version for p in side if p.tls is not None for v in p.tls.versions if v.accepted})
                for side in (v4, v6)]
    if all(accepted) and accepted[0] != accepted[1]:
        items.append(say("header_differs", header=say("tls_versions_accepted"), v4=accepted[0], v6=accepted[1]))
    for header in SECURITY_HEADERS:
        values = [sorted({_value(p, header) for p in side}) for side in (v4, v6)]
        if values[0] != values[1]:
            shown = [[v if v else say("header_absent") for v in side] for side in values]
            items.append(say("header_differs", header=_NAMES[header], v4=shown[0], v6=shown[1]))
    if items:
        return [result("parity.headers", WARN, "headers_differ", say("headers_differ", items=items))]
    return [result("parity.headers", PASS, "headers_same", say("headers_same", n=len(SECURITY_HEADERS)))]


_NAMES = {"strict-transport-security": "Strict-Transport-Security", "content-security-policy": "Content-Security-Policy",
          "x-content-type-options": "X-Content-Type-Options", "x-frame-options": "X-Frame-Options",
          "referrer-policy": "Referrer-Policy"}
