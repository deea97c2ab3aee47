"""Scan one host: resolution -> zone -> web probes on every address -> parity -> checks.

A :class:`Scanner` holds what a whole scan shares (DNS client, zone cache, web
prober, SSL contexts, the per-address politeness limits) and turns one
:class:`~ipv6scan.targets.Target` into one :class:`~ipv6scan.model.HostRecord`.
It owns no concurrency across hosts: that is the runner's job. Within one
host, probes run concurrently, bounded by ``options.per_host_connections``;
across the scan, connections to one address are bounded by
``options.per_address_connections`` (and ``rate_per_address``).

Each host has ``options.host_budget`` seconds in all. When they run out, the
host's record is still written: what was observed is kept, and what was not
finished is recorded as timed out ("host time budget exhausted").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field

import msgspec

from ._version import __version__
from .addresses import IPNetwork, is_allowed, parse_prefixes
from .checks import judge
from .config import Ipv6Mode, ScanOptions, asks
from .loop import running_loop_name
from .model import (
    CERT_FAILURES,
    Address,
    DnsLookup,
    Family,
    HostFacts,
    HostRecord,
    InputError,
    Outcome,
    PageFacts,
    ParityFacts,
    Resolution,
    ResolutionChain,
    ScanHeader,
    SitemapRead,
    WebProbe,
    ZoneFacts,
)
from .net import Network, split_hostport
from .polite import Polite
from .probe.deps import Dependencies
from .probe.dns import DnsClient
from .probe.dnssec import load_anchors
from .probe.parity import compare
from .probe.reach import STAGGER, Reachability
from .probe.sitemap import first_url
from .probe.tls import get_contexts
from .probe.tlsversions import TlsVersionProber
from .probe.web import WebProber
from .probe.zone import ZoneCache
from .runner import stream
from .targets import Target
from .timeutil import utcnow

SCHEMES = ("http", "https")
BUDGET_EXHAUSTED = "host time budget exhausted"
SLOW_ADDRESS_MS = 500.0
"""An HTTPS request whose answer took this long (from sending to the response head): its address's TLS versions are
asked at once rather than one after the other (bench --mixed: a relay answering 1.5 s late, three versions)."""


def answered(probe: WebProbe) -> bool:
    """Did an HTTP response come back (possibly over an untrusted TLS session)?"""
    return probe.status is not None


class Scanner:
    """Everything a scan shares; ``scan(target)`` observes and judges one host."""

    def __init__(self, options: ScanOptions, network: Network | None = None) -> None:
        self.options = options
        self.network = network or Network()
        self.allowed: list[IPNetwork] = parse_prefixes(options.allow_special)
        resolvers = [split_hostport(r, 53) for r in options.resolvers]
        mode = Ipv6Mode(options.ipv6)
        if mode is Ipv6Mode.AUTO:
            self.ipv6_ok, self.ipv6_detail = self.network.ipv6_egress()
        else:
            self.ipv6_ok = mode is Ipv6Mode.YES
            self.ipv6_detail = f"set by --ipv6 {mode.value}"
        self.dns = DnsClient(
            resolvers=resolvers,
            network=self.network,
            timeout=options.dns_timeout,
            retries=options.dns_retries,
            max_cname_chain=options.max_cname_chain,
        )
        self.polite = Polite(options.per_address_connections, options.rate_per_address)
        self.reach = Reachability(enabled=options.share_connect_failures, stagger=options.connect_timeout * STAGGER)
        self.zones = ZoneCache(
            dns=self.dns,
            network=self.network,
            options=options,
            allowed=self.allowed,
            ipv6_ok=self.ipv6_ok,
            polite=self.polite,
            anchors=load_anchors(options.trust_anchors) if options.check_zone and options.dnssec_validation else None,
        )
        self.web = WebProber(
            network=self.network,
            options=options,
            resolve=self.dns.addresses,
            allowed=self.allowed,
            contexts=get_contexts(tuple(options.ca_bundles)),
            polite=self.polite,
            reach=self.reach,
        )
        self.versions = TlsVersionProber(network=self.network, polite=self.polite,
                                         timeout=options.connect_timeout) if options.tls_versions else None
        self.deps = Dependencies(dns=self.dns, web=self.web, options=options, allowed=self.allowed,
                                 ipv6_ok=self.ipv6_ok) if options.subresources else None

    def header(self) -> ScanHeader:
        return ScanHeader(
            tool_version=__version__,
            started=utcnow(),
            options={**_public_options(self.options), "network": self.network.describe(), "loop": running_loop_name()},
            scanner_ipv6=self.ipv6_ok,
            scanner_ipv6_detail=self.ipv6_detail,
        )

    async def aclose(self) -> None:
        if self.deps is not None:
            self.deps.aclose()
        await self.web.aclose()
        await self.dns.aclose()

    async def __aenter__(self) -> Scanner:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ one host

    async def scan(self, target: Target) -> HostRecord:
        """Observe and judge one host within ``options.host_budget`` seconds."""
        started, t0 = utcnow(), time.perf_counter()
        seen = _Observed()
        zone_task = asyncio.create_task(self.zones.for_host(target.host)) if self.options.check_zone else None
        try:
            async with asyncio.timeout(self.options.host_budget) as budget:
                seen.resolution = await self.dns.resolve(target.host)
                await self._web(target.host, seen.resolution.addresses, seen)
                if self.deps is not None:
                    seen.page = await self.deps.read(target.host, seen.web_probes(), seen.bodies,
                                                     sitemap=self._asks_sitemap(target), keep=seen.keep_page,
                                                     links=asks(self.options.links, target.kind))
                seen.zone = await zone_task if zone_task else None
                if zone_task and self.options.resolution_chain:
                    seen.chain = await self.zones.chain(_chain_names(target.host, seen))
        except TimeoutError:
            if not budget.expired():
                raise
            seen.budget_exhausted = True
            info = seen.page.site_info if seen.page is not None else None
            if info is not None and info.xml_sitemap is None and self._asks_sitemap(target):
                info.xml_sitemap = SitemapRead(url=first_url(seen.page.url),  # type: ignore[union-attr]  (info's page)
                                               outcome=Outcome.TIMEOUT, detail=BUDGET_EXHAUSTED)
            if zone_task and zone_task.done():
                seen.zone = zone_task.result()
        finally:
            if zone_task and not zone_task.done():
                zone_task.cancel()
        if zone_task and seen.zone is None:
            seen.zone = ZoneFacts(zone=None, outcome=Outcome.TIMEOUT, detail=BUDGET_EXHAUSTED)
        web = seen.web_probes()
        facts = HostFacts(
            host=target.host,
            display=target.display,
            input=target.input,
            line=target.line,
            started=started,
            elapsed_ms=round((time.perf_counter() - t0) * 1000, 1),
            scanner_ipv6=self.ipv6_ok,
            allowed_special=list(self.options.allow_special),
            tls_profile=self.options.tls_profile,
            resolution=seen.resolution or _unfinished_resolution(target.host),
            zone=seen.zone,
            web=web,
            parity=await _parity_off_loop(web, seen.bodies),
            subresources=self.options.subresources,
            page=seen.page,
            chain=seen.chain,
            budget_exhausted=seen.budget_exhausted,
            org=target.org,
            kind=target.kind,
            tags=list(target.tags),
        )
        return HostRecord(facts=facts, result=judge(facts))

    def _asks_sitemap(self, target: Target) -> bool:
        """Ask this host's site for its XML sitemap (Circular 32/2017 art. 16)? ``--xml-sitemap``: portals (hosts
        listed as a kind art. 16's criterion is judged on), all or none."""
        return asks(self.options.xml_sitemap, target.kind)

    async def _web(self, host: str, addresses: list[Address], seen: _Observed) -> None:
        """Every scheme on every address, each on its own pinned connection; results land in ``seen``."""
        limit = asyncio.Semaphore(max(1, self.options.per_host_connections))
        ports = {"http": self.options.http_port, "https": self.options.https_port}
        seen.plan([(a, s, ports[s]) for a in addresses for s in SCHEMES])
        skips = {a.address: self._not_probed(a) for a in addresses}  # once per address, not per scheme

        async def one(i: int, addr: Address, scheme: str, port: int) -> None:
            skipped = skips[addr.address]
            if skipped is not None:
                outcome, detail = skipped
                probe = WebProbe(
                    scheme=scheme, address=addr.address, family=addr.family, port=port, outcome=outcome, detail=detail
                )
                seen.done(i, probe, None)
                return
            async with limit:
                probe, body = await self.web.probe(host, addr.address, scheme, port)
                seen.done(i, probe, body)
                if self.versions is not None and probe.tls is not None and probe.tls.protocol:
                    slow = (probe.first_byte_ms or 0) >= SLOW_ADDRESS_MS
                    probe.tls.versions = await self.versions.probe(host, addr.address, port, probe.tls.protocol,
                                                                   at_once=slow)

        await asyncio.gather(*(one(i, *planned) for i, planned in enumerate(seen.planned)))

    def _not_probed(self, addr: Address) -> tuple[Outcome, str] | None:
        if not is_allowed(addr.address, self.allowed):
            return Outcome.SKIPPED_NON_GLOBAL, f"{addr.address} is {addr.special}: not probed (see --allow-special)"
        if addr.family is Family.V6 and not self.ipv6_ok:
            return Outcome.UNTESTABLE, f"the scanner has no IPv6: {self.ipv6_detail}"
        return None


