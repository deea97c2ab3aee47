"""The XML sitemap a state portal must publish (Circular 32/2017/TT-BTTTT art. 16): asked of the page's own site.

``/sitemap.xml`` first (where sites and crawlers put it); when that is no sitemap, the first ``Sitemap:`` line of
``/robots.txt`` (RFC 9309 leaves the field to sitemaps.org, which defines it). Every request goes to the address
the page was read from, with the page's host as Host and SNI, redirects followed; the answer is a sitemap when
it is XML whose root element is ``<urlset>`` or ``<sitemapindex>`` (sitemaps.org), read from its first
:data:`CAP` bytes. A ``Sitemap:`` line naming another host (``www.`` beside the bare name, a static host) is read
there: the name is resolved and the sitemap asked at one of its addresses, the page's family first (``locate``);
without a way to resolve it, it is recorded as named, not read (``found`` None).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from ..model import Outcome, SitemapRead
from .web import WebProber

CAP = 16 * 1024  # bytes of a sitemap or robots.txt read at most (the root element comes first)
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:urlset|sitemapindex)[\s>/]")
_ROBOTS_LINE = re.compile(r"^[ \t]*sitemap[ \t]*:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def is_sitemap(body: bytes | None) -> bool:
    """Is this the start of an XML sitemap (its root element ``urlset`` or ``sitemapindex``, any prefix), plain or
    gzipped (sitemaps.org allows ``sitemap.xml.gz``; the start of the stream is enough)?"""
    if not body:
        return False
    if body[:2] == b"\x1f\x8b":
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, CAP)
        except zlib.error:
            return False
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    return _ROOT.search(start[:CAP]) is not None and not start[:256].lower().startswith((b"<!doctype html", b"<html"))


def robots_sitemap(text: str) -> str | None:
    """The first ``Sitemap:`` URL of a robots.txt; None when it names none."""
    found = _ROBOTS_LINE.search(text)
    return found.group(1) if found else None


def first_url(page_url: str) -> str:
    """Where the sitemap is asked first: ``/sitemap.xml`` on the page's site."""
    parts = urlsplit(page_url)
    return f"{parts.scheme.lower()}://{parts.netloc}/sitemap.xml"


Locate = Callable[[str, str], Awaitable["tuple[str | None, Outcome, str | None]"]]
"""(another host's name, the page's address) -> (an address to ask it at, or None with the outcome and detail
of not finding one)."""


async def read_sitemap(web: WebProber, page_url: str, host: str, address: str,
                       locate: Locate | None = None) -> SitemapRead:
    """The page's site's XML sitemap, asked at ``address`` (where the page was read); one robots.txt names on
    another host, at the address ``locate`` gives for it."""
    parts = urlsplit(page_url)
    scheme = parts.scheme.lower()
    port = _port(parts.port, scheme)
    read = await _read(web, first_url(page_url), host, address, scheme, port, "/sitemap.xml")
    if read.found:
        return read
    seen, body = await web.probe(host, address, scheme, port, path="/robots.txt", cap=CAP)
    named = robots_sitemap(body.decode("utf-8", "replace")) if body and seen.status == 200 else None
    if named is None:
        return read
    target = urlsplit(named)
    try:
        target_port = _port(target.port, target.scheme.lower())
    except ValueError:
        target_port = 0
    if target.scheme.lower() not in ("http", "https") or not target.hostname or not target_port:
        return SitemapRead(url=named, address=address, outcome=Outcome.OK, robots=True,
                           detail="robots.txt names no http(s) URL")
    other = target.hostname.lower().rstrip(".")
    at, name = address, host
    if other != host.lower().rstrip("."):
        if locate is None:
            return SitemapRead(url=named, outcome=Outcome.OK, found=None, robots=True,
                               detail="named by robots.txt on another host: not read")
        located, outcome, detail = await locate(other, address)
        if located is None:
            return SitemapRead(url=named, outcome=outcome, found=False, robots=True, detail=detail)
        at, name = located, other
    path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    named_read = await _read(web, named, name, at, target.scheme.lower(), target_port, path)
    named_read.robots = True
    return named_read


async def _read(web: WebProber, url: str, host: str, address: str, scheme: str, port: int, path: str) -> SitemapRead:
    seen, body = await web.probe(host, address, scheme, port, path=path, cap=CAP)
    ok = seen.status is not None and 200 <= seen.status < 300
    return SitemapRead(url=url, address=address, outcome=seen.outcome, status=seen.status,
                       found=ok and is_sitemap(body), detail=seen.detail)


def _port(port: int | None, scheme: str) -> int:
    return port or (443 if scheme == "https" else 80)
