"""The in-process test network: a scenario catalogue served on loopback.

DNS publishes documentation addresses (192.0.2.0/24, 2001:db8::/32); a
:class:`~ipv6scan.net.LabNetwork` routes each (address, port) to a real
listener on 127.0.0.1 or ::1: an authoritative DNS server (real DNS packets),
aiohttp web servers (real TCP and TLS, certificates from a throwaway CA) and an
SMTP greeter. Nothing is routed anywhere else, so a scan of the lab can never
leave the machine. Used by the test-suite and by ``ipv6scan demo``.

Run ``python -m ipv6scan.testnet.lab`` to keep the lab up and print the
``ipv6scan scan`` arguments that scan it.
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import dns.name
import dns.reversename

from ..config import Ipv6Mode, ScanOptions
from ..model import ScanLine, Verdict
from ..net import LabNetwork
from .dns_server import DnsServer
from .signing import anchor_line, new_key, sign
from .smtp_server import SmtpServer
from .web_server import CertFactory, Page, WebServer

ALLOW = ["192.0.2.0/24", "2001:db8::/32"]
V4, V6 = "127.0.0.1", "::1"
IDN_HOST = "cổng.gov.example"


@dataclass(frozen=True)
class Scenario:
    host: str  # as a user would type it (may be Unicode)
    verdict: Verdict
    reasons: frozenset[str] = frozenset()  # reason codes that must be among the result's reasons
    about: str = ""


SCENARIOS = [
    Scenario("dual.gov.example", Verdict.READY, about="dual-stack, valid TLS, same site"),
    Scenario("v4only.gov.example", Verdict.NO_IPV6, about="IPv4 only"),
    Scenario("refuse6.gov.example", Verdict.BROKEN_IPV6, about="AAAA whose ports refuse"),
    Scenario("timeout6.gov.example", Verdict.BROKEN_IPV6, about="AAAA that never answers"),
    Scenario("diff6.gov.example", Verdict.PARTIAL, frozenset({"parity_content_differs"}), "another page over IPv6"),
    Scenario("badcert6.gov.example", Verdict.PARTIAL, frozenset({"tls_ipv6_only_problem"}), "self-signed cert on IPv6 only"),
    Scenario("expired.gov.example", Verdict.PARTIAL, frozenset({"tls_invalid"}), "expired certificate on both"),
    Scenario("httponly.gov.example", Verdict.READY, about="HTTP only, both families"),
    Scenario("www.gov.example", Verdict.READY, about="CNAME chain to a CDN-style name in another zone"),
    Scenario("loop.gov.example", Verdict.UNRESOLVABLE, about="CNAME loop"),
    Scenario("nx.gov.example", Verdict.UNRESOLVABLE, frozenset({"dns_nxdomain"}), "NXDOMAIN"),
    Scenario("servfail.gov.example", Verdict.UNRESOLVABLE, about="SERVFAIL"),
    Scenario("shared-a.gov.example", Verdict.READY, about="shares its addresses with shared-b; valid cert"),
    Scenario("shared-b.gov.example", Verdict.PARTIAL, frozenset({"tls_invalid"}), "same addresses, wrong certificate"),
    Scenario(IDN_HOST, Verdict.READY, about="internationalised (IDN) name"),
    Scenario("redirect6.gov.example", Verdict.PARTIAL, frozenset({"redirect_leaves_ipv6"}), "redirects to an IPv4-only host"),
    Scenario("multi6.gov.example", Verdict.PARTIAL, about="two AAAA, one dead"),
    Scenario("www.nsv4.example", Verdict.PARTIAL, frozenset({"ns_no_ipv6"}), "zone whose name servers and MX have no IPv6"),
    Scenario("www.onens.example", Verdict.READY, about="zone with one name server on IPv6"),
    Scenario("www.badsig.example", Verdict.READY, about="signed zone whose signatures expired (DNSSEC bogus)"),
    Scenario("deps.gov.example", Verdict.READY, about="page loads from an IPv4-only host, an IPv4 literal, a dead AAAA"),
    Scenario("cname4ns.gov.example", Verdict.READY, about="CNAME into a zone whose name servers are IPv4-only"),
    Scenario("secure.gov.example", Verdict.READY, about="HTTP redirects to HTTPS on both families, HSTS for a year"),
    Scenario("late6.gov.example", Verdict.READY, about="IPv6 answers 0.6 s later than IPv4"),
    Scenario("oldtls.gov.example", Verdict.READY, about="accepts TLS 1.0 to 1.3 on both families"),
    Scenario("tls12.gov.example", Verdict.READY, about="accepts TLS 1.2 only"),
    Scenario("chain.gov.example", Verdict.READY, about="certificate from an intermediate, sent with it"),
    Scenario("nointer.gov.example", Verdict.PARTIAL, frozenset({"tls_invalid"}),
             "certificate from an intermediate the server does not send"),
    Scenario("badroot.gov.example", Verdict.PARTIAL, frozenset({"tls_invalid"}),
             "chain sent up to a root nobody trusts"),
    Scenario("www.noglue.glue6.example", Verdict.READY,
             about="zone whose parent gives an A glue record only for its in-zone name server (chain broken)"),
    Scenario("www.stale.glue6.example", Verdict.READY,
             about="zone whose parent still delegates to an IPv4-only name server it no longer lists (chain broken)"),
    Scenario("www.mailcert6.example", Verdict.READY,
             about="mail server showing over IPv6 a certificate for another name"),
]

# Fictional units owning the scenario hosts (org, kind): one attains phase 1, the others show why not.
ORGS = {
    "dual.gov.example": ("Tỉnh Mẫu A", "portal"),
    "www.gov.example": ("Tỉnh Mẫu A", "dichvucong"),
    IDN_HOST: ("Tỉnh Mẫu A", "motcua"),
    "shared-a.gov.example": ("Tỉnh Mẫu A", "website"),
    "httponly.gov.example": ("Tỉnh Mẫu A", "website"),
    "v4only.gov.example": ("Tỉnh Mẫu B", "portal"),
    "refuse6.gov.example": ("Tỉnh Mẫu B", "dichvucong"),
    "timeout6.gov.example": ("Tỉnh Mẫu B", "motcua"),
    "diff6.gov.example": ("Tỉnh Mẫu C", "portal"),
    "badcert6.gov.example": ("Tỉnh Mẫu C", "dichvucong"),
    "expired.gov.example": ("Tỉnh Mẫu C", "website"),
    "redirect6.gov.example": ("Bộ Mẫu D", "portal"),
    "multi6.gov.example": ("Bộ Mẫu D", "dichvucong"),
    "shared-b.gov.example": ("Bộ Mẫu D", "website"),
    "www.nsv4.example": ("Bộ Mẫu D", "website"),
    "www.onens.example": ("Bộ Mẫu D", "data_portal"),
    "www.badsig.example": ("Bộ Mẫu D", "website"),
    "deps.gov.example": ("Tỉnh Mẫu F", "portal"),
    "cname4ns.gov.example": ("Tỉnh Mẫu F", "dichvucong"),
    "secure.gov.example": ("Tỉnh Mẫu F", "website"),
    "late6.gov.example": ("Tỉnh Mẫu F", "website"),
    "oldtls.gov.example": ("Tỉnh Mẫu G", "portal"),
    "tls12.gov.example": ("Tỉnh Mẫu G", "dichvucong"),
    "chain.gov.example": ("Tỉnh Mẫu G", "motcua"),
    "nointer.gov.example": ("Tỉnh Mẫu G", "website"),
    "badroot.gov.example": ("Tỉnh Mẫu G", "website"),
    "loop.gov.example": ("Tỉnh Mẫu E", "portal"),
    "nx.gov.example": ("Tỉnh Mẫu E", "dichvucong"),
    "servfail.gov.example": ("Tỉnh Mẫu E", "motcua"),
    "www.noglue.glue6.example": ("Bộ Mẫu D", "website"),
    "www.mailcert6.example": ("Bộ Mẫu D", "website"),
    "www.stale.glue6.example": ("Bộ Mẫu D", "website"),
}

_SOA = "@ 300 IN SOA ns1.gov.example. hostmaster.gov.example. 1 3600 600 86400 300\n"


def _zone(records: str) -> str:
    return "$TTL 300\n" + _SOA + "\n".join(line.strip() for line in records.strip().splitlines()) + "\n"


_REVERSE6 = "8.b.d.0.1.0.0.2.ip6.arpa."  # 2001:db8::/32


def _ptr(address: str) -> str:
    """The owner of an address's PTR record in :data:`_REVERSE6`, relative to it."""
    return dns.reversename.from_address(address).relativize(dns.name.from_text(_REVERSE6)).to_text()