@dataclass
class _Observed:
    """What one host's probes observed so far: kept as it is when the host budget runs out."""

    resolution: Resolution | None = None
    zone: ZoneFacts | None = None
    page: PageFacts | None = None
    chain: ResolutionChain | None = None
    budget_exhausted: bool = False
    planned: list[tuple[Address, str, int]] = field(default_factory=list)  # (address, scheme, port) per web probe
    probes: list[WebProbe | None] = field(default_factory=list)  # None: not finished
    bodies: list[bytes | None] = field(default_factory=list)

    def keep_page(self, page: PageFacts) -> None:
        self.page = page

    def plan(self, planned: list[tuple[Address, str, int]]) -> None:
        self.planned = planned
        self.probes = [None] * len(planned)
        self.bodies = [None] * len(planned)

    def done(self, i: int, probe: WebProbe, body: bytes | None) -> None:
        self.probes[i], self.bodies[i] = probe, body

    def web_probes(self) -> list[WebProbe]:
        """Every planned probe: as observed, or timed out if it had not finished."""
        return [
            probe or WebProbe(
                scheme=scheme,
                address=addr.address,
                family=addr.family,
                port=port,
                outcome=Outcome.TIMEOUT,
                detail=BUDGET_EXHAUSTED,
            )
            for probe, (addr, scheme, port) in zip(self.probes, self.planned)
        ]


