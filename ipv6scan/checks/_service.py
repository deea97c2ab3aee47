"""The whole service as an IPv6-only client meets it: pure readings of the page's dependencies and the chain.

Shared by the checks (``deps.ipv6``, ``deps.nat64``, ``dns.chain_ipv6``, ``web.mixed_content``) and by the
reports that rank third parties, so that a dependency reads the same everywhere (where its redirects land:
:func:`landing`), and a page that is missing reads the same in every check of it (:func:`page_not_looked`).
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from ..model import (
    DNS_FAILURES,
    ChainName,
    ChainServer,
    CheckResult,
    Dependency,
    DependencyProbe,
    Family,
    HostFacts,
    Outcome,
    ResolutionChain,
    ZoneLink,
    in_zone,
)
from ._registry import N_A, UNTESTED, result, say


class DepState(StrEnum):
    """How one dependency does for a client with IPv6 only (closed vocabulary)."""

    OK = "ok"  # AAAA, and the request over IPv6 was answered
    NO_AAAA = "no_aaaa"  # A only: reachable through NAT64/DNS64 at best
    IPV4_LITERAL = "ipv4_literal"  # an IPv4 address in the URL: never reachable on IPv6 only, NAT64 or not
    BROKEN = "broken"  # AAAA published, the request over IPv6 failed
    DNS_FAILED = "dns_failed"  # the AAAA lookup failed: unknown, never "no IPv6"
    UNTESTABLE = "untestable"  # the scanner has no IPv6
    NOT_PROBED = "not_probed"  # a non-global address (not allowed in this scan)


BREAKS = frozenset({DepState.NO_AAAA, DepState.IPV4_LITERAL, DepState.BROKEN})  # what an IPv6-only client loses


def dep_state(dep: Dependency) -> DepState:
    if dep.literal is Family.V4:
        return DepState.IPV4_LITERAL
    probe = landing(dep)
    if probe is None:
        return DepState.NOT_PROBED
    if probe.outcome == Outcome.DNS_NODATA:
        return DepState.NO_AAAA
    if probe.outcome in DNS_FAILURES:
        return DepState.DNS_FAILED
    if probe.outcome == Outcome.UNTESTABLE:
        return DepState.UNTESTABLE
    if probe.outcome == Outcome.SKIPPED_NON_GLOBAL:
        return DepState.NOT_PROBED
    return DepState.OK if probe.outcome == Outcome.OK else DepState.BROKEN


def landing(dep: Dependency) -> DependencyProbe | None:
    """The probe that decides a dependency: its own, or where its redirects led (a client follows them)."""
    probe = dep.probe
    while probe is not None and probe.redirect is not None:
        probe = probe.redirect
    return probe


def dep_path(dep: Dependency) -> str:
    """The dependency's host, and each host a redirect led to: ``cdn.example → cdn2.example``."""
    hosts, probe = [dep.host], dep.probe
    while probe is not None and probe.redirect is not None:
        probe = probe.redirect
        hosts.append(urlsplit(probe.url).hostname or probe.url)
    return " → ".join(hosts)


def page_not_looked(cid: str, facts: HostFacts) -> CheckResult | None:
    """The result of a check of the page's contents when there is no page to judge; None when there is one."""
    if not facts.subresources:
        return result(cid, N_A, "deps_not_checked", say("deps_not_checked"))
    if facts.page is None and facts.budget_exhausted:  # a page may be there: not known, never "no page"
        return result(cid, UNTESTED, "deps_budget", say("deps_budget"))
    if facts.page is None:
        return result(cid, N_A, "deps_no_page", say("deps_no_page"))
    return None


def dependencies(facts: HostFacts) -> list[tuple[Dependency, DepState]]:
    """Each dependency of the host's page with its state (empty: no page read)."""
    return [(d, dep_state(d)) for d in facts.page.dependencies] if facts.page is not None else []


