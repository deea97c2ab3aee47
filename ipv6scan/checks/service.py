"""The whole service on IPv6 only: what the page loads (deps.ipv6, deps.nat64) and the zones on the path
of every name a client resolves (dns.chain_ipv6).

A citizen on an IPv6-only network needs every script, stylesheet, font, image and frame the page loads,
and every zone from the TLD down to answer over IPv6. None of these counts for the verdict (the front door
is judged by the other checks); the policy's IPv6-only criterion scores them.
"""

from __future__ import annotations

from typing import Any

from ..model import CheckResult, HostFacts, ResolutionChain
from ._facts import did
from ._registry import FAIL, INFO, N_A, PASS, UNTESTED, CheckContext, check, result, say
from ._service import (
    BREAKS,
    BROKEN_ZONES,
    DepState,
    ZoneState,
    answering_servers,
    dep_path,
    dependencies,
    landing,
    names_through,
    page_not_looked,
    servers_named_through,
    servers_without_glue,
    zone_states,
)


def _dep(dep_host: str, state: DepState, kinds: list[str], outcome: Any = None, detail: str | None = None) -> dict:
    """ "js.cdn.example (script): no AAAA" """
    why = did(outcome, detail) if state is DepState.BROKEN else say(f"dep.{state}")
    return say("dep_problem", host=dep_host, kinds=[say(f"depkind.{k}") for k in kinds], why=why)


@check(ids=("deps.ipv6",), area="deps", order=140, counts=False,
       reasons=("deps_ipv6", "deps_none", "deps_not_ipv6", "deps_dns_failed", "deps_untestable", "deps_not_checked",
                "deps_no_page", "deps_budget"))
def check_dependencies(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """deps.ipv6: everything the page loads without a click comes from a host that answers over IPv6."""
    skipped = page_not_looked("deps.ipv6", facts)
    if skipped:
        return [skipped]
    assert facts.page is not None
    deps = dependencies(facts)
    if not deps:
        return [result("deps.ipv6", PASS, "deps_none", say("deps_none"))]
    broken = [(d, s) for d, s in deps if s in BREAKS]
    if broken:
        items = [_dep(dep_path(d), s, d.kinds, *((p.outcome, p.detail) if (p := landing(d)) else (None, None)))
                 for d, s in broken]
        return [result("deps.ipv6", FAIL, "deps_not_ipv6",
                       say("deps_not_ipv6", n=len(broken), total=len(deps), items=items))]
    failed = [d.host for d, s in deps if s is DepState.DNS_FAILED]
    if failed:
        return [result("deps.ipv6", UNTESTED, "deps_dns_failed", say("deps_dns_failed", hosts=failed))]
    untested = [d.host for d, s in deps if s in (DepState.UNTESTABLE, DepState.NOT_PROBED)]
    if untested:
        return [result("deps.ipv6", UNTESTED, "deps_untestable", say("deps_untestable", hosts=untested))]
    unchecked = max(0, facts.page.found - len(deps))
    if unchecked:
        return [result("deps.ipv6", PASS, "deps_ipv6", say("deps_ipv6_capped", n=len(deps), more=unchecked))]
    return [result("deps.ipv6", PASS, "deps_ipv6", say("deps_ipv6", n=len(deps)))]


@check(ids=("deps.nat64",), area="deps", order=141, counts=False, severity=INFO,
       reasons=("nat64_none", "nat64_needed", "nat64_never", "deps_not_checked", "deps_no_page", "deps_budget"))
def check_nat64(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """deps.nat64 (informational): what an IPv6-only client reaches only through NAT64/DNS64, and never."""
    skipped = page_not_looked("deps.nat64", facts)
    if skipped:
        return [skipped]
    deps = dependencies(facts)
    never = [d.host for d, s in deps if s is DepState.IPV4_LITERAL]
    via = [d.host for d, s in deps if s is DepState.NO_AAAA]
    if never and via:
        return [result("deps.nat64", INFO, "nat64_never", say("nat64_never_and_via", never=never, via=via))]
    if never:
        return [result("deps.nat64", INFO, "nat64_never", say("nat64_never", never=never))]
    if via:
        return [result("deps.nat64", INFO, "nat64_needed", say("nat64_needed", via=via))]
    return [result("deps.nat64", PASS, "nat64_none", say("nat64_none"))]


def _why(chain: ResolutionChain, zone: str, states: dict[str, ZoneState]) -> dict:
    """ "no name server has an AAAA"; "its name servers are named in provider.example, which ..." """
    if states[zone] is ZoneState.NS_NAMES:
        return say("zone.ns_names_in", zones=servers_named_through(chain, zone, states))
    if states[zone] is ZoneState.NO_GLUE6:
        link = next(link for link in chain.zones if link.zone == zone)
        return say("zone.no_glue6_at", parent=link.glue.parent if link.glue else "", servers=servers_without_glue(link))
    if states[zone] is ZoneState.DELEGATION:
        link = next(link for link in chain.zones if link.zone == zone)
        return say("zone.delegation_at", parent=link.glue.parent if link.glue else "",
                   delegated=link.glue.delegated or [] if link.glue else [],
                   answering=answering_servers(link))
    return say(f"zone.{states[zone]}")


@check(ids=("dns.chain_ipv6",), area="ns", order=125, counts=False,
       reasons=("chain_ipv6", "chain_not_ipv6", "chain_unknown", "chain_untestable", "chain_not_checked",
                "chain_budget"))
def check_chain(facts: HostFacts, ctx: CheckContext) -> list[CheckResult]:
    """dns.chain_ipv6: every zone from the TLD down, for every name the service needs, answers over IPv6."""
    chain = facts.chain
    if chain is None and facts.budget_exhausted and facts.zone is not None:  # (zone facts on: a chain was due)
        return [result("dns.chain_ipv6", UNTESTED, "chain_budget", say("chain_budget"))]
    if chain is None:
        return [result("dns.chain_ipv6", N_A, "chain_not_checked", say("chain_not_checked"))]
    states = zone_states(chain)
    bad = [z for z, s in states.items() if s in BROKEN_ZONES]
    if bad:
        items = [say("chain_zone", zone=z, why=_why(chain, z, states), names=names_through(chain, z)) for z in bad]
        return [result("dns.chain_ipv6", FAIL, "chain_not_ipv6", say("chain_not_ipv6", items=items))]
    lost = [n.name for n in chain.names if n.outcome.value != "ok"]
    unknown = [z for z, s in states.items() if s is ZoneState.DNS_FAILED]
    if lost or unknown:
        return [result("dns.chain_ipv6", UNTESTED, "chain_unknown", say("chain_unknown", what=unknown + lost))]
    untested = [z for z, s in states.items() if s is ZoneState.UNTESTABLE]
    if untested:
        return [result("dns.chain_ipv6", UNTESTED, "chain_untestable", say("chain_untestable", zones=untested))]
    return [result("dns.chain_ipv6", PASS, "chain_ipv6",
                   say("chain_ipv6", zones=list(states), n=len(chain.names)))]