def _chain_names(host: str, seen: _Observed) -> list[tuple[str, str]]:
    """The names an IPv6-only client resolves for this host: itself, its CNAME targets, what its page loads,
    its zone's mail servers."""
    names = [(host, "host")]
    if seen.resolution is not None:
        names += [(name, "cname") for name in seen.resolution.cname_chain]
    if seen.page is not None:
        for d in seen.page.dependencies:
            probe = d.probe if d.literal is None else None
            if d.literal is None:
                names.append((d.host, "dependency"))
            while probe is not None:  # the dependency's origin, then each origin a redirect led to
                if probe.resolution is not None:
                    names += [(name, "cname") for name in probe.resolution.cname_chain]
                probe = probe.redirect
                if probe is not None and probe.resolution is not None:
                    names.append((probe.resolution.name, "dependency"))
    if seen.zone is not None:
        names += [(m.name, "mx") for m in seen.zone.mail_servers if m.name.strip(".")]
    return names


def _unfinished_resolution(host: str) -> Resolution:
    """The resolution of a host whose A/AAAA lookups did not end within the host budget."""
    lookup = DnsLookup(name=host, rdtype="A", outcome=Outcome.DNS_TIMEOUT, detail=BUDGET_EXHAUSTED)
    return Resolution(name=host, canonical=host, a=lookup, aaaa=msgspec.structs.replace(lookup, rdtype="AAAA"))


