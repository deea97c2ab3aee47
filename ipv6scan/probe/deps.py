"""The whole service: what a host's page loads without a click, and whether each origin answers over IPv6.

A citizen on an IPv6-only network needs every script, stylesheet, font, image,
frame and login host the page loads, not only the front door. :class:`Dependencies`
(one per scan) reads a host's page (:mod:`.page`), reads its first-level stylesheets
for their ``@import`` and ``url()`` hosts, and probes each origin once per scan over
IPv6: resolve it (A/AAAA, CNAMEs), then one request to its first AAAA address on its
scheme (no redirect followed, ``dependency_cap`` bytes of the answer read), under the
same politeness limits and timeouts as every other request. One CDN used by 500
portals is probed once and reported in each of their records, saying for which host
it was probed and when.

The page read is the first of: HTTPS over IPv6, HTTP over IPv6, HTTPS over IPv4,
HTTP over IPv4 that ended on a 2xx HTML answer; over IPv4 only when no IPv6 probe did,
so that the report can still say what an IPv6-only client would miss.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from selectolax.lexbor import LexborHTMLParser

from ..addresses import IPNetwork, is_allowed
from ..config import ScanOptions
from ..model import (
    Dependency,
    DependencyProbe,
    Family,
    InsecureRef,
    Outcome,
    PageFacts,
    Resolution,
    SiteInfo,
    StylesheetRead,
    WebProbe,
)
from ..timeutil import utcnow
from ._once import Once
from .dns import DnsClient
from .page import (URL_MAX, Found, Linked, Origin, css_references, join_url, origin_of, site_of, tree_links,
                   tree_references)
from .parity import decode_html
from .siteinfo import site_info
from .sitemap import read_sitemap
from .web import REDIRECT_STATUSES, WebProber

REDIRECT_HOPS = 3  # redirects of a dependency to other origins followed at most
MAX_INSECURE = 20  # plain-http references of an HTTPS page kept (and the first of each kind; all counted)
CACHE_ENTRIES = 10_000  # origins (and stylesheets) remembered per scan; the oldest go first beyond that
_OFF_LOOP_BYTES = 128 * 1024  # pages bigger than this are parsed in a thread
_PATH_SAFE = "/%:@!$&'()*+,;=-._~?"
_PAGE_ORDER = ((Family.V6, "https"), (Family.V6, "http"), (Family.V4, "https"), (Family.V4, "http"))


class Dependencies:
    """Per scan: each origin probed over IPv6 once, and each host's page read."""

    def __init__(
        self, *, dns: DnsClient, web: WebProber, options: ScanOptions, allowed: list[IPNetwork], ipv6_ok: bool
    ) -> None:
        self.dns = dns
        self.web = web
        self.options = options
        self.allowed = allowed
        self.ipv6_ok = ipv6_ok
        self._probes: Once[tuple[str, str, int], DependencyProbe] = Once(CACHE_ENTRIES)
        self._sheets: Once[str, tuple[StylesheetRead, bytes | None]] = Once(CACHE_ENTRIES)
        self._slots = asyncio.Semaphore(max(8, options.concurrency))

    def aclose(self) -> None:
        self._probes.cancel()
        self._sheets.cancel()

    async def read(self, host: str, probes: list[WebProbe], bodies: list[bytes | None], *, sitemap: bool = False,
                   keep: Callable[[PageFacts], object] | None = None, links: bool = False) -> PageFacts | None:
        """The host's page, what it loads, and each origin's IPv6 probe; None when no probe ended on a page.
        ``sitemap``: ask the page's site for its XML sitemap too (:mod:`.sitemap`), after handing the page's facts
        to ``keep``: a host whose time runs out while its sitemap is asked keeps its page. ``links``: probe the
        government sites the page links to as well (``options.link_domains``, the page's own site), each origin
        over IPv6 as a dependency is (the same probe, once per scan)."""
        chosen = _page_of(probes, bodies)
        if chosen is None:
            return None
        probe, body = chosen
        page_url = probe.final_url or f"{probe.scheme}://{host}/"
        page_host = urlsplit(page_url).hostname or host
        address = next((h.address for h in reversed(probe.hops) if h.address), probe.address)
        text = decode_html(body)
        own = frozenset({host.lower().rstrip("."), page_host.lower().rstrip(".")})
        linked = Linked(own=own, domains=(*self.options.link_domains, site_of(page_host)),
                        cap=self.options.max_links) if links else None
        if len(body) > _OFF_LOOP_BYTES:
            refs, shown = await asyncio.to_thread(_read_page, text, page_url, linked)
        else:
            refs, shown = _read_page(text, page_url, linked)
        cap = self.options.max_dependencies
        found = Found(own=own)
        for kind, url in refs:
            found.add(kind, url, cap=cap)
        sheets = list(dict.fromkeys(url for kind, url in refs if kind == "stylesheet"))[: self.options.max_stylesheets]
        reads = await asyncio.gather(*(self._sheet(url, own, address, host) for url in sheets))
        insecure = _Insecure() if page_url.lower().startswith("https:") else None  # (mixed content)
        for kind, url in refs if insecure is not None else ():
            insecure.add(kind, url)
        for url, (read, css) in zip(sheets, reads):
            secure_sheet = insecure is not None and url.lower().startswith("https:")  # (a sheet by http: is itself it)
            for kind, raw in css_references(decode_html(css)) if css else ():
                joined = join_url(url, raw)
                if joined:
                    found.add(kind, joined, cap=cap, in_css=True)
                    if secure_sheet:
                        insecure.add(kind, joined, in_css=True)  # type: ignore[union-attr]
        origins = [*found.origins, *(linked.origins if linked else ())]  # (one gather: dependencies, linked sites)
        probed = await asyncio.gather(*(self._origin(o, host) for o in origins))
        done, reached = probed[:len(found.origins)], probed[len(found.origins):]
        info = SiteInfo(**shown)
        page = PageFacts(
            url=page_url,
            address=probe.address,
            family=probe.family,
            length=len(body),
            truncated=probe.body_truncated,
            found=found.found,
            cap=cap,
            skipped=found.skipped,
            stylesheets=[read for read, _ in reads],
            dependencies=[_dependency(o, p) for o, p in zip(found.origins, done)],
            insecure=insecure.refs if insecure is not None else [],
            insecure_found=insecure.found if insecure is not None else None,
            insecure_kinds=insecure.kinds if insecure is not None else {},
            site_info=info,
            links=None if linked is None else [
                _dependency(o, p, text=linked.texts.get((o.scheme, o.host, o.port)) or None)
                for o, p in zip(linked.origins, reached)],
            links_found=linked.found if linked is not None else 0,
        )
        if sitemap:
            if keep is not None:
                keep(page)
            async with self._slots:
                info.xml_sitemap = await read_sitemap(self.web, page_url, page_host, address, self._locate)
        return page

    # ------------------------------------------------------------------ origins

    async def _origin(self, origin: Origin, for_host: str) -> DependencyProbe | None:
        if origin.literal is Family.V4:
            return None  # never reachable from an IPv6-only network: nothing to ask
        return await self._probes.get(
            (origin.scheme, origin.host, origin.port), lambda: self._probe(origin, for_host)
        )

    async def _probe(self, origin: Origin, for_host: str, hops: int = 0,
                     visited: frozenset[tuple[str, str, int]] = frozenset()) -> DependencyProbe:
        """``hops``, ``visited``: this origin is where a redirect led (followed here, not through the scan's
        cache: two origins redirecting to each other must not wait for each other's probe)."""
        at, t0 = utcnow(), time.monotonic()
        url = origin.url

        def done(outcome: Outcome, detail: str | None = None, **facts: object) -> DependencyProbe:
            elapsed = round((time.monotonic() - t0) * 1000, 1)
            return DependencyProbe(url=url, outcome=outcome, detail=detail, for_host=for_host, at=at,
                                   elapsed_ms=elapsed, **facts)  # type: ignore[arg-type]

        resolution: Resolution | None = None
        if origin.literal is Family.V4:  # (a redirect to an IPv4 address: an IPv6-only client cannot follow it)
            return done(Outcome.UNREACHABLE, f"{origin.host} is an IPv4 address: never reachable over IPv6")
        if origin.literal is Family.V6:
            candidates = [origin.host]
        else:
            resolution = await self.dns.resolve(origin.host)
            if resolution.aaaa.outcome != Outcome.OK:
                return done(resolution.aaaa.outcome, resolution.aaaa.detail, resolution=resolution)
            candidates = [a.address for a in resolution.addresses if a.family is Family.V6]
        allowed = [a for a in candidates if is_allowed(a, self.allowed)]
        if not allowed:
            return done(Outcome.SKIPPED_NON_GLOBAL, f"{candidates[0]} is not a global address: not probed",
                        resolution=resolution, address=candidates[0] if candidates else None)
        if not self.ipv6_ok:
            return done(Outcome.UNTESTABLE, "the scanner has no IPv6", resolution=resolution, address=allowed[0])
        async with self._slots:
            seen, _ = await self.web.probe(origin.host, allowed[0], origin.scheme, origin.port, path=_path(url),
                                           follow=False, cap=self.options.dependency_cap)
        redirect = None
        location = seen.hops[0].location if seen.hops else None  # (the first request's hop: none followed)
        target = _redirected(url, seen.status, location) if hops < REDIRECT_HOPS else None
        if target is not None and target.key not in visited | {origin.key}:
            redirect = await self._probe(target, for_host, hops + 1, visited | {origin.key})
        return done(seen.outcome, seen.detail, resolution=resolution, address=allowed[0], status=seen.status,
                    redirect=redirect)

    async def _locate(self, name: str, near: str) -> tuple[str | None, Outcome, str | None]:
        """An address to ask ``name`` at (a sitemap robots.txt names on another host): one this scan may probe, of
        the family of ``near`` first; else None, with why (the lookup failed, no address, none it may probe)."""
        resolution = await self.dns.resolve(name)
        if resolution.chain_outcome != Outcome.OK:
            return None, resolution.chain_outcome, f"{name}: the name could not be resolved"
        family = Family.V6 if ":" in near else Family.V4
        usable = [a for a in resolution.addresses
                  if is_allowed(a.address, self.allowed) and (a.family is not Family.V6 or self.ipv6_ok)]
        usable.sort(key=lambda a: a.family is not family)
        if usable:
            return usable[0].address, Outcome.OK, None
        if not resolution.addresses:
            failed = next((lookup for lookup in (resolution.aaaa, resolution.a) if lookup.outcome != Outcome.DNS_NODATA),
                          resolution.a)
            return None, failed.outcome, f"{name}: no address"
        return None, Outcome.SKIPPED_NON_GLOBAL, f"{name}: no address this scan may probe"

    # ------------------------------------------------------------------ stylesheets

    async def _sheet(
        self, url: str, own: frozenset[str], page_address: str, for_host: str
    ) -> tuple[StylesheetRead, bytes | None]:
        """A first-level stylesheet's text: from the page's own address when it is on the page's host,
        else over IPv6 where the origin has AAAA (IPv4 otherwise). Shared per URL across the scan for
        other hosts' stylesheets; the page's own are read for it alone."""
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        if host in own:
            return await self._fetch_sheet(url, host, page_address)
        key = Found(own=own)
        key.add("stylesheet", url, cap=1)
        if not key.origins:
            return StylesheetRead(url=url, outcome=Outcome.ERROR, detail="not a URL a browser would fetch"), None
        origin = key.origins[0]

        async def read() -> tuple[StylesheetRead, bytes | None]:
            address = await self._address_for(origin, for_host)
            if isinstance(address, StylesheetRead):
                return address, None
            return await self._fetch_sheet(url, origin.host, address)

        return await self._sheets.get(url, read)

    async def _address_for(self, origin: Origin, for_host: str) -> str | StylesheetRead:
        """Where to read a stylesheet of another origin: its IPv6 address, or IPv4 when IPv6 cannot be used."""
        if origin.literal is not None:
            return origin.host
        probe = await self._origin(origin, for_host)
        if probe is not None and probe.address and probe.outcome not in (Outcome.SKIPPED_NON_GLOBAL,
                                                                          Outcome.UNTESTABLE):
            if probe.status is not None:
                return probe.address
        resolution = probe.resolution if probe is not None else None
        v4 = [a.address for a in resolution.addresses if a.family is Family.V4] if resolution else []
        v4 = [a for a in v4 if is_allowed(a, self.allowed)]
        if v4:
            return v4[0]
        outcome = probe.outcome if probe is not None else Outcome.ERROR
        return StylesheetRead(url=origin.url, outcome=outcome, detail=probe.detail if probe else None)

    async def _fetch_sheet(self, url: str, host: str, address: str) -> tuple[StylesheetRead, bytes | None]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            return StylesheetRead(url=url, outcome=Outcome.ERROR, detail="bad port"), None
        if not is_allowed(address, self.allowed):
            return StylesheetRead(url=url, address=address, outcome=Outcome.SKIPPED_NON_GLOBAL,
                                  detail=f"{address} is not a global address: not read"), None
        async with self._slots:
            seen, body = await self.web.probe(host, address, scheme, port, path=_path(url), follow=False,
                                              cap=self.options.stylesheet_cap)
        ok = seen.status is not None and 200 <= seen.status < 300
        read = StylesheetRead(url=url, address=address, family=seen.family, outcome=seen.outcome, status=seen.status,
                              length=len(body) if body is not None else None, truncated=seen.body_truncated,
                              detail=seen.detail)
        return read, body if ok else None


