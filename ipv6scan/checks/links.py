"""web.links_ipv6: the government sites the page links to answer over IPv6.

A citizen on an IPv6-only network starts at the province's portal and clicks on: the public-service portal,
the departments' sites, the one-stop system. Those a click away are part of the service as the citizen meets it
(China's national metrics of government sites count the IPv6 support of a portal's links). The probe reads the
page's links (``<a href>``, ``<area href>``) to sites under the link domains (``gov.vn`` by default) or under
the page's own site, and probes each one's origin over IPv6 as a dependency is (AAAA, then one request to its
first IPv6 address, redirects to other sites followed): ``PageFacts.links``, for hosts listed as portal or
dichvucong unless ``--links`` asks it of all or none.

A warning, never counted for the verdict: a portal does not run the sites it links to. The shipped policy
recommends it in the IPv6-only phase. Each site reads as it does in ``deps.ipv6`` (:func:`._service.dep_state`).
"""

from __future__ import annotations

from ..model import CheckResult, Dependency, HostFacts
from ._facts import did
from ._registry import N_A, PASS, UNTESTED, WARN, CheckContext, check, result, say
from ._service import BREAKS, DepState, dep_path, dep_state, landing, page_not_looked

CID = "web.links_ipv6"


def _site(link: Dependency, state: DepState) -> dict:
    """ "dichvucong.example.gov.vn («Dịch vụ công») no AAAA" """
    probe = landing(link)
    why = did(probe.outcome, probe.detail) if state is DepState.BROKEN and probe else say(f"dep.{state}")
    if link.text:
        return say("link_problem_named", host=dep_path(link), text=link.text, why=why)
    return say("link_problem", host=dep_path(link), why=why)


@check(ids=(CID,), area="deps", order=142, counts=False, severity=WARN,
       reasons=("links_ipv6", "links_none", "links_not_ipv6", "links_dns_failed", "links_untestable",
                "links_not_asked", "deps_not_checked", "deps_no_page", "deps_budget"))
def check_links(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """web.links_ipv6: every government site the page links to (a click away) answers over IPv6."""
    skipped = page_not_looked(CID, facts)
    if skipped is not None:
        return [skipped]
    assert facts.page is not None  # (page_not_looked said so)
    links = facts.page.links
    if links is None:
        return [result(CID, N_A, "links_not_asked", say("links_not_asked"))]
    if not links:
        return [result(CID, PASS, "links_none", say("links_none"))]
    states = [(link, dep_state(link)) for link in links]
    broken = [(link, state) for link, state in states if state in BREAKS]
    if broken:
        return [result(CID, WARN, "links_not_ipv6", say("links_not_ipv6", n=len(broken), total=len(links),
                                                          items=[_site(link, state) for link, state in broken]))]
    failed = [link.host for link, state in states if state is DepState.DNS_FAILED]
    if failed:
        return [result(CID, UNTESTED, "links_dns_failed", say("links_dns_failed", hosts=failed))]
    untested = [link.host for link, state in states if state in (DepState.UNTESTABLE, DepState.NOT_PROBED)]
    if untested:
        return [result(CID, UNTESTED, "links_untestable", say("links_untestable", hosts=untested))]
    more = max(0, facts.page.links_found - len(links))
    if more:
        return [result(CID, PASS, "links_ipv6", say("links_ipv6_capped", n=len(links), more=more))]
    return [result(CID, PASS, "links_ipv6", say("links_ipv6", n=len(links)))]
