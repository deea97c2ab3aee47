"""Typed facts and results, and the closed vocabularies they use.

Facts are what probes observed (DNS answers, what each connection did, which
certificate was served). Results are what the pure checks in ``checks.py``
conclude from facts. Both serialise to JSON with msgspec; the layout is
documented in ``docs/schema.md`` and versioned by ``SCHEMA_VERSION``.

Every probe ends in exactly one :class:`Outcome`. Nothing outside this
vocabulary is ever written to a result: an unexpected error becomes
``Outcome.ERROR`` with its text in ``detail``.
"""

from __future__ import annotations

import inspect
from enum import StrEnum
from typing import Any

import msgspec

SCHEMA_VERSION = "1.11"


class Family(StrEnum):
    V4 = "ipv4"
    V6 = "ipv6"


class Outcome(StrEnum):
    """One closed vocabulary for the end of every lookup and connection."""

    OK = "ok"
    # --- DNS lookups -------------------------------------------------------
    DNS_NODATA = "dns_nodata"  # the name exists, no record of that type
    DNS_NXDOMAIN = "dns_nxdomain"
    DNS_SERVFAIL = "dns_servfail"
    DNS_REFUSED = "dns_refused"
    DNS_TIMEOUT = "dns_timeout"
    DNS_ERROR = "dns_error"  # malformed answer, other rcode, ...
    CNAME_LOOP = "cname_loop"
    CNAME_TOO_LONG = "cname_too_long"
    # --- transport ---------------------------------------------------------
    TIMEOUT = "timeout"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    RESET = "reset"
    PROTOCOL_ERROR = "protocol_error"  # not HTTP / not SMTP / garbage
    # --- TLS -----------------------------------------------------------------
    TLS_UNTRUSTED = "tls_untrusted"  # unknown issuer / incomplete chain
    TLS_SELF_SIGNED = "tls_self_signed"
    TLS_EXPIRED = "tls_expired"
    TLS_NOT_YET_VALID = "tls_not_yet_valid"
    TLS_HOSTNAME_MISMATCH = "tls_hostname_mismatch"
    TLS_HANDSHAKE_FAILED = "tls_handshake_failed"
    # --- HTTP ------------------------------------------------------------------
    TOO_MANY_REDIRECTS = "too_many_redirects"
    REDIRECT_LOOP = "redirect_loop"
    REDIRECT_LEAVES_FAMILY = "redirect_leaves_family"  # next hop has no address in this family
    REDIRECT_REFUSED = "redirect_refused"  # unsupported scheme or non-global target
    # --- not probed ------------------------------------------------------------
    SKIPPED_NON_GLOBAL = "skipped_non_global"  # special-purpose address, not allowed
    UNTESTABLE = "untestable"  # the scanner itself has no working IPv6
    ERROR = "error"  # anything else; see detail


DNS_FAILURES = frozenset(
    {
        Outcome.DNS_NXDOMAIN,
        Outcome.DNS_SERVFAIL,
        Outcome.DNS_REFUSED,
        Outcome.DNS_TIMEOUT,
        Outcome.DNS_ERROR,
        Outcome.CNAME_LOOP,
        Outcome.CNAME_TOO_LONG,
    }
)
# DNS failures that are no answer about the name (a lost packet, a failing or refusing server): worth asking again
# later in a scan, unlike NXDOMAIN or NODATA, which are the zone's own answers.
DNS_UNANSWERED = frozenset({Outcome.DNS_SERVFAIL, Outcome.DNS_REFUSED, Outcome.DNS_TIMEOUT, Outcome.DNS_ERROR})
TLS_FAILURES = frozenset(
    {
        Outcome.TLS_UNTRUSTED,
        Outcome.TLS_SELF_SIGNED,
        Outcome.TLS_EXPIRED,
        Outcome.TLS_NOT_YET_VALID,
        Outcome.TLS_HOSTNAME_MISMATCH,
        Outcome.TLS_HANDSHAKE_FAILED,
    }
)
# Certificate problems: the handshake completed without verification, so the
# server did answer; only trust is missing.
CERT_FAILURES = TLS_FAILURES - {Outcome.TLS_HANDSHAKE_FAILED}


