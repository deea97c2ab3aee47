"""Scan options: one typed record, shared by every probe, the runner and the CLI."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import msgspec

from ._version import __version__
from .catalogue import Message
from .errors import UsageProblem

DEFAULT_DB = Path("reports") / "history.sqlite"  # the history database (docs/history.md)

DEFAULT_USER_AGENT = f"ipv6scan/{__version__} (IPv6 readiness scanner; +https://pypi.org/project/ipv6scan/)"


class Ipv6Mode(StrEnum):
    AUTO = "auto"  # ask the kernel whether an IPv6 route exists
    YES = "yes"  # assume working IPv6 egress
    NO = "no"  # assume none: every IPv6 probe is "untestable"


class HostsAsked(StrEnum):
    """Which hosts an extra reading is asked of (the XML sitemap, the sites the page links to)."""

    PORTALS = "portals"  # the hosts listed as portal or dichvucong
    ALL = "all"
    NONE = "none"


XmlSitemap = HostsAsked  # (--xml-sitemap's name for it)
PORTAL_KINDS = frozenset({"portal", "dichvucong"})  # the kinds HostsAsked.PORTALS asks
LINK_DOMAINS = ("gov.vn",)  # the sites a page links to that are probed: under these, or under the page's own site


def link_domains(names: list[str]) -> list[str]:
    """Domains as ``ScanOptions.link_domains`` keeps them: ASCII (IDNA), lower case, no dots at the ends.
    UsageProblem (a ValueError) naming one that is no domain name."""
    out = []
    for name in names:
        text = name.strip().strip(".").lower()
        ascii_name = text if text.isascii() else _a_labels(text)
        if not ascii_name or not _DOMAIN.fullmatch(ascii_name):
            raise UsageProblem(Message("not_a_domain", name=name))
        out.append(ascii_name)
    return out


_DOMAIN = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


def _a_labels(name: str) -> str:
    """A Unicode domain as IDNA 2008 A-labels (UTS 46 mapping, as host names in targets and pages are read); ""
    when it cannot be one. (idna is imported here: every command's start-up reads this module, --help too.)"""
    import idna

    try:
        return idna.encode(name, uts46=True, std3_rules=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return ""


def asks(wanted: HostsAsked, kind: str | None) -> bool:
    """Is a host listed as ``kind`` asked, when ``wanted`` says which are?"""
    return wanted is HostsAsked.ALL or (wanted is HostsAsked.PORTALS and kind in PORTAL_KINDS)


class ScanOptions(msgspec.Struct, kw_only=True):
    # DNS
    resolvers: list[str] = []  # "ip", "ip:port", "[ip]:port"; empty: the system's (/etc/resolv.conf)
    dns_timeout: float = 3.0  # per query attempt
    dns_retries: int = 1  # extra attempts after a timeout
    max_cname_chain: int = 16
    check_zone: bool = True  # NS and MX of the enclosing zone
    resolution_chain: bool = True  # every zone from the TLD down for each name a client needs (with check_zone)
    dnssec_validation: bool = True  # walk each zone's chain of trust from a trust anchor (with check_zone)
    trust_anchors: list[str] = []  # files of DS/DNSKEY records; empty: the IANA root keys shipped with ipv6scan
    # connections
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    retries: int = 1  # a timed-out probe is tried again this many times before it counts
    http_port: int = 80
    https_port: int = 443
    smtp_port: int = 25
    dns_port: int = 53  # port of name servers probed over IPv6/IPv4
    body_cap: int = 512 * 1024  # bytes of a body read at most
    max_redirects: int = 10
    user_agent: str = DEFAULT_USER_AGENT
    ca_bundles: list[str] = []  # extra PEM trust anchors, added to certifi's
    tls_versions: bool = True  # ask each HTTPS address which TLS versions it accepts (a handshake per version)
    tls_profile: str | None = None  # what tls.profile.* judge against (checks/tls-profiles.toml); None: its default
    # the whole service: what the page loads without a click
    subresources: bool = True  # read the page, probe every origin it loads from over IPv6 (once per scan)
    # ask the page's site for its XML sitemap (Circular 32/2017 art. 16): for hosts listed as portal or
    # dichvucong (the kinds art. 16's criterion is judged on), for all, or for none; one or two requests a host
    xml_sitemap: XmlSitemap = XmlSitemap.PORTALS
    # the government sites the page links to (a click away), each probed over IPv6 like a dependency (once per
    # scan): for portal and dichvucong hosts (a citizen starts there), for all, or none; links to hosts under
    # link_domains or under the page's own site, at most max_links sites a page (the number found beyond is kept)
    links: HostsAsked = HostsAsked.PORTALS
    link_domains: list[str] = msgspec.field(default_factory=lambda: list(LINK_DOMAINS))
    max_links: int = 16
    max_dependencies: int = 64  # origins kept per page; the number found beyond is recorded
    max_stylesheets: int = 8  # first-level stylesheets read per page for their @import and url() hosts
    stylesheet_cap: int = 256 * 1024  # bytes of a stylesheet read at most
    dependency_cap: int = 16 * 1024  # bytes of a dependency's answer read at most
    # policy
    allow_special: list[str] = []  # special-purpose prefixes that may be probed (labs, internal networks)
    ipv6: Ipv6Mode = Ipv6Mode.AUTO
    # scale and politeness
    concurrency: int = 32  # hosts scanned at once
    per_host_connections: int = 8  # connections at once within one host's scan
    host_budget: float = 120.0  # seconds for one host as a whole; what is unfinished then is recorded as timed out
    per_address_connections: int = 4  # connections at once to one target address, across the whole scan
    rate_per_address: float | None = None  # new connections per second to one target address (None: no limit)
    share_connect_failures: bool = True  # a connect to (address, port) that failed twice answers for other names
    workers: int = 1  # processes scanning at once (>1: one main process feeding that many worker processes,
    # e.g. one per core); concurrency and the per-address limits above are divided between them, so their sum
    # never exceeds what is set here (workers is capped at per_address_connections and concurrency for that)


DEFAULTS = ScanOptions()  # every option's default, defined once: the CLI and the audit config read them here