class ZoneState(StrEnum):
    """Can an IPv6-only resolver ask this zone's name servers?"""

    OK = "ok"  # at least one name server answered a real query over IPv6
    NO_AAAA = "no_aaaa"  # no name server of the zone has an AAAA
    SILENT = "silent"  # AAAA published, no IPv6 address answered
    # From 1.8's chains: servers answer over IPv6, but each is named in a zone an IPv6-only resolver cannot
    # reach (no glue: its name is outside the zone it serves), so the resolver never learns their addresses
    NS_NAMES = "ns_names"
    # From 1.9: servers answer over IPv6, but each is named inside the zone and the parent's referral gives no
    # AAAA for it (glue): an IPv6-only resolver cannot learn their addresses
    NO_GLUE6 = "no_glue6"
    # From 1.10: servers answer over IPv6, but none of those the parent's referral names does (a stale
    # delegation): an IPv6-only resolver walking down never gets in to learn the zone's own NS set
    DELEGATION = "delegation"
    DNS_FAILED = "dns_failed"  # the NS lookup (or every AAAA lookup) failed: unknown
    UNTESTABLE = "untestable"  # the scanner has no IPv6 (or the addresses were not allowed)


def zone_state(link: ZoneLink) -> ZoneState:
    if link.outcome != Outcome.OK:
        return ZoneState.DNS_FAILED
    if any(_answers(s) for s in entry_servers(link)):
        return ZoneState.OK
    if any(_answers(s) for s in link.servers):  # (only servers the parent does not name answer)
        untested = any(p.outcome in (Outcome.UNTESTABLE, Outcome.SKIPPED_NON_GLOBAL)
                       for s in entry_servers(link) for p in s.probes)
        return ZoneState.UNTESTABLE if untested else ZoneState.DELEGATION
    probes = [p for s in link.servers for p in s.probes]
    if probes and all(p.outcome in (Outcome.UNTESTABLE, Outcome.SKIPPED_NON_GLOBAL) for p in probes):
        return ZoneState.UNTESTABLE
    if probes:
        return ZoneState.SILENT
    if link.servers and all(s.aaaa_outcome in DNS_FAILURES for s in link.servers):
        return ZoneState.DNS_FAILED
    return ZoneState.NO_AAAA


BROKEN_ZONES = frozenset({ZoneState.NO_AAAA, ZoneState.SILENT, ZoneState.NS_NAMES, ZoneState.NO_GLUE6,
                          ZoneState.DELEGATION})  # an IPv6-only resolver fails


def zone_states(chain: ResolutionChain) -> dict[str, ZoneState]:
    """Each zone of the chain as an IPv6-only resolver meets it, starting with nothing in its cache.

    A zone is reached when one of its servers answers over IPv6 and the resolver can learn that server's
    address: the name is in the zone itself and the parent's referral carries an AAAA for it (glue; from 1.9's
    chains, :func:`glued`; before, assumed), the name is a TLD's server's (the root's glue), or every zone on
    the path of its name is reached. Computed from no zone reached upwards until nothing changes,
    so name servers that are found only through each other (``ns.a.example`` serving b.example and
    ``ns.b.example`` serving a.example, no glue) are never reached. A zone left unreached because a zone on
    its servers' paths is unknown (a lookup failed, the walk stopped), or is itself left unreached for that
    reason, is unknown, not broken. Chains from
    before 1.8 (``ns_walked`` false) hold no server names' paths: each zone on its own, as then."""
    base = {link.zone: zone_state(link) for link in chain.zones}
    if not chain.ns_walked:
        return base
    paths = _ns_paths(chain)
    links = {link.zone: link for link in chain.zones}
    answering = {link.zone: [s.name for s in entry_servers(link) if _answers(s)] for link in chain.zones}
    reached: set[str] = set()

    def found(name: str, zone: str) -> bool:
        if "." not in zone:
            return True
        if in_zone(name, zone):
            return glued(links[zone], name) is True
        path = paths.get(name)
        return path is not None and path.outcome == Outcome.OK and bool(path.zones) and reached.issuperset(path.zones)

    grew = True
    while grew:
        grew = False
        for zone, state in base.items():
            if state is ZoneState.OK and zone not in reached and any(found(n, zone) for n in answering[zone]):
                reached.add(zone)
                grew = True
    unreached = [zone for zone, state in base.items() if state is ZoneState.OK and zone not in reached]
    unknown = {z for z, state in base.items() if state in (ZoneState.DNS_FAILED, ZoneState.UNTESTABLE)}
    grew = True
    while grew:  # unknown spreads: a zone whose servers' names need an unknown zone is unknown too
        grew = False
        for zone in unreached:
            if zone not in unknown and any(glued(links[zone], name) is None if in_zone(name, zone)
                                           else _unknown(paths.get(name), unknown) for name in answering[zone]):
                unknown.add(zone)
                grew = True

    def why(zone: str) -> ZoneState:  # (an unreached zone: its servers' names, or the parent's glue)
        if zone in unknown:
            return ZoneState.DNS_FAILED
        inside = all(in_zone(name, zone) for name in answering[zone])
        return ZoneState.NO_GLUE6 if inside else ZoneState.NS_NAMES

    return {zone: why(zone) if zone in unreached else state for zone, state in base.items()}


