"""Zone facts: the enclosing zone's name servers and mail servers, probed once per zone per scan.

Many hosts share a zone (every ``*.danang.gov.vn`` host sits in
``danang.gov.vn``), so a :class:`ZoneCache` computes each zone's facts once:
concurrent callers wait for the same task. Every NS and MX address is probed
on its own family, unless policy says not to: an address outside the allowed
prefixes is SKIPPED_NON_GLOBAL, an IPv6 address while the scanner has no IPv6
is UNTESTABLE. Neither ever counts as a failure of the zone. Each probe holds
a slot at its address under the scan's :class:`~ipv6scan.polite.Polite` limits.
Each mail server's IPv6 addresses are also looked up in reverse (PTR, then that name
forward again: DnsClient.reverse), which is DNS only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..addresses import IPNetwork, classify, is_allowed
from ..config import ScanOptions
from ..model import (
    DNS_UNANSWERED,
    Address,
    ChainName,
    ChainServer,
    DnsLookup,
    DnssecFacts,
    DnssecStatus,
    DnssecValidation,
    DnsServerProbe,
    Family,
    GlueFacts,
    MailServer,
    NameServer,
    Outcome,
    ResolutionChain,
    SmtpProbe,
    SpfCheck,
    SpfFacts,
    ZoneFacts,
    ZoneLink,
    in_zone,
)
from ..net import Network
from ..polite import Polite
from ._once import Once
from .dns import DnsClient, normalise_name
from .dnssec import DnssecValidator, TrustAnchors
from .smtp import probe_smtp
from .spf import SpfError, SpfOutcome, evaluate, spf_record
from .tls import get_contexts

P = TypeVar("P", DnsServerProbe, SmtpProbe)

GLUE_TRIES = 3  # the parent's name-server addresses asked for a zone's glue, one after the other, at most
ZONE_LOOKUP_TRIES = 3
"""Times a zone whose NS or MX lookup got no answer (``DNS_UNANSWERED``) is computed in one scan, by the next
host that needs it, before that is kept: one lost answer must not mark every host of a province's zone for
hours; a zone whose servers keep failing is not asked again for every host. (The chain of trust has its own:
``dnssec.LINK_LOOKUP_TRIES``.)"""


SPF_ADDRESSES = 16  # mail server addresses put to the zone's SPF at most

NS_NAME_ROUNDS = 3
"""How deep the name servers' own names are followed: a zone's servers named in another zone, that zone's
servers named in a third, ... (a name server's name met deeper is not looked up: the zone it serves is then
unknown, never "broken")."""


def _unanswered(facts: ZoneFacts) -> bool:
    return any(lookup is not None and lookup.outcome in DNS_UNANSWERED for lookup in (facts.ns_lookup, facts.mx_lookup))


class ZoneCache:
    """Zone facts computed once per zone for the whole scan."""

    def __init__(
        self,
        *,
        dns: DnsClient,
        network: Network,
        options: ScanOptions,
        allowed: list[IPNetwork],
        ipv6_ok: bool,
        polite: Polite | None = None,
        anchors: TrustAnchors | None = None,
    ) -> None:
        self.dns = dns
        self.network = network
        self.options = options
        self.allowed = allowed
        self.ipv6_ok = ipv6_ok
        self.polite = polite if polite is not None else Polite()
        self._zones: Once[str, ZoneFacts] = Once(again=_unanswered, tries=ZONE_LOOKUP_TRIES)
        self._links: Once[str, ZoneLink] = Once(again=lambda link: link.outcome in DNS_UNANSWERED,
                                                tries=ZONE_LOOKUP_TRIES)
        self._slots = asyncio.Semaphore(options.per_host_connections)
        self.validator = (DnssecValidator(dns, anchors, self.path)
                          if anchors is not None and options.dnssec_validation else None)

    async def for_host(self, name: str) -> ZoneFacts:
        """The facts of the zone enclosing a host name, found by its real zone cut."""
        apex, outcome, detail = await self.dns.find_zone(name)
        if apex is None:
            return ZoneFacts(zone=None, outcome=outcome, detail=detail)
        return await self.get(apex)

    async def get(self, apex: str) -> ZoneFacts:
        """The facts of one zone; the first caller computes them, the others wait for that."""
        key = normalise_name(apex)
        return await self._zones.get(key, lambda: self._compute(key))

    async def _compute(self, apex: str) -> ZoneFacts:
        ns_lookup, mx_lookup, ds, dnskey, validation = await asyncio.gather(
            *(self.dns.lookup(apex, rdtype) for rdtype in ("NS", "MX", "DS", "DNSKEY")), self._validate(apex)
        )
        exchanges = [(int(pref), name) for pref, name in (r.split(" ", 1) for r in mx_lookup.records)]
        name_servers, mail_servers = await asyncio.gather(
            asyncio.gather(*(self._name_server(ns, apex) for ns in ns_lookup.records)),
            # A null MX ("0 .", RFC 7505) says the zone takes no mail: nothing to probe.
            asyncio.gather(*(self._mail_server(name, pref) for pref, name in exchanges if name != ".")),
        )
        return ZoneFacts(
            zone=apex,
            outcome=Outcome.OK,
            ns_lookup=ns_lookup,
            name_servers=list(name_servers),
            mx_lookup=mx_lookup,
            mail_servers=list(mail_servers),
            dnssec=DnssecFacts(ds=ds, dnskey=dnskey, validation=validation),
            spf=await self._spf(apex, list(mail_servers)),
        )

    async def _spf(self, apex: str, mail_servers: list[MailServer]) -> SpfFacts | None:
        """The zone's SPF record and what it says of each mail server address (the first SPF_ADDRESSES), as
        mail the server sends for the zone; None when the zone has no mail server address."""
        addresses = [(m.name, a) for m in mail_servers for a in m.resolution.addresses][:SPF_ADDRESSES]
        if not addresses:
            return None
        lookup = await self.dns.lookup(apex, "TXT")
        try:
            record = spf_record(lookup)
        except SpfError as e:  # no answer, or two records: the same for every address
            return SpfFacts(domain=apex, lookup=lookup, checks=[_spf_check(name, a, SpfOutcome(e.result, error=e))
                                                                for name, a in addresses])
        if record is None:
            return SpfFacts(domain=apex, lookup=lookup)
        asked: Once[tuple[str, str], DnsLookup] = Once()  # each (name, type) once for all the addresses

        async def ask(name: str, rdtype: str) -> DnsLookup:
            return await asked.get((name.lower(), rdtype), lambda: self.dns.lookup(name, rdtype))

        outcomes = await asyncio.gather(*(evaluate(ask, a.address, apex, record, helo=name)
                                          for name, a in addresses))
        return SpfFacts(domain=apex, lookup=lookup, record=record,
                        checks=[_spf_check(name, a, o) for (name, a), o in zip(addresses, outcomes)])

    async def _validate(self, apex: str) -> DnssecValidation | None:
        if self.validator is None:
            return None
        try:
            return await self.validator.validate(apex)
        except Exception as e:  # a bug or an answer nobody foresaw must not cost the zone's other facts
            return DnssecValidation(status=DnssecStatus.INDETERMINATE, reason="error", detail=f"{type(e).__name__}: {e}")

    # ------------------------------------------------------------ the resolution chain

    async def chain(self, names: list[tuple[str, str]]) -> ResolutionChain:
        """Every zone from the TLD down on the path of each (name, role), each zone once, in first-seen order;
        then the name servers' own names, as a resolver that knows no address for them must look them up.

        A zone whose full facts this scan has (a scanned host's own zone) is read from them; any other
        zone gets its NS, their AAAA, and a query to each IPv6 address, once per scan. A name server named
        outside its zone (``ns1.provider.net`` for ``tinh.gov.vn``) adds its name (role ``ns``) and the zones
        on its path, whose name servers are walked the same way, :data:`NS_NAME_ROUNDS` deep. Not walked: a
        name inside its own zone (its address is the parent's glue, which :meth:`_glue` asks for), the TLDs'
        servers (the root's glue)."""
        unique = list(dict.fromkeys((n.lower().rstrip("."), role) for n, role in names if n.strip(".")))
        links: list[ChainName] = []
        zones: list[str] = []
        walked: dict[str, ZoneLink] = {}
        named = {name for name, _ in unique}
        for depth in range(NS_NAME_ROUNDS + 1):
            paths = await asyncio.gather(*(self.path(name) for name, _ in unique))
            for (name, role), (apexes, outcome, detail) in zip(unique, paths):
                links.append(ChainName(name=name, role=role, zones=apexes, outcome=outcome, detail=detail))
                zones += [z for z in apexes if z not in zones]
            fresh = [z for z in zones if z not in walked]
            walked.update(zip(fresh, await asyncio.gather(*(self.link(z) for z in fresh))))
            if depth == NS_NAME_ROUNDS:
                break
            unique = [(s.name, "ns") for z in fresh if "." in z for s in walked[z].servers + walked[z].parent_only
                      if not in_zone(s.name, z) and s.name not in named]
            unique = list(dict.fromkeys(unique))
            named.update(name for name, _ in unique)
            if not unique:
                break
        return ResolutionChain(names=links, zones=[walked[z] for z in zones], ns_walked=True)

    async def path(self, name: str) -> tuple[list[str], Outcome, str | None]:
        """The apexes of the zones a resolver walks to reach ``name``, TLD first (the root is left out)."""
        apexes: list[str] = []
        current = name
        while True:
            apex, outcome, detail = await self.dns.find_zone(current)
            if apex is None:
                return apexes, outcome, detail
            apex = normalise_name(apex)
            if apex in ("", ".") or apex in apexes:
                return apexes, Outcome.OK, None
            apexes.insert(0, apex)
            if "." not in apex:  # a TLD: the root's servers are not the zone owner's to fix
                return apexes, Outcome.OK, None
            current = apex.split(".", 1)[1]

    async def link(self, apex: str) -> ZoneLink:
        """One zone as an IPv6-only resolver meets it, computed once per scan."""
        key = normalise_name(apex)
        return await self._links.get(key, lambda: self._link(key))

    async def _link(self, apex: str) -> ZoneLink:
        full = self._zones.pending(apex)
        if full is not None:  # this zone's full facts are on their way: read the chain's part from them
            facts = await asyncio.shield(full)
            assert facts.ns_lookup is not None
            link = ZoneLink(zone=apex, outcome=facts.ns_lookup.outcome, detail=facts.ns_lookup.detail,
                            servers=[_chain_server(s) for s in facts.name_servers])
        else:
            ns_lookup = await self.dns.lookup(apex, "NS")
            servers = await asyncio.gather(*(self._chain_server(ns, apex) for ns in ns_lookup.records))
            link = ZoneLink(zone=apex, outcome=ns_lookup.outcome, detail=ns_lookup.detail, servers=list(servers))
        link.glue = await self._glue(apex)
        delegated = link.glue.delegated if link.glue is not None else None
        listed = {s.name for s in link.servers}
        if link.glue is not None and delegated and link.outcome == Outcome.OK:
            glue = {g.name: g.aaaa for g in link.glue.names}
            link.parent_only = list(await asyncio.gather(*(self._delegated_server(name, apex, glue.get(name))
                                                           for name in delegated if name not in listed)))
        return link

    async def _glue(self, apex: str) -> GlueFacts | None:
        """What the parent says of the zone (the name servers its referral names, and their glue), asked of the
        parent's servers over IPv6 (those that answered the chain's query: the first that answers this one, of
        three at most); None for a TLD (the root's servers are not the zone owner's to fix)."""
        if "." not in apex:
            return None
        apexes, _, _ = await self.path(apex)
        if len(apexes) < 2 or apexes[-1] != apex:
            return None  # (the zone's place on the path is unknown: the chain says so)
        parent = apexes[-2]
        probes = [p for s in (await self.link(parent)).servers for p in s.probes]
        addresses = [p.address for p in probes if p.outcome == Outcome.OK][:GLUE_TRIES]
        if not addresses:  # (the parent itself is out of reach, or was not asked: the chain says which)
            untested = any(p.outcome == Outcome.UNTESTABLE for p in probes)
            return GlueFacts(parent=parent, outcome=Outcome.UNTESTABLE if untested else Outcome.UNREACHABLE,
                             detail="no name server of the parent zone answered over IPv6")
        facts = GlueFacts(parent=parent)
        for address in addresses:  # (each one answered the chain's query: allowed, and the scanner has IPv6)
            async with self._slots, self.polite.slot(address):
                facts = await self.dns.glue(address, self.options.dns_port, apex, parent)
            if facts.outcome == Outcome.OK:
                break
        return facts

    async def _delegated_server(self, name: str, apex: str, glue6: list[str] | None) -> ChainServer:
        """A server the parent's referral names and the zone does not: asked at its AAAA glue when it is named
        inside the zone (where a resolver walking down finds its address), else at its AAAA."""
        if glue6 is None and not in_zone(name, apex):
            return await self._chain_server(name, apex)
        glue6 = glue6 or []
        probes = await self._ask_servers([classify(a) for a in glue6], apex)
        return ChainServer(name=name, aaaa_outcome=Outcome.OK if glue6 else Outcome.DNS_NODATA, aaaa=list(glue6),
                           probes=probes)

    async def _chain_server(self, name: str, apex: str) -> ChainServer:
        aaaa = await self.dns.lookup(name, "AAAA")
        probes = await self._ask_servers([classify(r) for r in aaaa.records], apex)
        return ChainServer(name=name, aaaa_outcome=aaaa.outcome, aaaa=list(aaaa.records), probes=probes)

    async def _ask_servers(self, addresses: list[Address], apex: str) -> list[DnsServerProbe]:
        """A real query for the zone's SOA to each name-server address (unless policy says to skip it)."""
        port = self.options.dns_port

        def query(a: Address) -> Awaitable[DnsServerProbe]:
            return self.dns.probe_server(a.address, port, apex)

        def skip(a: Address, outcome: Outcome, detail: str) -> DnsServerProbe:
            return DnsServerProbe(address=a.address, family=a.family, outcome=outcome, detail=detail)

        return list(await asyncio.gather(*(self._probe(a, query, skip) for a in addresses)))

    # ------------------------------------------------------------ name and mail servers

    async def _name_server(self, name: str, apex: str) -> NameServer:
        resolution = await self.dns.resolve(name)
        return NameServer(name=name, resolution=resolution, probes=await self._ask_servers(resolution.addresses, apex))

    async def _mail_server(self, name: str, preference: int) -> MailServer:
        resolution = await self.dns.resolve(name)
        port, timeout, retries = self.options.smtp_port, self.options.connect_timeout, self.options.retries
        store = get_contexts(self.options.ca_bundles).store  # (the web prober's: built once per process)

        def greet(a: Address) -> Awaitable[SmtpProbe]:
            return probe_smtp(self.network, a.address, port, timeout=timeout, retries=retries, server_name=name,
                              store=store)

        def skip(a: Address, outcome: Outcome, detail: str) -> SmtpProbe:
            return SmtpProbe(address=a.address, family=a.family, port=port, outcome=outcome, detail=detail)

        v6 = [a.address for a in resolution.addresses if a.family is Family.V6]
        probes, reverse = await asyncio.gather(
            asyncio.gather(*(self._probe(a, greet, skip) for a in resolution.addresses)),
            asyncio.gather(*(self.dns.reverse(address) for address in v6)))
        return MailServer(name=name, preference=preference, resolution=resolution, probes=list(probes),
                          reverse=list(reverse))

    async def _probe(
        self,
        address: Address,
        probe: Callable[[Address], Awaitable[P]],
        skip: Callable[[Address, Outcome, str], P],
    ) -> P:
        """Probe one address within the connection limit, unless policy says to skip it."""
        if not is_allowed(address.address, self.allowed):
            return skip(address, Outcome.SKIPPED_NON_GLOBAL, f"{address.special} address, not probed")
        if address.family == Family.V6 and not self.ipv6_ok:
            return skip(address, Outcome.UNTESTABLE, "the scanner has no IPv6")
        async with self._slots, self.polite.slot(address.address):
            return await probe(address)


def _spf_check(server: str, address: Address, outcome: SpfOutcome) -> SpfCheck:
    e = outcome.error
    return SpfCheck(address=address.address, family=address.family, server=server, result=outcome.result,
                    term=outcome.term, error=e.code if e else None, error_at=e.at if e else None,
                    detail=str(e) if e else None)


def _chain_server(server: NameServer) -> ChainServer:
    """The chain's view of a name server the zone facts already hold: its AAAA and the IPv6 queries."""
    aaaa = server.resolution.aaaa
    return ChainServer(name=server.name, aaaa_outcome=aaaa.outcome, aaaa=list(aaaa.records),
                       probes=[p for p in server.probes if p.family is Family.V6])