class Struct(msgspec.Struct, kw_only=True, omit_defaults=False, forbid_unknown_fields=False):
    """Base for all records: keyword-only, JSON-friendly."""


# ---------------------------------------------------------------- DNS facts


class DnsLookup(Struct, kw_only=True):
    """One question (name, type) and how it ended."""

    name: str  # the name the records belong to (after CNAMEs)
    rdtype: str  # "A", "AAAA", "NS", "MX", "SOA"
    outcome: Outcome
    records: list[str] = []  # addresses, or target host names for NS/MX
    ttl: int | None = None
    detail: str | None = None
    elapsed_ms: float = 0.0


class Address(Struct, kw_only=True):
    address: str
    family: Family
    # None when globally routable; otherwise the IANA special-purpose category
    # (loopback, link_local, unique_local, documentation, ipv4_mapped, private, ...)
    special: str | None = None


class Resolution(Struct, kw_only=True):
    """A host name resolved to addresses, CNAME chain followed."""

    name: str  # the name asked (ASCII / punycode)
    canonical: str  # the last name of the CNAME chain
    cname_chain: list[str] = []  # every CNAME target, in order (empty: no CNAME)
    chain_outcome: Outcome = Outcome.OK  # OK, CNAME_LOOP, CNAME_TOO_LONG or a DNS failure met on the way
    a: DnsLookup
    aaaa: DnsLookup
    addresses: list[Address] = []  # A then AAAA, classified


class DnsServerProbe(Struct, kw_only=True):
    """A real DNS query sent to one name-server address."""

    address: str
    family: Family
    outcome: Outcome
    transport: str | None = None  # "udp" or "tcp" (after truncation)
    authoritative: bool | None = None  # AA flag on the answer
    rcode: str | None = None
    elapsed_ms: float = 0.0
    detail: str | None = None


class NameServer(Struct, kw_only=True):
    name: str
    resolution: Resolution
    probes: list[DnsServerProbe] = []


class SmtpProbe(Struct, kw_only=True):
    address: str
    family: Family
    port: int
    outcome: Outcome
    banner: str | None = None  # first line, truncated
    elapsed_ms: float = 0.0
    detail: str | None = None
    # From 1.8, after a 220 greeting: the EHLO reply's extension keywords (None: not asked, or EHLO refused:
    # tls_detail says), and STARTTLS when offered: OK when a TLS handshake completed after it (nothing
    # verified, as mail servers encrypt), else how it failed (None: not offered, or not asked)
    ehlo: list[str] | None = None
    starttls: Outcome | None = None
    tls_protocol: str | None = None
    tls_detail: str | None = None
    # From 1.9, after a STARTTLS handshake: what it negotiated and the certificate chain exactly as served, with
    # whether the trust store holds its last issuer and whether the leaf names the mail server (the handshake
    # itself verifies nothing, so ``outcome`` is OK: the certificate's standing is in those fields)
    tls: TlsFacts | None = None


class ReverseName(Struct, kw_only=True):
    """One IPv6 address of a mail server looked up in reverse (its PTR) and forward again (from 1.8).

    Mail sent from an IPv6 address without a PTR whose name resolves back to it (forward-confirmed reverse
    DNS) is refused by the large mail providers."""

    address: str
    ptr: DnsLookup  # the PTR lookup of the address's ip6.arpa name
    forward: list[DnsLookup] = []  # the AAAA lookup of each name the PTR gives (the first 4)
    confirmed: list[str] = []  # the PTR names whose AAAA holds the address


class MailServer(Struct, kw_only=True):
    name: str
    preference: int
    resolution: Resolution
    probes: list[SmtpProbe] = []
    # From 1.8: each IPv6 address in reverse; None: not looked up (a scan before 1.8)
    reverse: list[ReverseName] | None = None


class DnssecStatus(StrEnum):
    """RFC 4035 section 4.3: what a validating resolver makes of a zone."""

    SECURE = "secure"  # a chain of signatures from a trust anchor down to the zone's keys and SOA
    INSECURE = "insecure"  # proven unsigned: the parent signs that there is no DS (or only unusable ones)
    BOGUS = "bogus"  # the chain should be there and is broken (expired signature, no matching key, ...)
    INDETERMINATE = "indeterminate"  # no trust anchor covers it, or DNS failed on the way


