"""web.security_headers: the HTTPS answers send the basic security headers (what Internet.nl's "security
options" and the MDN HTTP Observatory look for).

Read from the final response of each HTTPS probe that ended on an HTTPS page (both families); an address
missing one is named. Per header:

* ``X-Content-Type-Options: nosniff`` (browsers do not guess a script out of an upload) and protection
  from framing (``X-Frame-Options: DENY`` or ``SAMEORIGIN``, or CSP ``frame-ancestors``): missing either
  is a warning;
* ``Content-Security-Policy`` and ``Referrer-Policy`` (not ``unsafe-url``): missing only these is said
  (info): a CSP takes work to deploy on a portal with third-party widgets.

A notice, as the peers give it: no Vietnamese rule names these headers. It says nothing about IPv6 (that the
two families send the same ones is parity.headers'), so it does not count for the verdict.
"""

from __future__ import annotations

from ..model import CheckResult, HostFacts, WebProbe
from ._facts import https_pages
from ._registry import INFO, N_A, PASS, WARN, CheckContext, check, result, say

CID = "web.security_headers"
_FRAMING = ("DENY", "SAMEORIGIN")
_WEAK = ("X-Content-Type-Options", "X-Frame-Options")  # missing one of these is a warning; the rest, info


@check(ids=(CID,), area="web", order=98, counts=False, severity=WARN,
       reasons=("security_headers_ok", "security_headers_missing", "security_headers_partial", "not_probed"))
def check_security_headers(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """web.security_headers: every HTTPS answer sends nosniff, framing protection, a CSP and a Referrer-Policy."""
    answered = https_pages(facts)
    if not answered:
        return [result(CID, N_A, "not_probed", say("sechead.no_https"))]
    lacking = {p.address: missing_headers(p) for p in answered}
    gaps = [say("sechead.lacks", where=address, headers=names) for address, names in sorted(lacking.items()) if names]
    if not gaps:
        return [result(CID, PASS, "security_headers_ok", say("sechead.ok", addresses=sorted(lacking)))]
    if any(name in _WEAK for names in lacking.values() for name in names):
        return [result(CID, WARN, "security_headers_missing", say("sechead.missing", items=gaps))]
    return [result(CID, INFO, "security_headers_partial", say("sechead.partial", items=gaps))]


def missing_headers(probe: WebProbe) -> list[str]:
    """The security headers ``probe``'s final answer lacks (or sends with a value that does not protect), in a
    fixed order; X-Frame-Options stands for framing protection (CSP frame-ancestors does it too)."""
    headers = probe.headers
    csp = (headers.get("content-security-policy") or "").lower()  # every policy sent (each one is enforced)
    out = []
    if _first(headers.get("x-content-type-options")).strip().lower() != "nosniff":
        out.append("X-Content-Type-Options")
    framing = _first(headers.get("x-frame-options")).strip().upper() in _FRAMING
    if not framing and not any(d.strip().startswith("frame-ancestors") for d in csp.replace(",", ";").split(";")):
        out.append("X-Frame-Options")
    if not csp.strip():
        out.append("Content-Security-Policy")
    referrer = [v.strip().lower() for v in (headers.get("referrer-policy") or "").split(",") if v.strip()]
    if not referrer or referrer[-1] == "unsafe-url":  # (the last policy a browser knows is the one it uses)
        out.append("Referrer-Policy")
    return out


def _first(value: str | None) -> str:
    """The first of several values a response joined with commas (the header repeated)."""
    return (value or "").split(",")[0]