def _idn(host: str) -> str:
    return host.encode("idna").decode() if not host.isascii() else host


# Signed for real when a Lab is made (fresh keys each time, testnet/signing.py): example. (the lab's trust
# anchor), gov.example. (its DS in example.: secure) and badsig.example. (signatures that ran out a week ago:
# bogus). Every other zone is unsigned, and example.'s signed NSEC proves it (insecure).
SIGNED = ("example.", "gov.example.", "badsig.example.")

ZONES = {
    # The "TLD" above every lab zone: an IPv6-only resolver walks it first (its servers have IPv6).
    "example.": _zone("""
        @ NS ns1.gov.example.
        @ NS ns2.gov.example.
        gov NS ns1.gov.example.
        cdn-provider NS ns1.gov.example.
        nsv4 NS ns.nsv4.example.
        onens NS a.onens.example.
        cdn-ok NS ns1.gov.example.
        deps-cdn NS ns1.gov.example.
        v4dns NS ns.v4dns.example.
        nsname4 NS dns6.v4dns.example.
        mailcert6 NS ns1.gov.example.
        glue6 NS nsp.glue6.example.
        badsig NS ns1.gov.example.
    """),
    "gov.example.": _zone(f"""
        @ NS ns1
        @ NS ns2
        @ MX 10 mail
        @ TXT "v=spf1 mx -all"
        ns1 A 192.0.2.53
        ns1 AAAA 2001:db8::53
        ns2 A 192.0.2.54
        ns2 AAAA 2001:db8::54
        mail A 192.0.2.25
        mail AAAA 2001:db8::25
        dual A 192.0.2.10
        dual AAAA 2001:db8::10
        v4only A 192.0.2.11
        refuse6 A 192.0.2.12
        refuse6 AAAA 2001:db8::12
        timeout6 A 192.0.2.13
        timeout6 AAAA 2001:db8::13
        diff6 A 192.0.2.14
        diff6 AAAA 2001:db8::14
        badcert6 A 192.0.2.15
        badcert6 AAAA 2001:db8::15
        expired A 192.0.2.16
        expired AAAA 2001:db8::16
        httponly A 192.0.2.17
        httponly AAAA 2001:db8::17
        www CNAME cdn
        cdn CNAME edge.cdn-provider.example.
        loop CNAME loop2
        loop2 CNAME loop
        shared-a A 192.0.2.20
        shared-a AAAA 2001:db8::20
        shared-b A 192.0.2.20
        shared-b AAAA 2001:db8::20
        {_idn(IDN_HOST).split('.')[0]} A 192.0.2.21
        {_idn(IDN_HOST).split('.')[0]} AAAA 2001:db8::21
        redirect6 A 192.0.2.22
        redirect6 AAAA 2001:db8::22
        multi6 A 192.0.2.23
        multi6 AAAA 2001:db8::23
        multi6 AAAA 2001:db8::24
        servfail A 192.0.2.99
        late6 A 192.0.2.18
        late6 AAAA 2001:db8::18
        oldtls A 192.0.2.60
        oldtls AAAA 2001:db8::60
        tls12 A 192.0.2.61
        tls12 AAAA 2001:db8::61
        chain A 192.0.2.62
        chain AAAA 2001:db8::62
        nointer A 192.0.2.63
        nointer AAAA 2001:db8::63
        badroot A 192.0.2.64
        badroot AAAA 2001:db8::64
        secure A 192.0.2.19
        secure AAAA 2001:db8::19
        sitemaps A 192.0.2.19
        sitemaps AAAA 2001:db8::19
        deps A 192.0.2.42
        deps AAAA 2001:db8::42
        cname4ns CNAME edge.v4dns.example.
    """),
    # Sub-resource hosts: a CDN that works over IPv6, and one with an IPv4-only host and a dead AAAA.
    "cdn-ok.example.": _zone("""
        @ NS ns1.gov.example.
        js A 192.0.2.43
        js AAAA 2001:db8::43
        fonts CNAME js
    """),
    "deps-cdn.example.": _zone("""
        @ NS ns1.gov.example.
        static4 A 192.0.2.44
        dead6 A 192.0.2.45
        dead6 AAAA 2001:db8::45
    """),
    # A zone whose only name server has no IPv6 (and which names another zone's server, dns6, that has).
    "v4dns.example.": _zone("""
        @ NS ns
        ns A 192.0.2.58
        dns6 A 192.0.2.59
        dns6 AAAA 2001:db8::59
        edge A 192.0.2.41
        edge AAAA 2001:db8::41
    """),
    "cdn-provider.example.": _zone("""
        @ NS ns1.gov.example.
        edge A 192.0.2.40
        edge AAAA 2001:db8::40
    """),
    "nsv4.example.": _zone("""
        @ NS ns
        @ MX 10 mx
        ns A 192.0.2.55
        mx A 192.0.2.26
        www A 192.0.2.30
        www AAAA 2001:db8::30
    """),
    # A signed zone whose signatures all expired a week ago (its DS at example. is right).
    "badsig.example.": _zone("""
        @ NS ns1.gov.example.
        www A 192.0.2.32
        www AAAA 2001:db8::32
    """),
    # A zone whose name server answers over IPv6 but is named in v4dns.example: an IPv6-only resolver
    # never learns its address (no glue: the name is outside the zone it serves). Its mail server's IPv6
    # address has no PTR, and its SPF lists the IPv4 address only.
    "nsname4.example.": _zone("""
        @ NS dns6.v4dns.example.
        @ MX 10 mx6
        @ TXT "v=spf1 ip4:192.0.2.26 -all"
        www A 192.0.2.10
        www AAAA 2001:db8::10
        mx6 A 192.0.2.26
        mx6 AAAA 2001:db8::26
    """),
    # A zone whose mail server shows over IPv6 (2001:db8::27, another machine) a certificate for another name,
    # where over IPv4 (192.0.2.27) it shows one for its own: senders that verify refuse mail over IPv6.
    "mailcert6.example.": _zone("""
        @ NS ns1.gov.example.
        @ MX 10 mx
        @ TXT "v=spf1 mx -all"
        www A 192.0.2.10
        www AAAA 2001:db8::10
        mx A 192.0.2.27
        mx AAAA 2001:db8::27
    """),
    # A parent zone served, at its own addresses, by a server that serves no child (PARENT_DNS: it answers with
    # referrals): noglue.glue6.example's only name server is named inside it and the parent's glue for it is an
    # A record alone, so an IPv6-only resolver cannot learn its address; glued.glue6.example's has AAAA glue too.
    "glue6.example.": _zone("""
        @ NS nsp
        nsp A 192.0.2.70
        nsp AAAA 2001:db8::70
        noglue NS ns.noglue
        ns.noglue A 192.0.2.71
        glued NS ns.glued
        ns.glued A 192.0.2.72
        ns.glued AAAA 2001:db8::72
        stale NS ns.nsv4.example.
        moved NS ns.nsv4.example.
        moved NS ns1.gov.example.
        moved NS ns.moved
        ns.moved A 192.0.2.73
    """),
    # Delegations the zones no longer agree with (their own NS set is ns1.gov.example, which answers over
    # IPv6): stale.'s parent names only nsv4.example's server (no AAAA), so an IPv6-only resolver never gets in;
    # moved.'s names it, and an in-zone server with A glue only, beside ns1.gov.example, which is enough.
    "stale.glue6.example.": _zone("""
        @ NS ns1.gov.example.
        www A 192.0.2.10
        www AAAA 2001:db8::10
    """),
    "moved.glue6.example.": _zone("""
        @ NS ns1.gov.example.
        www A 192.0.2.10
        www AAAA 2001:db8::10
    """),
    "noglue.glue6.example.": _zone("""
        @ NS ns
        ns A 192.0.2.71
        ns AAAA 2001:db8::71
        www A 192.0.2.10
        www AAAA 2001:db8::10
    """),
    "glued.glue6.example.": _zone("""
        @ NS ns
        ns A 192.0.2.72
        ns AAAA 2001:db8::72
        www A 192.0.2.10
        www AAAA 2001:db8::10
    """),
    # Reverse DNS of the lab's IPv6 documentation prefix: mail.gov.example's address has a PTR that resolves
    # back to it, and so has mx.mailcert6.example's; nsname4.example's mail server (2001:db8::26) has none.
    _REVERSE6: _zone(f"""
        @ NS ns1.gov.example.
        {_ptr("2001:db8::25")} PTR mail.gov.example.
        {_ptr("2001:db8::27")} PTR mx.mailcert6.example.
    """),
    "onens.example.": _zone("""
        @ NS a
        @ NS b
        a A 192.0.2.56
        a AAAA 2001:db8::56
        b A 192.0.2.57
        www A 192.0.2.31
        www AAAA 2001:db8::31
    """),
}