_INLINE_PARITY_BYTES = 64 * 1024


async def _parity_off_loop(web: list[WebProbe], bodies: list[bytes | None]) -> list[ParityFacts]:
    """Parity of big bodies costs ~0.1 s CPU per 256 KiB: run it in a thread so other hosts' I/O goes on."""
    if sum(len(b) for b in bodies if b) <= _INLINE_PARITY_BYTES:
        return _parity(web, bodies)
    return await asyncio.to_thread(_parity, web, bodies)


def _comparable(probe: WebProbe) -> bool:
    """An answer whose redirect chain ended on a page: one that left the family, looped or failed is not the site.

    (Its failure is judged by the redirect check; comparing it too would report one problem twice.)
    """
    return answered(probe) and (probe.final_outcome in (None, Outcome.OK) or probe.final_outcome in CERT_FAILURES)


def _parity(web: list[WebProbe], bodies: list[bytes | None]) -> list[ParityFacts]:
    """Per scheme, compare the first IPv4 probe with the first IPv6 probe that each ended on a page."""
    out = []
    for scheme in SCHEMES:
        firsts: dict[Family, tuple[WebProbe, bytes | None]] = {}
        for probe, body in zip(web, bodies):
            if probe.scheme == scheme and _comparable(probe) and probe.family not in firsts:
                firsts[probe.family] = (probe, body)
        if Family.V4 in firsts and Family.V6 in firsts:
            (p4, b4), (p6, b6) = firsts[Family.V4], firsts[Family.V6]
            out.append(compare(p4, b4, p6, b6))
    return out


def _public_options(options: ScanOptions) -> dict[str, object]:
    return msgspec.to_builtins(options)


def failed_record(target: Target, exc: BaseException, *, ipv6_ok: bool) -> HostRecord:
    """The record of a host the scanner itself failed on: kept, marked, never counted as a network result."""
    empty = DnsLookup(name=target.host, rdtype="A", outcome=Outcome.ERROR, detail="not looked up")
    facts = HostFacts(
        host=target.host,
        display=target.display,
        input=target.input,
        line=target.line,
        started=utcnow(),
        scanner_ipv6=ipv6_ok,
        resolution=Resolution(name=target.host, canonical=target.host, chain_outcome=Outcome.ERROR, a=empty,
                              aaaa=msgspec.structs.replace(empty, rdtype="AAAA")),
        org=target.org,
        kind=target.kind,
        tags=list(target.tags),
        error=f"{type(exc).__name__}: {exc}",
    )
    return HostRecord(facts=facts, result=judge(facts))


async def local_lines(
    items: Iterable[Target | InputError], options: ScanOptions, network: Network | None
) -> AsyncIterator[ScanHeader | HostRecord | InputError]:
    """The scan in this process: its header, then each host record as it finishes and the input errors."""
    async with Scanner(options, network) as scanner:
        yield scanner.header()

        def on_error(target: Target, exc: BaseException) -> HostRecord:
            return failed_record(target, exc, ipv6_ok=scanner.ipv6_ok)

        results = stream(
            items,
            scanner.scan,
            concurrency=options.concurrency,
            is_work=lambda i: isinstance(i, Target),
            on_error=on_error,
        )
        async with aclosing(results):
            async for line in results:
                yield line