class DnssecLink(Struct, kw_only=True):
    """One zone of the chain of trust, from the trust anchor down."""

    zone: str  # "." for the root
    status: DnssecStatus
    reason: str  # ok, no_ds, no_ds_proof, no_dnskey, no_matching_key, signature_expired, ...
    detail: str | None = None
    ds_tags: list[int] = []  # the key tags the DS set (or the trust anchor) names
    key_tags: list[int] = []  # the key tags of the zone's DNSKEY set
    algorithms: list[int] = []  # DNSSEC algorithm numbers of the zone's keys
    expires: str | None = None  # ISO 8601, UTC: the earliest expiry among the signatures that validated
    expired_at: str | None = None  # ISO 8601, UTC: when the signature found expired ran out


class DnssecValidation(Struct, kw_only=True):
    """The zone's chain of trust walked from a trust anchor, each zone's link computed once per scan."""

    status: DnssecStatus
    reason: str
    anchor: str | None = None  # the trust anchor's zone ("." for the IANA root keys)
    broken_at: str | None = None  # the zone where the chain stopped being secure
    detail: str | None = None
    links: list[DnssecLink] = []


class DnssecFacts(Struct, kw_only=True):
    """Is the zone signed? A DS record set at the parent and a DNSKEY set at the apex.

    From 1.6, ``validation``: the chain of trust walked and its signatures checked
    (None when validation was turned off).
    """

    ds: DnsLookup
    dnskey: DnsLookup
    validation: DnssecValidation | None = None


class SpfResult(StrEnum):
    """What SPF (RFC 7208 check_host) says of mail from one address for a domain (its closed vocabulary)."""

    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"  # the domain publishes no SPF record
    PERMERROR = "permerror"  # the record is broken (syntax, too many lookups, two records, ...)
    TEMPERROR = "temperror"  # a DNS lookup failed on the way: unknown


class SpfCheck(Struct, kw_only=True):
    """One address of a mail server, put to the domain's SPF (from 1.8)."""

    address: str
    family: Family
    server: str  # the mail server (MX) it belongs to
    result: SpfResult
    term: str | None = None  # the mechanism that matched (None: none did)
    error: str | None = None  # why a permerror or temperror: a code of probe/spf.py's ERRORS
    error_at: str | None = None  # where: the name or term
    detail: str | None = None  # the error in English


class SpfFacts(Struct, kw_only=True):
    """The zone's SPF record and what it says of each mail server address (from 1.8).

    A mail server usually sends from the addresses it receives on; mail it sends over IPv6 fails SPF where
    the record lists its IPv4 addresses only."""

    domain: str
    lookup: DnsLookup  # the TXT lookup of the domain
    record: str | None = None  # the v=spf1 record (None: none published)
    checks: list[SpfCheck] = []


class ZoneFacts(Struct, kw_only=True):
    """The enclosing zone (found by its real zone cut), its NS and MX."""

    zone: str | None  # apex, e.g. "danang.gov.vn"; None if it could not be found
    outcome: Outcome  # of finding the apex
    ns_lookup: DnsLookup | None = None
    name_servers: list[NameServer] = []
    mx_lookup: DnsLookup | None = None
    mail_servers: list[MailServer] = []
    dnssec: DnssecFacts | None = None
    detail: str | None = None
    spf: SpfFacts | None = None  # from 1.8; None: not looked at (no MX, or a scan before 1.8)


# ---------------------------------------------------------------- web facts


class CertInfo(Struct, kw_only=True):
    sha256: str  # fingerprint of the DER leaf certificate
    subject: str
    issuer: str
    san: list[str] = []
    not_before: str  # ISO 8601, UTC
    not_after: str
    key_type: str  # "RSA", "EC", "Ed25519", ...
    key_bits: int | None = None
    self_signed: bool = False
    ca_issuers: list[str] = []  # from 1.5: where the certificate says its issuer's can be fetched (AIA caIssuers URLs)


