"""The real-network lab's scenario catalogue: each host, what it is, and what ipv6scan must conclude.

Every scenario is built from real server software in ``netlab/config/`` (BIND zones,
nginx server blocks, nftables rules, exim); this file only says what to expect.

``verdict`` must equal the scan's verdict; ``reasons`` must all be among the result's
reasons; ``checks`` maps check ids to the status each must have (mail and DNSSEC checks are
listed there: they do not count for the web verdict). Verdicts, reasons and check ids are
the strings of ``docs/schema.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IDN_HOST = "cổng.gov.example"  # xn--cng-qmz.gov.example in the zone


@dataclass(frozen=True)
class Scenario:
    host: str  # as a user types it (may be Unicode)
    verdict: str
    reasons: frozenset[str] = frozenset()
    checks: dict[str, str] = field(default_factory=dict)
    about: str = ""


def _s(host: str, verdict: str, reasons: set[str] | None = None, checks: dict[str, str] | None = None, about: str = "") -> Scenario:
    return Scenario(host, verdict, frozenset(reasons or ()), dict(checks or {}), about)


SCENARIOS: list[Scenario] = [
    _s("dual.gov.example", "ready",
       checks={"web.https.ipv6": "pass", "tls.ipv6": "pass", "parity.https": "pass", "ns.ipv6": "pass",
               "mx.ipv6": "pass", "zone.dnssec": "pass", "zone.dnssec_valid": "pass", "deps.ipv6": "pass",
               "dns.chain_ipv6": "pass", "tls.profile.ipv4": "pass", "tls.profile.ipv6": "pass", "tls.chain": "pass",
               "web.https_enforced": "fail", "tls.hsts": "fail", "parity.headers": "pass",
               "naming.gov_vn": "not_applicable"},
       about="dual-stack nginx, valid certificate from the lab CA, same page, no HTTP->HTTPS redirect, no HSTS; "
             "gov.example has two dual-stack "
             "name servers, a dual-stack MX (exim) and is DNSSEC-signed (DS in example.)"),
    _s("v4only.gov.example", "no_ipv6", {"no_aaaa"}, about="A record only"),
    _s("timeout6.gov.example", "broken_ipv6", {"http_timeout_ipv6", "https_timeout_ipv6"},
       about="AAAA whose TCP traffic nftables drops: real connect timeouts"),
    _s("refuse6.gov.example", "broken_ipv6", {"http_refused_ipv6", "https_refused_ipv6"},
       about="AAAA where nftables rejects with a TCP reset"),
    _s("diff6.gov.example", "partial", {"parity_content_differs"}, {"parity.headers": "warn"},
       about="nginx serves a maintenance page on the IPv6 address, and X-Frame-Options over IPv4 only"),
    _s("badcert6.gov.example", "partial", {"tls_ipv6_only_problem"}, {"tls.ipv4": "pass", "tls.ipv6": "fail"},
       about="self-signed certificate on the IPv6 listener only"),
    _s("expired.gov.example", "partial", {"tls_invalid"}, {"tls.expiry": "warn"},
       about="expired certificate (lab CA) on both families"),
    _s("httponly.gov.example", "ready", checks={"web.http.ipv6": "pass", "web.https.ipv6": "info",
                                                "web.https_enforced": "fail", "parity.headers": "not_applicable"},
       about="nginx listens on port 80 only: HTTPS absent on both families"),
    _s("multi6.gov.example", "partial", {"http_timeout_ipv6", "https_timeout_ipv6"},
       about="two AAAA: 2001:db8::23 serves, 2001:db8::24 is dead (nftables drops)"),
    _s("www.gov.example", "ready",
       about="CNAME www -> cdn.gov.example -> edge.cdn-provider.example, a zone on another name server"),
    _s("shared-a.gov.example", "ready", about="name-based virtual host sharing addresses with shared-b"),
    _s("shared-b.gov.example", "partial", {"tls_invalid"},
       about="same addresses as shared-a; nginx serves shared-a's certificate for it"),
    _s("redirect6.gov.example", "partial", {"redirect_leaves_ipv6"},
       about="nginx redirects to v4only.gov.example, which has no AAAA"),
    _s(IDN_HOST, "ready", about="internationalised name: typed in Unicode, xn-- label in the zone"),
    _s("slow.gov.example", "broken_ipv6", {"http_timeout_ipv6", "https_timeout_ipv6"},
       about="nginx accepts, then waits on a dead backend (proxy_pass to a dropped address): the read "
             "timeout trips on both families; nothing ever answers over IPv6"),
    _s("nx.gov.example", "unresolvable", {"dns_nxdomain"}, about="the name does not exist"),
    _s("loop.gov.example", "unresolvable", about="CNAME loop (loop -> loop2 -> loop)"),
    _s("www.lame.gov.example", "unresolvable", {"dns_servfail_aaaa"},
       about="lame delegation: gov.example delegates lame.gov.example to a BIND that does not serve it "
             "(REFUSED), so the recursive resolver answers SERVFAIL"),
    _s("www.nsv4.example", "partial", {"ns_no_ipv6"},
       {"ns.ipv6": "fail", "mx.ipv6": "fail", "zone.dnssec": "fail", "zone.dnssec_valid": "fail",
        "dns.chain_ipv6": "fail"},
       about="zone whose only name server and MX (exim) have no IPv6; unsigned (example.'s signed NSEC proves it)"),
    _s("www.onens.example", "ready", {"ns_single_ipv6"}, {"ns.ipv6": "warn"},
       about="zone with two name servers, one of them on IPv6"),
    _s("www.rrl.example", "ready", checks={"ns.ipv6": "pass"},
       about="the zone's name servers (four names, one BIND) use response-rate limiting with slip 1: "
             "rate-limited UDP answers come back truncated and must be retried over TCP"),
]

SCENARIOS += [
    _s("secure.gov.example", "ready", checks={"web.https_enforced": "pass", "tls.hsts": "pass"},
       about="nginx: HTTP answers 301 to https://$host$request_uri on both families; HTTPS sends HSTS for a year"),
    _s("deps.gov.example", "ready", checks={"deps.ipv6": "fail", "deps.nat64": "info", "dns.chain_ipv6": "pass"},
       about="its page (nginx) loads a script from js.cdn-provider.example (fine over IPv6), a script from "
             "dead6.cdn-provider.example (AAAA dropped by nftables), an image from http://192.0.2.10/, and in its "
             "own stylesheet a font CSS from fonts.cdn-provider.example (CNAME js) and a background from the "
             "IPv4-only static4.cdn-provider.example"),
    _s("cname4ns.gov.example", "ready", checks={"dns.chain_ipv6": "fail", "deps.ipv6": "pass"},
       about="CNAME to www.nsv4.example: the front door works over IPv6, but an IPv6-only resolver cannot ask "
             "nsv4.example's only name server"),
]

SCENARIOS += [
    _s("oldtls.gov.example", "ready", checks={"tls.profile.ipv4": "fail", "tls.profile.ipv6": "fail",
                                              "tls.ipv6": "pass"},
       about="nginx accepts TLS 1.0 and 1.1 alongside 1.2 and 1.3 (ssl_protocols, security level 0) on both families"),
    _s("nointer.gov.example", "partial", {"tls_invalid"}, {"tls.chain": "fail", "tls.name": "pass"},
       about="nginx sends the leaf alone; its issuer is an intermediate of the lab CA, named by the leaf's AIA"),
    _s("late6.gov.example", "ready", checks={"web.latency": "warn", "web.https.ipv6": "pass"},
       about="over IPv6 nginx proxies each request to a relay (bench/delay_proxy.py) that waits 1.5 s: the "
             "handshake is quick, the answer 1.5 s late; over IPv4 at once"),
    _s("www.badsig.example", "ready", checks={"zone.dnssec": "pass", "zone.dnssec_valid": "fail"},
       about="badsig.example is signed and its DS is in example., but dnssec-signzone made its signatures end a "
             "week ago: present, and bogus"),
]

BY_HOST = {s.host: s for s in SCENARIOS}


def targets_text() -> str:
    """The catalogue as a target list (one host a line, Unicode kept)."""
    return "# netlab: real-network lab scenarios\n" + "".join(s.host + "\n" for s in SCENARIOS)
