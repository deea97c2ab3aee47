"""What a page makes a browser load without a click: its sub-resources, as origins (pure, no I/O).

The page is hostile input. It is parsed with selectolax's Lexbor engine (an HTML5
parser in C: the tree a browser builds, in about 7 ms for 120 KB), never executed:
no script runs and nothing is fetched here. The body arrives capped by the web
probe (``body_cap``); the origins kept are capped by the caller (``cap``) and the
number found before the cap is recorded.

A browser loads, without a click: ``script[src]``; ``link`` with rel stylesheet,
preload, modulepreload, icon (and apple-touch-icon) or manifest; ``img`` (src,
srcset), ``source`` (src, srcset), ``video`` (src, poster), ``audio``, ``track``,
``iframe``, ``frame``, ``embed``, ``object[data]``, ``input[type=image]``; CSS
``@import`` and ``url()`` in ``<style>`` and ``style=""``; and the target of
``<meta http-equiv=refresh>``. ``<base href>`` moves the base URL. Only http and
https URLs are dependencies (``data:``, ``blob:``, ``javascript:`` load nothing
from the network).

CSS is scanned for ``url()`` and ``@import`` tokens by the CSS Syntax rules for
those two tokens (comments removed, quoted and unquoted forms, escapes undone):
tinycss2, the well-kept CSS parser, measured 1.2 ms per KB here (0.3 s for one
243 KB stylesheet, thirty hosts' worth of CPU), and only these two tokens are
needed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import idna
from selectolax.lexbor import LexborHTMLParser

from ..model import Family

DEFAULT_PORTS = {"http": 80, "https": 443}
URL_MAX = 2048  # characters of a dependency's example URL kept

# (selector, attribute, kind): the elements a browser fetches from on its own.
_FETCHED = (
    ("script[src]", "src", "script"),
    ("img[src]", "src", "image"),
    ("img[srcset]", "srcset", "image"),
    ("source[src]", "src", "media"),
    ("source[srcset]", "srcset", "image"),
    ("video[src]", "src", "media"),
    ("video[poster]", "poster", "image"),
    ("audio[src]", "src", "media"),
    ("track[src]", "src", "media"),
    ("iframe[src]", "src", "frame"),
    ("frame[src]", "src", "frame"),
    ("embed[src]", "src", "object"),
    ("object[data]", "data", "object"),
    ('input[type="image" i][src]', "src", "image"),
)
_LINK_KINDS = {
    "stylesheet": "stylesheet",
    "preload": "preload",
    "modulepreload": "script",
    "icon": "icon",
    "apple-touch-icon": "icon",
    "manifest": "manifest",
}

_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(.))", re.S)
_STRING = r""""((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'"""
_CSS_URL = re.compile(
    r"""url\(\s*(?:""" + _STRING + r"""|((?:[^\s"'()\\]|\\[0-9a-fA-F]{1,6}[ \t\n\r\f]?|\\[^\n0-9a-fA-F])*))\s*\)""" + "|" + r"""@import\s+(?:""" + _STRING + ")",
    re.I | re.S,
)
_HOST = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")  # letters, digits, hyphens (and the underscores seen in use)
_REFRESH_URL = re.compile(r"""^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.*?)\1\s*$""", re.I | re.S)


@dataclass
class Origin:
    """One (scheme, host, port) the page loads from: every kind of thing, how often, the first URL."""

    scheme: str
    host: str  # ASCII, lower case, no trailing dot; an IP literal without brackets
    port: int
    url: str  # the first URL seen
    kinds: list[str] = field(default_factory=list)
    refs: int = 0
    literal: Family | None = None  # the host is an IP address of this family
    in_css: bool = False  # first found in a stylesheet, not in the page itself

    @property
    def key(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port


@dataclass
class Found:
    """What a page (and the stylesheets read for it) loads: origins in the order first seen, capped."""

    origins: list[Origin] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)  # first-level stylesheet URLs, in page order
    found: int = 0  # distinct origins seen, including those past the cap
    skipped: int = 0  # references that were not http(s) URLs a browser could fetch (bad URL, unknown scheme)
    own: frozenset[str] = frozenset()  # the page's own host names: probed as the host itself, not as dependencies
    _index: dict[tuple[str, str, int], Origin | None] = field(default_factory=dict)  # None: found past the cap

    def add(self, kind: str, url: str, *, cap: int, in_css: bool = False) -> None:
        """Count one reference (an absolute URL) of ``kind``."""
        key = _origin_key(url)
        if key is None:
            self.skipped += 1
            return
        if key[1] in self.own:
            return
        origin = self._index.get(key, _MISSING)
        if origin is _MISSING:  # (an origin past the cap is remembered too: counted once, as Linked does)
            self.found += 1
            origin = None
            if len(self.origins) < cap:
                scheme, host, port = key
                origin = Origin(scheme, host, port, url[:URL_MAX], literal=_literal(host), in_css=in_css)
                self.origins.append(origin)
            self._index[key] = origin
        if origin is None:
            return
        origin.refs += 1
        if kind not in origin.kinds:
            origin.kinds.append(kind)