class TlsVersionTry(Struct, kw_only=True):
    """Does the address complete a handshake for the name in one protocol version? (From 1.5.)"""

    version: str  # "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"
    accepted: bool | None  # None: not known (the try timed out, the connection was refused, ...)
    outcome: Outcome  # how the try ended: OK (a handshake completed), TLS_HANDSHAKE_FAILED (refused), UNTESTABLE, ...
    # alone: a handshake offering this version only; negotiated: the request's own handshake (offering TLS 1.2 and
    # 1.3) chose it; not_chosen: the request's handshake offered it and the server chose an older one
    how: str
    cipher: str | None = None
    detail: str | None = None
    elapsed_ms: float = 0.0


class TlsFacts(Struct, kw_only=True):
    outcome: Outcome  # OK or one of TLS_FAILURES
    verify_detail: str | None = None  # OpenSSL's verify message
    protocol: str | None = None  # "TLSv1.3"
    cipher: str | None = None
    cert: CertInfo | None = None
    # From 1.5: the chain exactly as served, the certificates after the leaf in the order sent
    intermediates: list[CertInfo] = []
    # Does this scan's trust store hold the issuer of the last certificate served (or that certificate itself, when
    # it is self-signed)? None: not looked at (no certificate, or a record older than 1.5)
    issuer_in_store: bool | None = None
    # Do the leaf's names cover the host (RFC 6125, by service_identity), stated whatever else failed? None: unknown
    name_matches: bool | None = None
    versions: list[TlsVersionTry] = []  # each protocol version, oldest first (empty: not asked; --no-tls-versions)


class HttpHop(Struct, kw_only=True):
    """One request of a redirect chain."""

    url: str
    address: str | None  # the address it was sent to (None: never sent)
    outcome: Outcome
    status: int | None = None
    location: str | None = None
    elapsed_ms: float = 0.0
    detail: str | None = None


class ConnectObservation(Struct, kw_only=True):
    """A TCP connect to an address and port that failed, as one probe of the scan saw it."""

    outcome: Outcome  # timeout, refused or unreachable
    detail: str | None = None
    host: str  # the name being probed
    scheme: str
    at: str  # UTC, ISO 8601


class WebProbe(Struct, kw_only=True):
    """HTTP or HTTPS to one address of one family, redirects followed in that family."""

    scheme: str  # "http" or "https"
    address: str
    family: Family
    port: int
    outcome: Outcome  # how the first request ended (OK: an HTTP response came back)
    detail: str | None = None
    attempts: int = 1  # >1 when a timeout was retried
    status: int | None = None  # status of the first response
    hops: list[HttpHop] = []  # the first request and each redirect followed
    final_outcome: Outcome | None = None  # how the redirect chain ended
    final_url: str | None = None
    final_status: int | None = None
    body_length: int | None = None  # bytes read of the final body (capped)
    body_truncated: bool = False
    body_sha256: str | None = None
    title: str | None = None
    headers: dict[str, str] = {}  # a few useful response headers of the final response
    tls: TlsFacts | None = None  # https only: the first hop's handshake
    elapsed_ms: float = 0.0
    # From 1.3: the connect was not tried, because these connects to the same address and port failed earlier
    # in the scan (the first and its confirmation; other names, or this one's retry). Empty: this probe connected
    # (or failed) on its own. Only a TCP connect is ever shared, never TLS or HTTP.
    connect_shared: list[ConnectObservation] = []
    # From 1.5: the first request's timings (None: not reached), from sending it (its address slot held):
    connect_ms: float | None = None  # the TCP connection made (before TLS)
    first_byte_ms: float | None = None  # the response head parsed (TLS, the server's work, the head)


class ParityFacts(Struct, kw_only=True):
    """The same URL fetched over IPv4 and over IPv6: what differed."""

    scheme: str
    v4_address: str
    v6_address: str
    v4_status: int | None
    v6_status: int | None
    v4_length: int | None
    v6_length: int | None
    similarity: float | None  # 0..1 on bodies with per-request noise removed; None: not comparable
    same_certificate: bool | None = None  # https: same leaf on both families


# ---------------------------------------------------------------- the whole service (from 1.4)