# Name-server and mail addresses -> which loopback family serves them.
DNS_ADDRESSES = ["192.0.2.53", "2001:db8::53", "192.0.2.54", "2001:db8::54", "192.0.2.55", "192.0.2.56",
                 "2001:db8::56", "192.0.2.57", "192.0.2.58", "192.0.2.59", "2001:db8::59", "192.0.2.71",
                 "2001:db8::71", "192.0.2.72", "2001:db8::72"]
PARENT_DNS = ["192.0.2.70", "2001:db8::70"]  # glue6.example's server: that zone alone, with referrals

# deps.gov.example's page: what it loads, and from where (each kind of trouble an IPv6-only client meets;
# redirect6.gov.example answers with a redirect to v4only.gov.example, which has no AAAA).
DEPS_PAGE = """<html><head><title>deps.gov.example</title>
<link rel="stylesheet" href="/site.css">
<script src="https://js.cdn-ok.example/app.js"></script>
<script src="https://dead6.deps-cdn.example/widget.js"></script>
<script src="https://redirect6.gov.example/moved.js"></script>
</head><body><h1>Cổng thông tin điện tử</h1>
<img src="http://192.0.2.77/logo.png" alt="logo">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="">
<p>Thông báo, tin tức, dịch vụ công trực tuyến.</p></body></html>"""
DEPS_CSS = """/* the site's stylesheet: a font from the CDN, a background from an IPv4-only host */
@import url("https://fonts.cdn-ok.example/font.css");
body { background: url(http://static4.deps-cdn.example/bg.png) }"""
# dual.gov.example's menu: the government sites a citizen clicks on to (web.links_ipv6): one that answers over
# IPv6, one with no AAAA, one whose AAAA never answers; its own pages, a site outside the link domain and an
# IPv4 literal are not linked sites
PORTAL_LINKS = """<nav><ul>
<li><a href="https://www.gov.example/">Cổng dịch vụ công</a></li>
<li><a href="https://v4only.gov.example/gioi-thieu">Sở Thông tin và Truyền thông</a></li>
<li><a href="http://timeout6.gov.example/"><img src="/mot-cua.png" alt="Hệ thống một cửa"></a></li>
<li><a href="https://www.gov.example/thu-tuc">Thủ tục hành chính</a></li>
<li><a href="https://dual.gov.example/tin-tuc">Tin tức</a></li>
<li><a href="/lien-he">Liên hệ</a></li>
<li><a href="https://www.example.org/">Đối tác</a></li>
<li><a href="https://192.0.2.10/">Máy chủ</a></li>
</ul></nav>"""
LINK_DOMAIN = "gov.example"  # the lab's government domain: what its portal's links are probed under
SMTP_ADDRESSES = ["192.0.2.25", "2001:db8::25", "192.0.2.26", "192.0.2.27"]
SMTP_PLAIN6 = "2001:db8::26"  # mx6.nsname4.example over IPv6: no STARTTLS, where its IPv4 offers it
SMTP_WRONG_CERT6 = "2001:db8::27"  # mx.mailcert6.example over IPv6: a certificate for another name


