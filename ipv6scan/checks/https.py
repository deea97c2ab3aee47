"""web.https_enforced: HTTP sends every visitor to HTTPS, and HTTPS works with a valid chain (Circular 32/2017 art. 20).

On every address of each family: the HTTP answer is a redirect whose first hop goes to an ``https:`` URL
on the same host or a host of the same site (the host's zone, or a name one is a subdomain of); every
HTTPS probe answers with a certificate that verifies. A host that does not offer HTTP at all (the port
refuses on every address) has nothing to redirect: it passes when its HTTPS does. It says nothing about
IPv6, so it does not count for the verdict: the policy scores it (public-service portals).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from ..model import CheckResult, HostFacts, Outcome, WebProbe
from ._facts import answered
from ._registry import FAIL, N_A, PASS, UNTESTED, CheckContext, check, result, say

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NOT_TESTED = (Outcome.UNTESTABLE, Outcome.SKIPPED_NON_GLOBAL)


@check(ids=("web.https_enforced",), area="web", order=96, counts=False,
       reasons=("https_enforced", "https_enforced_no_http", "http_not_redirected", "http_redirect_not_https",
                "http_redirect_other_site", "https_not_valid", "not_probed", "untestable"))
def check_https_enforced(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """web.https_enforced: every HTTP answer redirects to HTTPS on the same site; HTTPS is valid everywhere."""
    http = [p for p in facts.web if p.scheme == "http" and p.outcome not in _NOT_TESTED]
    https = [p for p in facts.web if p.scheme == "https" and p.outcome not in _NOT_TESTED]
    if not http and not https:
        tested = [p for p in facts.web if p.outcome in _NOT_TESTED]
        if tested:
            return [result("web.https_enforced", UNTESTED, "untestable", say("https_enforced_untested"))]
        return [result("web.https_enforced", N_A, "not_probed", say("https_enforced_no_web"))]
    invalid = sorted({p.address for p in https if p.outcome != Outcome.OK})
    if invalid:
        return [result("web.https_enforced", FAIL, "https_not_valid", say("https_not_valid", addresses=invalid))]
    served = [p for p in http if answered(p)]
    plain = sorted({p.address for p in served if p.status not in REDIRECTS or not p.hops or not p.hops[0].location})
    if plain:
        return [result("web.https_enforced", FAIL, "http_not_redirected", say("http_not_redirected", addresses=plain))]
    targets = {p.address: _target(p) for p in served}
    insecure = sorted(a for a, url in targets.items() if urlsplit(url).scheme.lower() != "https")
    if insecure:
        return [result("web.https_enforced", FAIL, "http_redirect_not_https",
                       say("http_redirect_not_https", addresses=insecure, url=targets[insecure[0]]))]
    elsewhere = sorted(a for a, url in targets.items() if not _same_site(urlsplit(url).hostname or "", facts))
    if elsewhere:
        return [result("web.https_enforced", FAIL, "http_redirect_other_site",
                       say("http_redirect_other_site", addresses=elsewhere, url=targets[elsewhere[0]]))]
    if not served:
        return [result("web.https_enforced", PASS, "https_enforced_no_http", say("https_enforced_no_http"))]
    return [result("web.https_enforced", PASS, "https_enforced", say("https_enforced", n=len(served)))]


def _target(p: WebProbe) -> str:
    """Where the HTTP answer's redirect points, as an absolute URL."""
    location = p.hops[0].location or ""
    try:
        return urljoin(p.hops[0].url, location.strip())
    except ValueError:
        return location


def _same_site(host: str, facts: HostFacts) -> bool:
    """The redirect's host is the host, a name under it, or a name in the host's zone (portal.x -> www.portal.x,
    www.x -> x when x is the zone's apex)."""
    host, own = host.lower().rstrip("."), facts.host.lower().rstrip(".")
    if not host:
        return False
    if host == own or host.endswith("." + own):
        return True
    zone = facts.zone.zone if facts.zone is not None and facts.zone.zone else None
    return bool(zone) and (host == zone or host.endswith("." + zone))