class DependencyProbe(Struct, kw_only=True):
    """One request over IPv6 to a dependency's origin: made once per scan, reported for every page that loads it."""

    url: str  # the URL asked (the first one seen for the origin)
    resolution: Resolution | None = None  # A/AAAA, CNAMEs followed (None: the host is an IP literal)
    address: str | None = None  # the IPv6 address asked (None: there was none to ask)
    outcome: Outcome  # of the request over IPv6; DNS_NODATA: no AAAA; a DNS failure: AAAA unknown
    status: int | None = None
    detail: str | None = None
    elapsed_ms: float = 0.0
    for_host: str  # the scanned host whose page first needed it (another host's record may reuse it)
    at: str  # UTC, ISO 8601
    # From 1.7: the answer was a redirect (3xx, Location) to another origin: that origin, probed the same way
    # (a client follows it: where it lands decides), up to deps.REDIRECT_HOPS hops.
    redirect: DependencyProbe | None = None


class Dependency(Struct, kw_only=True):
    """One origin (scheme, host, port) a page loads from without a click."""

    scheme: str
    host: str  # ASCII host name, or an IP literal (no brackets)
    port: int
    url: str  # the first URL seen
    kinds: list[str] = []  # script, stylesheet, image, media, frame, object, icon, preload, manifest, refresh, import, css
    refs: int = 1  # references to it on the page and in the stylesheets read
    literal: Family | None = None  # the host is an IP address of this family
    in_css: bool = False  # found in a stylesheet, not in the page itself
    probe: DependencyProbe | None = None  # None: not probed (an IPv4 literal never works over IPv6)
    text: str | None = None  # from 1.11, a site the page links to (PageFacts.links): the first link's text


class StylesheetRead(Struct, kw_only=True):
    """A first-level stylesheet fetched to find its ``@import`` and ``url()`` hosts."""

    url: str
    address: str | None = None
    family: Family | None = None
    outcome: Outcome
    status: int | None = None
    length: int | None = None
    truncated: bool = False
    detail: str | None = None


class InsecureRef(Struct, kw_only=True):
    """A reference by plain ``http:`` on a page read over HTTPS (mixed content): what kind of thing, and where."""

    kind: str  # as Dependency.kinds: script, stylesheet, image, media, frame, object, icon, preload, manifest, import, css
    url: str
    in_css: bool = False  # in a stylesheet the page loads, not in the page itself


class SitemapRead(Struct, kw_only=True):
    """The XML sitemap asked of the page's site (from 1.10): ``/sitemap.xml``, else the first ``Sitemap:`` line of
    ``/robots.txt`` on the same site, read at the page's address with redirects followed."""

    url: str
    address: str | None = None
    outcome: Outcome  # of the last request (the robots.txt one's when there was no Sitemap: line)
    status: int | None = None
    # the answer is a sitemap: XML whose root is <urlset> or <sitemapindex> (sitemaps.org); None: robots.txt names
    # one on another host, not read here
    found: bool | None = False
    robots: bool = False  # the URL came from robots.txt
    detail: str | None = None


class SiteInfo(Struct, kw_only=True):
    """What the page's own text and links show of what Circular 32/2017 art. 16 asks a portal to carry (from
    1.10): for each, what was seen (the labelled line, cut to 120 characters; the e-mail address; the site map
    link's URL), None where nothing was (a footer built by script, or drawn as an image, shows nothing)."""

    agency: str | None = None  # owning agency (cơ quan chủ quản)
    responsible: str | None = None  # the person responsible (người chịu trách nhiệm)
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    sitemap: str | None = None  # a link to the site map page
    xml_sitemap: SitemapRead | None = None  # None: not asked (the host's kind is not one asked, or --xml-sitemap none)


class PageFacts(Struct, kw_only=True):
    """What the host's page makes a browser load without a click, and how each origin does over IPv6."""

    url: str  # the final URL of the page read
    address: str
    family: Family  # IPv6 unless no IPv6 probe ended on a page (then IPv4: what would break is still said)
    length: int
    truncated: bool = False  # the page was longer than the body cap: only its start was read
    found: int = 0  # distinct origins found (other than the host's own), before the cap
    cap: int = 0  # origins kept at most; found > cap: the rest were not probed
    skipped: int = 0  # references that are no http(s) URL (data:, javascript:, malformed)
    stylesheets: list[StylesheetRead] = []
    dependencies: list[Dependency] = []
    # From 1.7: a page read over HTTPS that loads things by plain http: (mixed content), its own host's included,
    # deps.MAX_INSECURE kept (and the first of each kind); insecure_found counts them all (None: the page was not read over HTTPS).
    insecure: list[InsecureRef] = []
    insecure_found: int | None = None
    insecure_kinds: dict[str, int] = {}  # how many of each kind, of all found (the first of each is in `insecure`)
    site_info: SiteInfo | None = None  # from 1.10 (None: a scan before)
    # From 1.11: the government sites the page links to (a click away: <a href>, <area href>), one per origin, each
    # probed over IPv6 as a dependency is (kinds ["link"]); None: not asked (the host's kind, --links, a scan before)
    links: list[Dependency] | None = None
    links_found: int = 0  # distinct linked sites found (under the link domains, other than the host), before the cap