def page_references(text: str, base_url: str) -> list[tuple[str, str]]:
    """Every (kind, absolute URL) the page loads without a click, in document order per kind of element."""
    return tree_references(LexborHTMLParser(text), base_url)


def _base_of(tree: LexborHTMLParser, page_url: str) -> str:
    """What the page's relative URLs are resolved against: its first ``<base href>``, else its own URL."""
    node = tree.css_first("base[href]")
    return (join_url(page_url, node.attributes.get("href") or "") or page_url) if node is not None else page_url


def tree_references(tree: LexborHTMLParser, base_url: str) -> list[tuple[str, str]]:
    """:func:`page_references` of a page already parsed (read before anything changes the tree)."""
    base = _base_of(tree, base_url)
    refs: list[tuple[str, str]] = []

    def add(kind: str, raw: str | None) -> None:
        if raw and (url := join_url(base, raw)):
            refs.append((kind, url))

    for node in tree.css("link[href][rel]"):
        rels = (node.attributes.get("rel") or "").lower().split()
        for rel in rels:
            if rel in _LINK_KINDS:
                add(_LINK_KINDS[rel], node.attributes.get("href"))
                break
    for selector, attribute, kind in _FETCHED:
        for node in tree.css(selector):
            value = node.attributes.get(attribute)
            if attribute == "srcset":
                for candidate in srcset_urls(value or ""):
                    add(kind, candidate)
            else:
                add(kind, value)
    for node in tree.css("style"):
        for kind, raw in css_references(node.text(deep=True) or ""):
            add(kind, raw)
    for node in tree.css("[style]"):
        for kind, raw in css_references(node.attributes.get("style") or ""):
            add(kind, raw)
    for node in tree.css("meta[http-equiv][content]"):
        if (node.attributes.get("http-equiv") or "").strip().lower() == "refresh":
            add("refresh", refresh_url(node.attributes.get("content") or ""))
    return refs


LINK_TEXT_MAX = 80  # characters of a link's text kept


def tree_links(tree: LexborHTMLParser, base_url: str,
               wanted: Callable[[str], bool] | None = None) -> list[tuple[str, str]]:
    """(absolute URL, text) of every link a citizen can click on the page (``<a href>``, ``<area href>``), in
    document order: the text is the link's words (else its title, aria-label or image's alt), blanks folded,
    at most :data:`LINK_TEXT_MAX` characters; only the URLs ``wanted`` keeps, when given (their words are not
    read). Read before anything changes the tree."""
    base = _base_of(tree, base_url)
    links = []
    for node in tree.css("a[href], area[href]"):
        url = join_url(base, node.attributes.get("href") or "")
        if url is None or wanted is not None and not wanted(url):
            continue
        text = " ".join((node.text(deep=True) or "").split())
        if not text:
            attrs = node.attributes
            image = node.css_first("img[alt]") if node.tag == "a" else None
            text = " ".join((attrs.get("title") or attrs.get("aria-label") or attrs.get("alt")
                             or (image.attributes.get("alt") if image is not None else "") or "").split())
        links.append((url, text[:LINK_TEXT_MAX]))
    return links


_MISSING = object()


def _origin_part(url: str) -> str:
    """``scheme://authority`` of a URL (``https://a.example:8443`` of ``https://a.example:8443/x?y``)."""
    start = url.find("//")
    if start < 0:
        return url
    end = len(url)
    for mark in "/?#":
        i = url.find(mark, start + 2)
        if 0 <= i < end:
            end = i
    return url[:end]


def under(host: str, domains: Iterable[str]) -> bool:
    """Is ``host`` one of ``domains`` or below one (``sotttt.danang.gov.vn`` is under ``gov.vn``)?"""
    return any(host == d or host.endswith("." + d) for d in domains)


def site_of(host: str) -> str:
    """The site a host stands for, to tell its own links: the name without a leading ``www.``."""
    return host.removeprefix("www.") if host.count(".") >= 2 else host