def _read_page(text: str, url: str, linked: Linked | None = None
               ) -> tuple[list[tuple[str, str]], dict[str, str | None]]:
    """The page parsed once: what it loads without a click, and what it shows of Circular 32/2017 art. 16 (read
    last: that strips the scripts and styles from the tree); ``linked`` is given the page's links. (Off the
    event loop for a big page: a portal's thousand links are read there too.)"""
    tree = LexborHTMLParser(text)
    refs = tree_references(tree, url)
    if linked is not None:
        linked.read(tree_links(tree, url, linked.wants))
    return refs, site_info(tree, url, text)


def _page_of(probes: list[WebProbe], bodies: list[bytes | None]) -> tuple[WebProbe, bytes] | None:
    """The probe whose page is read: IPv6 first, HTTPS first; a 2xx answer with an HTML (or unnamed) body."""
    for family, scheme in _PAGE_ORDER:
        for probe, body in zip(probes, bodies):
            if probe.family is family and probe.scheme == scheme and body and _is_page(probe):
                return probe, body
    return None


def _is_page(probe: WebProbe) -> bool:
    if probe.final_status is None or not 200 <= probe.final_status < 300:
        return False
    kind = probe.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("", "text/html", "application/xhtml+xml")


def _dependency(origin: Origin, probe: DependencyProbe | None, text: str | None = None) -> Dependency:
    return Dependency(scheme=origin.scheme, host=origin.host, port=origin.port, url=origin.url, kinds=origin.kinds,
                      refs=origin.refs, literal=origin.literal, in_css=origin.in_css, probe=probe, text=text)