class ChainServer(Struct, kw_only=True):
    """One name server of a zone, as an IPv6-only resolver meets it: its AAAA, and queries to each."""

    name: str
    aaaa_outcome: Outcome
    aaaa: list[str] = []
    probes: list[DnsServerProbe] = []  # over IPv6 only


class GlueName(Struct, kw_only=True):
    """The addresses a parent's referral gives for one of the child's name servers (glue)."""

    name: str
    a: list[str] = []
    aaaa: list[str] = []


class GlueFacts(Struct, kw_only=True):
    """What the parent zone's name server says of a zone whose name servers are named inside it (from 1.9).

    A resolver learns such a server's address only from the parent's referral (glue): without an AAAA there,
    an IPv6-only resolver cannot reach the zone through that server. Asked over IPv6, RD off: the zone's NS."""

    parent: str
    address: str | None = None  # the parent's name-server address asked (None: none could be asked)
    outcome: Outcome = Outcome.OK
    detail: str | None = None
    # True: a referral (the NS set, not authoritative); False: that server answers for the zone itself (it
    # serves parent and child alike: no glue is needed from it)
    referral: bool = False
    names: list[GlueName] = []  # the glue it gave, per in-zone name server (none: that name has no glue)
    # From 1.10, of a referral: the name servers it names (the delegation), which a resolver walking down starts
    # from, whatever the zone's own NS set says; None: not a referral, or a scan before 1.10
    delegated: list[str] | None = None


class ZoneLink(Struct, kw_only=True):
    """One zone on a resolution path (TLD down): can an IPv6-only resolver ask its name servers?"""

    zone: str
    outcome: Outcome  # of the NS lookup
    detail: str | None = None
    servers: list[ChainServer] = []
    # From 1.9, when some name server is named inside the zone (below a TLD): its parent's glue; None: no such
    # server, not looked at, or a scan before 1.9. From 1.10, of every zone below a TLD: what its parent says
    # (the delegation and its glue)
    glue: GlueFacts | None = None
    # From 1.10: the name servers the parent's referral names that the zone's own NS set does not (a stale
    # delegation), asked the same way as ``servers``: a resolver walking down may meet only these
    parent_only: list[ChainServer] = []


class ChainName(Struct, kw_only=True):
    """A name a client must resolve (the host, a CNAME target, a dependency, a mail server) and its zones."""

    name: str
    role: str  # host, cname, dependency, mx; from 1.8 ns (a name server's own name, outside its zone)
    zones: list[str] = []  # the apex of each zone on its path, TLD first
    outcome: Outcome = Outcome.OK  # of finding them
    detail: str | None = None


def in_zone(name: str, zone: str) -> bool:
    """Is ``name`` the apex of ``zone`` or below it (both as scan results write names: lower case, no final dot)?"""
    return name == zone or name.endswith("." + zone)


class ResolutionChain(Struct, kw_only=True):
    """Every zone from the TLD down that the host's names need, each once."""

    names: list[ChainName] = []
    zones: list[ZoneLink] = []
    # From 1.8: the name servers' own names were walked too (role ns): a name server named outside its zone
    # is found only through the zones of its name, which the resolver must reach over IPv6 as well.
    ns_walked: bool = False