@dataclass
class Linked:
    """The sites a page links to, one per origin (:func:`tree_links`): those kept, each first link's text, and
    how many were found."""

    own: frozenset[str]  # the page's own host names: never a linked site
    domains: tuple[str, ...]  # a linked host counts when under one of these (the page's own site among them)
    cap: int  # origins kept at most
    origins: list[Origin] = field(default_factory=list)
    texts: dict[tuple[str, str, int], str] = field(default_factory=dict)  # each kept origin's first link's text
    found: int = 0
    _index: dict[tuple[str, str, int], Origin | None] = field(default_factory=dict)  # None: found past the cap
    _own_urls: tuple[str, ...] = ()
    _own_roots: frozenset[str] = frozenset()
    _keys: dict[str, Any] = field(default_factory=dict)  # a URL's scheme://authority -> its _origin_key

    def __post_init__(self) -> None:
        # most of a portal's links are its own pages: told by their start, before the URL is taken apart
        roots = [f"{scheme}://{host}" for host in self.own for scheme in ("http", "https")]
        self._own_urls = tuple(root + end for root in roots for end in ("/", "?", "#"))
        self._own_roots = frozenset(roots)

    def read(self, links: Iterable[tuple[str, str]]) -> Linked:
        """Add every (URL, text) of :func:`tree_links`; this."""
        for url, text in links:
            self.add(url, text)
        return self

    def wants(self, url: str) -> bool:
        """Could ``url`` be a linked site? Not when it is the page's own (told by its start: most links are)."""
        return not (url.startswith(self._own_urls) or url in self._own_roots)

    def add(self, url: str, text: str) -> None:
        if not self.wants(url):
            return
        part = _origin_part(url)
        key = self._keys.get(part, _MISSING)
        if key is _MISSING:  # (a portal's thousand links share a few dozen origins: each is read once)
            key = self._keys[part] = _origin_key(url)
        if key is None or key[1] in self.own or _literal(key[1]) is not None or not under(key[1], self.domains):
            return
        if key in self._index:
            if (origin := self._index[key]) is not None:
                origin.refs += 1
            return
        self.found += 1
        origin = Origin(*key, url[:URL_MAX], kinds=["link"], refs=1) if len(self.origins) < self.cap else None
        self._index[key] = origin
        if origin is not None:
            self.origins.append(origin)
            self.texts[key] = text


def css_references(css: str) -> list[tuple[str, str]]:
    """(kind, URL as written) of every ``@import`` ("import") and ``url()`` ("css") in a stylesheet."""
    out = []
    text = _COMMENT.sub(" ", css)
    for m in _CSS_URL.finditer(text):
        dq, sq, bare, import_dq, import_sq = m.groups()
        if import_dq is not None or import_sq is not None:
            out.append(("import", _unescape(import_dq if import_dq is not None else import_sq)))
        else:
            raw = dq if dq is not None else sq if sq is not None else bare
            if raw:
                kind = "import" if text[max(0, m.start() - 16):m.start()].lower().rstrip().endswith("@import") else "css"
                out.append((kind, _unescape(raw)))
    return out


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a srcset attribute (HTML's parsing rules: a URL may hold commas, descriptors follow it)."""
    urls, i, n = [], 0, len(srcset)
    while i < n:
        while i < n and (srcset[i].isspace() or srcset[i] == ","):
            i += 1
        start = i
        while i < n and not srcset[i].isspace():
            i += 1
        url = srcset[start:i]
        if url.endswith(","):
            url = url.rstrip(",")
        else:  # skip the descriptors, up to the next comma outside parentheses
            depth = 0
            while i < n and (srcset[i] != "," or depth):
                depth += {"(": 1, ")": -1}.get(srcset[i], 0)
                i += 1
        if url:
            urls.append(url)
    return urls


def refresh_url(content: str) -> str | None:
    """The URL of a ``<meta http-equiv=refresh content="5; url=...">`` (None: a plain reload)."""
    m = _REFRESH_URL.match(content)
    url = m.group(2).strip() if m else ""
    return url or None


def join_url(base: str, raw: str) -> str | None:
    """``raw`` resolved against ``base``; None for an empty or fragment-only reference or a malformed URL."""
    raw = raw.strip()
    if not raw or raw.startswith("#"):
        return None
    try:
        return urljoin(base, raw)
    except ValueError:
        return None


def origin_of(url: str) -> Origin | None:
    """The origin of an absolute http(s) URL (as a page's reference would give it); None when a browser would
    not fetch it."""
    key = _origin_key(url)
    if key is None:
        return None
    scheme, host, port = key
    return Origin(scheme, host, port, url[:URL_MAX], literal=_literal(host))


def _origin_key(url: str) -> tuple[str, str, int] | None:
    """(scheme, ASCII host, port) of an http(s) URL; None when it is not one a browser would fetch."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:  # a bad port, a bad IPv6 literal
        return None
    host = parts.hostname.rstrip(".")
    if _literal(host) is not None:
        return scheme, ipaddress.ip_address(host).compressed, port
    try:
        host = idna.encode(host, uts46=True, std3_rules=False).decode("ascii") if not host.isascii() else host
    except idna.IDNAError:
        return None
    if len(host) > 253 or not _HOST.match(host) or any(len(label) > 63 for label in host.split(".")):
        return None
    return scheme, host.lower(), port


def _literal(host: str) -> Family | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return Family.V6 if address.version == 6 else Family.V4


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1):
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return "" if m.group(2) == "\n" else m.group(2)

    return _ESCAPE.sub(one, text)