def entry_servers(link: ZoneLink) -> list[ChainServer]:
    """The servers a resolver walking down can start from: those the parent's referral names (the zone's own
    that it names, and those only it names); all the zone's own when the delegation is not known (no referral
    seen, or a chain before 1.10)."""
    glue = link.glue
    if glue is None or glue.outcome != Outcome.OK or not glue.referral or glue.delegated is None:
        return link.servers
    named = set(glue.delegated)
    return [s for s in link.servers if s.name in named] + link.parent_only


def glued(link: ZoneLink, name: str) -> bool | None:
    """Can an IPv6-only resolver learn the address of ``name``, named inside ``link``'s zone, from the parent?
    True: an AAAA glue record for it, or the parent's server answers for the zone itself, or the glue was not
    looked at (a chain before 1.9: assumed, as then); False: the referral gives it no AAAA; None: unknown (the
    parent's servers could not be asked)."""
    glue = link.glue
    if glue is None or (glue.outcome == Outcome.OK and not glue.referral):
        return True
    if glue.outcome != Outcome.OK:
        return None
    return any(g.name == name and g.aaaa for g in glue.names)


def _unknown(path: ChainName | None, unknown: set[str]) -> bool:
    """Finding this name needs a zone that is unknown (or its path itself is)."""
    if path is None or path.outcome != Outcome.OK or not path.zones:
        return True
    return any(z in unknown for z in path.zones)


def servers_named_through(chain: ResolutionChain, zone: str, states: dict[str, ZoneState]) -> list[str]:
    """For a zone in state ``ns_names``: the zones, not reached, that its answering servers' names need."""
    paths = _ns_paths(chain)
    link = next(link for link in chain.zones if link.zone == zone)
    out: list[str] = []
    for server in entry_servers(link):
        path = paths.get(server.name)
        if path is not None and _answers(server):
            out += [z for z in path.zones if states.get(z) is not ZoneState.OK and z not in out]
    return out


def servers_without_glue(link: ZoneLink) -> list[str]:
    """For a zone in state ``no_glue6``: its servers that answer over IPv6, named inside it, for which the
    parent's referral gives no AAAA (a server outside the zone, or one that does not answer, is not why)."""
    return [s.name for s in entry_servers(link)
            if _answers(s) and in_zone(s.name, link.zone) and glued(link, s.name) is False]


def answering_servers(link: ZoneLink) -> list[str]:
    """The zone's own name servers (its NS set) that answered over IPv6."""
    return [s.name for s in link.servers if _answers(s)]


def _ns_paths(chain: ResolutionChain) -> dict[str, ChainName]:
    """The name servers' own names the walk looked up (role ns), by name."""
    return {n.name: n for n in chain.names if n.role == "ns"}


def _answers(server: ChainServer) -> bool:
    """A query to one of the server's IPv6 addresses was answered."""
    return any(p.outcome == Outcome.OK for p in server.probes)


def names_through(chain: ResolutionChain, zone: str) -> list[str]:
    """The names whose resolution path goes through ``zone``."""
    return [n.name for n in chain.names if zone in n.zones]