def _page(host: str, text: str = "Cổng thông tin điện tử — welcome") -> Page:
    return Page(body=(
        f"<html><head><title>{host}</title></head><body><h1>{text}</h1>"
        '<form><input type="hidden" name="csrf_token" value="{nonce}"></form>'
        "<p>" + "Thông báo, tin tức, dịch vụ công trực tuyến. " * 40 + "</p></body></html>"
    ))


@dataclass
class _Site:
    """What one documentation address serves on 80 and 443."""

    address: str
    hosts: list[str]
    http: str = "serve"  # serve | refuse | blackhole | unmapped
    https: str = "serve"
    certs: dict[str, str] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    http_pages: dict[str, Page] = field(default_factory=dict)  # what port 80 answers instead (a redirect to HTTPS)
    tls_versions: tuple[str, str] | None = None  # oldest, newest accepted on 443 (None: TLS 1.2 and 1.3)


def _sites() -> list[_Site]:
    redirect = Page(status=301, body="moved", headers={"Location": "https://v4only.gov.example/"})
    other = Page(body="<html><head><title>Bảo trì</title></head><body>Hệ thống đang bảo trì. Maintenance.</body></html>")
    asset = Page(body="/* an asset */", headers={"Content-Type": "text/css"})
    framed = Page(body=_page("diff6.gov.example").body, headers={"X-Frame-Options": "DENY"})  # over IPv4 only
    to_https = Page(status=301, body="moved", headers={"Location": "https://secure.gov.example/"})
    footer = ("<footer><p>Cơ quan chủ quản: Ủy ban nhân dân Tỉnh Mẫu A</p><p>Chịu trách nhiệm chính: Chánh Văn phòng"
              "</p><p>Địa chỉ: 1 Trần Phú, Tỉnh Mẫu A</p><p>Điện thoại: 0236 3822 123</p><p>Email: "
              '<a href="mailto:vanphong@secure.gov.example">vanphong@secure.gov.example</a></p>'
              '<p><a href="/so-do-cong">Sơ đồ cổng</a></p></footer>')
    # its XML sitemap is where robots.txt says (its /sitemap.xml is the page again, as many sites answer)
    sitemaps = {"/robots.txt": Page(body="User-agent: *\nDisallow:\nSitemap: https://secure.gov.example/sitemap-index.xml\n",
                                    headers={"Content-Type": "text/plain"}),
                "/sitemap-index.xml": Page(body='<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns='
                                                '"http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>'
                                                "https://secure.gov.example/sitemap-1.xml</loc></sitemap></sitemapindex>",
                                           headers={"Content-Type": "application/xml"})}
    # a well-kept site: HSTS, the security headers, the footer and sitemap Circular 32/2017 art. 16 asks for
    hsts = Page(body=_page("secure.gov.example").body.replace("</body>", footer + "</body>"), headers={
        "Strict-Transport-Security": "max-age=31536000", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'self'; frame-ancestors 'self'", "Referrer-Policy": "no-referrer"},
        paths=sitemaps)
    # chain.gov.example's robots.txt names its sitemap on another host of the province, sitemaps.gov.example
    elsewhere = Page(body="<html><body>Sơ đồ</body></html>", paths={"/chain.xml": Page(
        body='<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>'
             "https://chain.gov.example/</loc></url></urlset>", headers={"Content-Type": "application/xml"})})
    robots_elsewhere = Page(body=_page("chain.gov.example").body, paths={"/robots.txt": Page(
        body="Sitemap: https://sitemaps.gov.example/chain.xml\n", headers={"Content-Type": "text/plain"})})
    deps = Page(body=DEPS_PAGE, paths={"/site.css": Page(body=DEPS_CSS, headers={"Content-Type": "text/css"})})
    portal = Page(body=_page("dual.gov.example").body.replace("<h1>", PORTAL_LINKS + "<h1>"))
    idn = _idn(IDN_HOST)
    sites = []
    for fam, prefix in (("v4", "192.0.2."), ("v6", "2001:db8::")):
        v6 = fam == "v6"
        sites += [
            _Site(prefix + "10", ["dual.gov.example"], pages={"dual.gov.example": portal}),
            _Site(prefix + "12", ["refuse6.gov.example"], *(["refuse", "refuse"] if v6 else [])),
            _Site(prefix + "13", ["timeout6.gov.example"], *(["blackhole", "blackhole"] if v6 else [])),
            _Site(prefix + "14", ["diff6.gov.example"], pages={"diff6.gov.example": other if v6 else framed}),
            _Site(prefix + "15", ["badcert6.gov.example"], certs={"badcert6.gov.example": "self_signed"} if v6 else {}),
            _Site(prefix + "16", ["expired.gov.example"], certs={"expired.gov.example": "expired"}),
            _Site(prefix + "17", ["httponly.gov.example"], https="refuse"),
            _Site(prefix + "20", ["shared-a.gov.example", "shared-b.gov.example"], certs={"shared-b.gov.example": "wrong_name"}),
            _Site(prefix + "21", [idn]),
            _Site(prefix + "22", ["redirect6.gov.example"], pages={"redirect6.gov.example": redirect}),
            _Site(prefix + "23", ["multi6.gov.example"]),
            _Site(prefix + "30", ["www.nsv4.example"]),
            _Site(prefix + "31", ["www.onens.example"]),
            _Site(prefix + "32", ["www.badsig.example"]),
            _Site(prefix + "40", ["www.gov.example", "cdn.gov.example", "edge.cdn-provider.example"]),
            _Site(prefix + "41", ["cname4ns.gov.example", "edge.v4dns.example"]),
            _Site(prefix + "42", ["deps.gov.example"], pages={"deps.gov.example": deps}),
            _Site(prefix + "18", ["late6.gov.example"], *(["late", "late"] if v6 else [])),
            _Site(prefix + "19", ["secure.gov.example", "sitemaps.gov.example"],
                  pages={"secure.gov.example": hsts, "sitemaps.gov.example": elsewhere},
                  http_pages={"secure.gov.example": to_https}),
            _Site(prefix + "60", ["oldtls.gov.example"], tls_versions=("TLSv1", "TLSv1.3")),
            _Site(prefix + "61", ["tls12.gov.example"], tls_versions=("TLSv1.2", "TLSv1.2")),
            _Site(prefix + "62", ["chain.gov.example"], certs={"chain.gov.example": "chained"},
                  pages={"chain.gov.example": robots_elsewhere}),
            _Site(prefix + "63", ["nointer.gov.example"], certs={"nointer.gov.example": "missing_intermediate"}),
            _Site(prefix + "64", ["badroot.gov.example"], certs={"badroot.gov.example": "untrusted_root"}),
            _Site(prefix + "43", ["js.cdn-ok.example", "fonts.cdn-ok.example"], pages={"js.cdn-ok.example": asset,
                                                                                       "fonts.cdn-ok.example": asset}),
        ]
    sites.append(_Site("192.0.2.11", ["v4only.gov.example"]))
    sites.append(_Site("192.0.2.44", ["static4.deps-cdn.example"], pages={"static4.deps-cdn.example": asset}))
    sites.append(_Site("192.0.2.45", ["dead6.deps-cdn.example"], pages={"dead6.deps-cdn.example": asset}))
    sites.append(_Site("2001:db8::45", ["dead6.deps-cdn.example"], "blackhole", "blackhole"))
    sites.append(_Site("192.0.2.77", ["192.0.2.77"], pages={"192.0.2.77": asset}))
    sites.append(_Site("2001:db8::24", ["multi6.gov.example"], "refuse", "refuse"))
    return sites


def signed_zones(anchor_file: Path) -> dict[str, str]:
    """The lab's zones with SIGNED signed by fresh keys, each child's DS in example.; example.'s DS goes to
    anchor_file, the trust anchor a scan of the lab is given."""
    keys = {origin: new_key() for origin in SIGNED}
    zones = dict(ZONES)
    zones["example."] += "".join(f"{o.split('.')[0]} DS {keys[o].ds(o)}\n" for o in SIGNED if o != "example.")
    week_ago = time.time() - 7 * 86400
    for origin in SIGNED:
        window = dict(valid_from=week_ago - 86400, valid_until=week_ago) if origin == "badsig.example." else {}
        zones[origin] = sign(zones[origin], origin, keys[origin], **window)
    anchor_file.write_text("; the ipv6scan lab's trust anchor\n" + anchor_line("example.", keys["example."]))
    return zones


class Lab:
    """The scenario network, up on loopback while started."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="ipv6scan-lab-")
        self.dns = DnsServer(signed_zones(Path(self._tmp.name) / "trust-anchor.txt"))
        self.trust_anchor = str(Path(self._tmp.name) / "trust-anchor.txt")
        self.dns.set_behaviour("servfail.gov.example", "servfail")
        self.parent_dns = DnsServer({"glue6.example.": ZONES["glue6.example."]}, referrals=True)
        self.certs = CertFactory()
        self.web = WebServer(self.certs)
        mail_tls = self.certs.context_for("valid", ["mail.gov.example", "mx6.nsname4.example", "mx.mailcert6.example"])
        self.smtp = {V4: SmtpServer("220 mail.gov.example ESMTP lab", tls=mail_tls),
                     V6: SmtpServer("220 mail.gov.example ESMTP lab", tls=mail_tls)}
        self.smtp_plain6 = SmtpServer("220 mx6.nsname4.example ESMTP lab")  # its IPv6 offers no STARTTLS
        self.smtp_wrong_cert6 = SmtpServer("220 mx.mailcert6.example ESMTP lab",
                                           tls=self.certs.context_for("wrong_name", ["mx.mailcert6.example"]))
        self.routes: dict[tuple[str, int], tuple[str, int]] = {}
        self.dns_port = 0
        self.scenarios = SCENARIOS

    @property
    def resolver(self) -> str:
        return f"{V4}:{self.dns_port}"

    @property
    def ca_bundle(self) -> str:
        return self.certs.ca_pem_path

    @property
    def network(self) -> LabNetwork:
        return LabNetwork(self.routes)

    async def start(self) -> None:
        self.dns_port = await self.dns.start((V4, V6))
        for addr in DNS_ADDRESSES:
            self.routes[(addr, 53)] = (V6 if ":" in addr else V4, self.dns_port)
        parent_port = await self.parent_dns.start((V4, V6))
        for addr in PARENT_DNS:
            self.routes[(addr, 53)] = (V6 if ":" in addr else V4, parent_port)
        smtp_ports = {lo: await server.start(lo) for lo, server in self.smtp.items()}
        for addr in SMTP_ADDRESSES:
            lo = V6 if ":" in addr else V4
            self.routes[(addr, 25)] = (lo, smtp_ports[lo])
        self.routes[(SMTP_PLAIN6, 25)] = (V6, await self.smtp_plain6.start(V6))
        self.routes[(SMTP_WRONG_CERT6, 25)] = (V6, await self.smtp_wrong_cert6.start(V6))
        for site in _sites():
            await self._serve(site)

    async def _serve(self, site: _Site) -> None:
        lo = V6 if ":" in site.address else V4
        pages = {h: site.pages.get(h) or _page(h) for h in site.hosts}
        for port, tls, how in ((80, False, site.http), (443, True, site.https)):
            served = {**pages, **site.http_pages} if port == 80 else pages
            if how == "unmapped":
                continue
            if how == "refuse":
                self.routes[(site.address, port)] = (lo, self.web.free_port(lo))
                continue
            self.routes[(site.address, port)] = (
                lo,
                await self.web.listen(lo, tls=tls, sites=served, certs=site.certs, behaviour=how,
                                      tls_versions=site.tls_versions if tls else None),
            )

    async def close(self) -> None:
        await self.web.close()
        for server in [*self.smtp.values(), self.smtp_plain6, self.smtp_wrong_cert6]:
            await server.close()
        await self.dns.close()
        await self.parent_dns.close()
        self._tmp.cleanup()

    async def __aenter__(self) -> Lab:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -------------------------------------------------------------- scanning it

    def targets_text(self) -> str:
        """The scenarios as a CSV target list with organisations and kinds, so phase scoring has something to say."""
        rows = "".join(f"{s.host},{ORGS[s.host][0]},{ORGS[s.host][1]}\n" for s in self.scenarios)
        return "# the ipv6scan lab: fictional units, documentation addresses\nhost,org,kind\n" + rows

    def options(self, **overrides: object) -> ScanOptions:
        base: dict[str, object] = dict(
            resolvers=[self.resolver],
            allow_special=list(ALLOW),
            ca_bundles=[self.ca_bundle],
            connect_timeout=1.0,
            read_timeout=1.0,
            dns_timeout=1.0,
            ipv6=Ipv6Mode.YES,
            trust_anchors=[self.trust_anchor],
            link_domains=[LINK_DOMAIN],
        )
        base.update(overrides)
        return ScanOptions(**base)  # type: ignore[arg-type]

    def cli_args(self, workdir: Path) -> list[str]:
        """``ipv6scan scan`` options that point a scan at this lab (writes the routing table into workdir)."""
        routes = Path(workdir) / "lab-routes.json"
        routes.write_text(self.network.to_json())
        args = ["--resolver", self.resolver, "--lab-map", str(routes), "--ca-bundle", self.ca_bundle,
                "--timeout", "1", "--read-timeout", "1", "--dns-timeout", "1", "--ipv6", "yes",
                "--trust-anchor", self.trust_anchor, "--link-domain", LINK_DOMAIN]
        for prefix in ALLOW:
            args += ["--allow-special", prefix]
        return args


def demo_job() -> Callable[[object, Callable[[ScanLine], None]], Awaitable[object]]:
    """A scan job for ``ipv6scan demo``: bring the lab up, scan every scenario, take it down."""
    from ..pipeline import scan_all
    from ..targets import read_targets

    async def job(sink, on_line):  # type: ignore[no-untyped-def]
        async with Lab() as lab:
            items = read_targets(io.StringIO(lab.targets_text()), name="demo")
            return await scan_all(items, lab.options(), sink, network=lab.network, on_line=on_line)

    return job


class LabThread:
    """The lab running on its own event loop in a background thread (for CLI tests and by hand)."""

    def __init__(self) -> None:
        self.lab = Lab()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ipv6scan-lab", daemon=True)

    def __enter__(self) -> Lab:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.lab.start(), self.loop).result(30)
        return self.lab

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.lab.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="ipv6scan-lab-"))
    with LabThread() as lab:
        targets = workdir / "targets.txt"
        targets.write_text(lab.targets_text(), encoding="utf-8")
        print("lab up. Scan it with:\n")
        print("  ipv6scan scan " + str(targets) + " " + " ".join(lab.cli_args(workdir)))
        print(f"\nor query its DNS: dig @{V4} -p {lab.dns_port} dual.gov.example AAAA")
        print("Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", file=sys.stderr)


if __name__ == "__main__":
    main()