class HostFacts(Struct, kw_only=True):
    """Everything observed about one host name."""

    host: str  # ASCII (punycode) form
    display: str  # Unicode form, for people
    input: str  # the text of the input line it came from
    line: int | None = None
    started: str  # ISO 8601, UTC
    elapsed_ms: float = 0.0
    scanner_ipv6: bool = True  # did the scanner itself have IPv6 when it ran?
    allowed_special: list[str] = []  # special-purpose prefixes the user allowed
    # From 1.9: the TLS profile (checks/tls-profiles.toml) tls.profile.* judge this host against, chosen for the
    # scan (--tls-profile); None: the shipped default. Kept with the facts so a re-judge uses it again.
    tls_profile: str | None = None
    resolution: Resolution
    zone: ZoneFacts | None = None
    web: list[WebProbe] = []
    parity: list[ParityFacts] = []
    subresources: bool = False  # were sub-resources looked for (from 1.4; off with --no-subresources)
    page: PageFacts | None = None  # None: not looked for, or no page to read (no answer, not HTML)
    chain: ResolutionChain | None = None  # None: not looked at (from 1.4; off with --no-zone)
    # From 1.7: the host's time budget ran out: what had not finished is missing (a page not read, a chain not
    # walked) or recorded as timed out; None fields then mean "not known", not "not there".
    budget_exhausted: bool = False
    org: str | None = None
    kind: str | None = None
    tags: list[str] = []
    error: str | None = None  # set when the scanner itself failed on this host (never a network outcome)


# ---------------------------------------------------------------- results


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    INFO = "info"
    UNTESTABLE = "untestable"
    NOT_APPLICABLE = "not_applicable"


class Verdict(StrEnum):
    READY = "ready"  # works over IPv6 on every address, port, with valid TLS and the same site
    PARTIAL = "partial"  # answers over IPv6, but some address, port, TLS or parity fails
    BROKEN_IPV6 = "broken_ipv6"  # AAAA published but nothing answers over IPv6: worse than none
    NO_IPV6 = "no_ipv6"  # no AAAA at all (the lookup itself succeeded)
    UNRESOLVABLE = "unresolvable"  # DNS failed: IPv6 status unknown
    UNTESTABLE = "untestable"  # AAAA exists but the scanner has no IPv6 to test it
    ERROR = "error"  # the scanner itself failed on this host (a bug): see HostFacts.error


class CheckResult(Struct, kw_only=True):
    id: str  # e.g. "web.https.ipv6"
    status: CheckStatus
    reason: str  # machine-readable code, e.g. "https_refused_ipv6"
    # The sentence's template and values (catalogue ``text.<params["f"]>``): rendered in any language.
    params: dict[str, Any] = {}
    message: str = ""  # the sentence in English, rendered from params (for readers of the JSON)


class HostResult(Struct, kw_only=True):
    host: str
    verdict: Verdict
    reasons: list[str] = []  # the codes behind the verdict, worst first
    checks: list[CheckResult] = []


# ---------------------------------------------------------------- the scan file (JSON Lines)


class ScanHeader(Struct, tag="scan", kw_only=True):
    schema_version: str = SCHEMA_VERSION
    tool_version: str
    started: str
    options: dict[str, Any] = {}
    scanner_ipv6: bool = True
    scanner_ipv6_detail: str | None = None


class HostRecord(Struct, tag="host", kw_only=True):
    facts: HostFacts
    result: HostResult


class InputError(Struct, tag="input_error", kw_only=True):
    line: int | None
    text: str
    problem: str  # in English
    source: str | None = None
    code: str | None = None  # the problem's catalogue key (ui.toml ``target.*``), to say it in either language
    params: dict[str, str | int] = {}  # the values its sentence takes


class ScanSummary(Struct, tag="summary", kw_only=True):
    finished: str
    elapsed_s: float
    hosts: int
    verdicts: dict[str, int] = {}
    input_errors: int = 0
    interrupted: bool = False


ScanLine = ScanHeader | HostRecord | InputError | ScanSummary


def _clean_descriptions(node: Any) -> Any:
    """Docstring indentation removed from every ``description`` (msgspec 0.23 does it, older ones did not)."""
    if isinstance(node, dict):
        return {k: inspect.cleandoc(v) if k == "description" and isinstance(v, str) else _clean_descriptions(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_clean_descriptions(v) for v in node]
    return node


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one line of a scan file (docs/scan-schema.json is this, written out)."""
    schema = _clean_descriptions(msgspec.json.schema(ScanLine))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"ipv6scan scan line (schema_version {SCHEMA_VERSION})",
        "description": "One line of a JSON Lines scan file: a scan header, a host record, an input error or a summary.",
        **schema,
    }