def _path(url: str) -> str:
    """The request target of a URL (path and query), percent-encoded as a request line needs it."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return quote(path, safe=_PATH_SAFE)[:2048]


def _redirected(url: str, status: int | None, location: str | None) -> Origin | None:
    """The other origin a redirect answer sends a client to; None when the answer is no redirect, or stays on
    the origin asked (a path of its own is the same origin's business)."""
    if status not in REDIRECT_STATUSES or not location:
        return None
    target = join_url(url, location)
    origin, asked = origin_of(target) if target else None, origin_of(url)
    return None if origin is None or asked is None or origin.key == asked.key else origin


class _Insecure:
    """The plain-http references of a page read over HTTPS (mixed content), each URL once: every one counted by
    kind; the first MAX_INSECURE kept, and past them the first of each kind not kept yet (a script after fifty
    images must still be seen)."""

    def __init__(self) -> None:
        self.refs: list[InsecureRef] = []
        self.kinds: dict[str, int] = {}
        self._seen: set[str] = set()

    @property
    def found(self) -> int:
        return len(self._seen)

    def add(self, kind: str, url: str | None, *, in_css: bool = False) -> None:
        if not url or kind == "refresh" or url[:5].lower() != "http:" or url in self._seen:
            return  # (a meta refresh is a navigation, not content the page loads)
        self._seen.add(url)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if len(self.refs) < MAX_INSECURE or self.kinds[kind] == 1:
            self.refs.append(InsecureRef(kind=kind, url=url[:URL_MAX], in_css=in_css))
