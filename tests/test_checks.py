"""The pure checks: HostFacts built by hand -> verdict, reasons and check results."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from ipv6scan.addresses import classify, is_allowed, parse_prefixes
from ipv6scan.checks import CHECKS, REASON_TEXT, judge, message
from ipv6scan.model import (
    CERT_FAILURES,
    DNS_FAILURES,
    GlueFacts,
    GlueName,
    ReverseName,
    SiteInfo,
    SpfCheck,
    SpfFacts,
    SpfResult,
    ChainName,
    ChainServer,
    Dependency,
    DependencyProbe,
    DnssecFacts,
    DnssecLink,
    DnssecStatus,
    DnssecValidation,
    InsecureRef,
    PageFacts,
    ResolutionChain,
    ZoneLink,
    TLS_FAILURES,
    CertInfo,
    CheckStatus,
    DnsLookup,
    DnsServerProbe,
    Family,
    HostFacts,
    HttpHop,
    MailServer,
    NameServer,
    Outcome,
    ParityFacts,
    Resolution,
    SmtpProbe,
    TlsFacts,
    TlsVersionTry,
    Verdict,
    WebProbe,
    ZoneFacts,
)

HOST = "portal.gov.example"
STARTED = "2026-01-10T08:00:00+00:00"
V4A = "192.0.2.10"
V6A, V6B = "2001:db8::10", "2001:db8::11"
LAB = ["192.0.2.0/24", "2001:db8::/32"]
CERT = "aa" * 32
# What a well-kept HTTPS answer sends: HSTS and the basic security headers (tls.hsts, web.security_headers)
SECURE_HEADERS = {"strict-transport-security": "max-age=31536000; includeSubDomains", "x-content-type-options": "nosniff",
                  "x-frame-options": "SAMEORIGIN", "content-security-policy": "default-src 'self'",
                  "referrer-policy": "strict-origin-when-cross-origin"}
OTHER_CERT = "bb" * 32


# ---------------------------------------------------------------- builders


def lookup(rdtype: str, records=(), outcome: Outcome | None = None, name: str = HOST) -> DnsLookup:
    """A lookup; the outcome defaults to OK with records, NODATA without."""
    outcome = outcome or (Outcome.OK if records else Outcome.DNS_NODATA)
    return DnsLookup(name=name, rdtype=rdtype, outcome=outcome, records=list(records))


def resolution(a=(V4A,), aaaa=(V6A,), *, a_outcome=None, aaaa_outcome=None, chain=Outcome.OK, name=HOST) -> Resolution:
    return Resolution(
        name=name,
        canonical=name,
        chain_outcome=chain,
        a=lookup("A", a, a_outcome, name),
        aaaa=lookup("AAAA", aaaa, aaaa_outcome, name),
        addresses=[classify(x) for x in (*a, *aaaa)],
    )


def cert(sha256: str = CERT, not_after: str = "2027-01-01T00:00:00+00:00") -> CertInfo:
    return CertInfo(sha256=sha256, subject=f"CN={HOST}", issuer="CN=Lab CA", san=[HOST],
                    not_before="2025-01-01T00:00:00+00:00", not_after=not_after, key_type="EC", key_bits=256)


def healthy_versions(*accepted: str) -> list[TlsVersionTry]:
    """What asking TLS 1.0 to 1.3 one by one finds on a server that takes ``accepted`` (default 1.2 and 1.3)."""
    accepted = accepted or ("TLSv1.2", "TLSv1.3")
    return [TlsVersionTry(version=v, accepted=v in accepted, how="negotiated" if v == "TLSv1.3" else "alone",
                          outcome=Outcome.OK if v in accepted else Outcome.TLS_HANDSHAKE_FAILED)
            for v in ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")]


def web_probe(scheme: str, address: str, outcome: Outcome = Outcome.OK, *, final_outcome: Outcome | None = None,
              final_url: str | None = None, tls: TlsFacts | None = None, body_length: int = 5000,
              redirect: bool = True) -> WebProbe:
    """One probe as the prober would record it: HTTP status and TLS facts only when the server answered."""
    port = 443 if scheme == "https" else 80
    url = f"{scheme}://{HOST}/"
    answered = outcome == Outcome.OK or outcome in CERT_FAILURES
    if scheme == "https" and tls is None and (answered or outcome in TLS_FAILURES):
        tls = TlsFacts(outcome=Outcome.OK if outcome == Outcome.OK else outcome,
                       protocol="TLSv1.3" if answered else None, cert=cert() if answered else None,
                       issuer_in_store=outcome not in (Outcome.TLS_UNTRUSTED, Outcome.TLS_SELF_SIGNED) if answered else None,
                       name_matches=outcome != Outcome.TLS_HOSTNAME_MISMATCH if answered else None,
                       versions=healthy_versions() if answered else [])
    if scheme == "http" and answered and redirect:  # a well-kept site sends HTTP visitors to HTTPS
        secure = f"https://{HOST}/"
        hops = [HttpHop(url=url, address=address, outcome=outcome, status=301, location=secure),
                HttpHop(url=secure, address=address, outcome=Outcome.OK, status=200)]
        return WebProbe(scheme=scheme, address=address, family=classify(address).family, port=port, outcome=outcome,
                        status=301, hops=hops, final_outcome=final_outcome or Outcome.OK, final_url=final_url or secure,
                        final_status=200, body_length=body_length, tls=tls)
    return WebProbe(
        scheme=scheme, address=address, family=classify(address).family, port=port, outcome=outcome,
        status=200 if answered else None,
        hops=[HttpHop(url=url, address=address, outcome=outcome, status=200 if answered else None)],
        final_outcome=(final_outcome or Outcome.OK) if answered else outcome,
        final_url=final_url or url, final_status=200 if answered else None,
        body_length=body_length if answered else None, tls=tls,
        headers=dict(SECURE_HEADERS) if scheme == "https" and answered else {},
    )


def parity(scheme: str, *, similarity: float | None = 1.0, v4_status=200, v6_status=200, v4_length=5000,
           v6_length=5000, same_certificate=None) -> ParityFacts:
    return ParityFacts(scheme=scheme, v4_address=V4A, v6_address=V6A, v4_status=v4_status, v6_status=v6_status,
                       v4_length=v4_length, v6_length=v6_length, similarity=similarity,
                       same_certificate=same_certificate)


def server_resolution(name: str, a: str, aaaa: str | None) -> Resolution:
    return resolution((a,), (aaaa,) if aaaa else (), name=name)


def name_server(name: str, a: str, aaaa: str | None, v6: Outcome = Outcome.OK) -> NameServer:
    probes = [DnsServerProbe(address=a, family=Family.V4, outcome=Outcome.OK)]
    if aaaa:
        probes.append(DnsServerProbe(address=aaaa, family=Family.V6, outcome=v6))
    return NameServer(name=name, resolution=server_resolution(name, a, aaaa), probes=probes)


def reverse_name(address: str, name: str | None, *, ptr: Outcome = Outcome.OK, back: Outcome | None = None,
                 confirmed: bool = True) -> ReverseName:
    """An address's PTR (``name``; None: none) and that name's AAAA (``back``: its outcome; holding the address
    when ``confirmed``)."""
    names = [name] if name and ptr == Outcome.OK else []
    back = back or Outcome.OK
    records = ([address] if confirmed else ["2001:db8::99"]) if back == Outcome.OK else []
    forward = [DnsLookup(name=n, rdtype="AAAA", outcome=back, records=records) for n in names]
    return ReverseName(address=address, ptr=DnsLookup(name="x.ip6.arpa", rdtype="PTR", outcome=ptr, records=names),
                       forward=forward, confirmed=[n for n, f in zip(names, forward) if address in f.records])


def mail_server(name: str, a: str, aaaa: str | None, v6: Outcome = Outcome.OK,
                reverse: list[ReverseName] | None = None) -> MailServer:
    """By default each IPv6 address has a PTR, ``name``, that resolves back to it, and each address that greets
    offers STARTTLS and completes it, showing a certificate for ``name`` from a trusted CA."""
    shown = TlsFacts(outcome=Outcome.OK, protocol="TLSv1.3", issuer_in_store=True, name_matches=True,
                     cert=msgspec.structs.replace(cert(sha256="c" * 64), subject=f"CN={name}", san=[name]))
    tls = {"ehlo": ["PIPELINING", "STARTTLS"], "starttls": Outcome.OK, "tls_protocol": "TLSv1.3", "tls": shown}
    probes = [SmtpProbe(address=a, family=Family.V4, port=25, outcome=Outcome.OK, **tls)]
    if aaaa:
        probes.append(SmtpProbe(address=aaaa, family=Family.V6, port=25, outcome=v6,
                                **(tls if v6 == Outcome.OK else {})))
    if reverse is None:
        reverse = [reverse_name(aaaa, name)] if aaaa else []
    return MailServer(name=name, preference=10, resolution=server_resolution(name, a, aaaa), probes=probes,
                      reverse=reverse)


def zone(ns: list[NameServer] | None = None, mx: list[MailServer] | None = None) -> ZoneFacts:
    ns = ns if ns is not None else [name_server("ns1.gov.example", "192.0.2.53", "2001:db8::53"),
                                    name_server("ns2.gov.example", "192.0.2.54", "2001:db8::54")]
    mx = mx if mx is not None else [mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25")]
    spf = SpfFacts(domain="gov.example", lookup=lookup("TXT", ["v=spf1 mx -all"], name="gov.example"),
                   record="v=spf1 mx -all",
                   checks=[SpfCheck(address=a.address, family=a.family, server=m.name, result=SpfResult.PASS, term="mx")
                           for m in mx for a in m.resolution.addresses]) if mx else None
    return ZoneFacts(zone="gov.example", outcome=Outcome.OK, spf=spf,
                     ns_lookup=lookup("NS", [s.name for s in ns], name="gov.example"), name_servers=ns,
                     mx_lookup=lookup("MX", [m.name for m in mx], name="gov.example"), mail_servers=mx,
                     dnssec=DnssecFacts(ds=lookup("DS", ["2371 13 2 ab"], name="gov.example"),
                                        dnskey=lookup("DNSKEY", ["257 3 13 key"], name="gov.example"),
                                        validation=_secure()))


def _secure() -> DnssecValidation:
    links = [DnssecLink(zone=z, status=DnssecStatus.SECURE, reason="ok", expires="2027-01-01T00:00:00Z")
             for z in (".", "example", "gov.example")]
    return DnssecValidation(status=DnssecStatus.SECURE, reason="ok", anchor=".", links=links)


# What a well-kept portal's footer shows (Circular 32/2017 art. 16; web.site_info)
FOOTER = SiteInfo(agency="Cơ quan chủ quản: Ủy ban nhân dân tỉnh Mẫu", responsible="Chịu trách nhiệm chính: Ông A",
                  address="Địa chỉ: 1 Trần Phú", phone="Điện thoại: 0236 3822 123", email="vanphong@gov.example",
                  sitemap=f"https://{HOST}/so-do-cong")


def page(*deps: Dependency, insecure: tuple[InsecureRef, ...] = (), insecure_found: int | None = None,
         site_info: SiteInfo | None = FOOTER, links: list[Dependency] | None = None) -> PageFacts:
    """The host's page as read over HTTPS and IPv6; by default it loads one script from a CDN that answers over
    IPv6, nothing by plain HTTP (``insecure``: what it does load so), its footer shows what art. 16 asks, and
    it links to one government site that opens over IPv6 (``links``)."""
    if not deps:
        deps = (dependency("cdn.example"),)
    if links is None:
        links = [dependency("dichvucong.gov.example", kinds=("link",))]
    return PageFacts(url=f"https://{HOST}/", address=V6A, family=Family.V6, length=5000, found=len(deps), cap=64,
                     dependencies=list(deps), insecure=list(insecure),
                     insecure_found=len(insecure) if insecure_found is None else insecure_found, site_info=site_info,
                     links=links, links_found=len(links))


def dependency(host: str, outcome: Outcome = Outcome.OK, *, kinds=("script",), literal: Family | None = None,
               status: int | None = 200) -> Dependency:
    """One origin the page loads from, probed over IPv6 with ``outcome`` (DNS_NODATA: it has no AAAA)."""
    probe = None if literal is Family.V4 else DependencyProbe(
        url=f"https://{host}/x", outcome=outcome, status=status if outcome == Outcome.OK else None,
        address=None if outcome in DNS_FAILURES or outcome == Outcome.DNS_NODATA else "2001:db8::99",
        for_host=HOST, at=STARTED)
    return Dependency(scheme="https", host=host, port=443, url=f"https://{host}/x", kinds=list(kinds), literal=literal,
                      probe=probe)


def chain_link(zone_name: str, *servers: tuple[str, list[Outcome]], outcome: Outcome = Outcome.OK) -> ZoneLink:
    """A zone on the resolution path: each (name server, outcomes of its IPv6 probes); no outcome: no AAAA."""
    return ZoneLink(zone=zone_name, outcome=outcome, servers=[
        ChainServer(name=name, aaaa_outcome=Outcome.OK if probes else Outcome.DNS_NODATA,
                    aaaa=[f"2001:db8::{i + 53}" for i, _ in enumerate(probes)],
                    probes=[DnsServerProbe(address=f"2001:db8::{i + 53}", family=Family.V6, outcome=o)
                            for i, o in enumerate(probes)])
        for name, probes in servers])


def resolution_chain(*links: ZoneLink, names: list[ChainName] | None = None) -> ResolutionChain:
    """By default: the host in gov.example under the TLD example, both answering over IPv6, gov.example delegated
    by example.'s referral to the servers it lists, with AAAA glue."""
    if not links:
        own = chain_link("gov.example", ("ns1.gov.example", [Outcome.OK]), ("ns2.gov.example", [Outcome.OK]))
        own.glue = GlueFacts(parent="example", address="2001:db8::53", referral=True,
                             delegated=["ns1.gov.example", "ns2.gov.example"],
                             names=[GlueName(name=s.name, a=["192.0.2.53"], aaaa=s.aaaa) for s in own.servers])
        links = (chain_link("example", ("ns1.gov.example", [Outcome.OK])), own)
    if names is None:
        names = [ChainName(name=HOST, role="host", zones=[link.zone for link in links])]
    return ResolutionChain(names=names, zones=list(links))


def site(*, a=(V4A,), aaaa=(V6A,), outcomes=None, web=None, parity_facts=None, zone_facts="default",
         scanner_ipv6=True, allowed=LAB, page_facts="default", chain_facts="default", **res) -> HostFacts:
    """A host as a scan would record it: every (scheme, address) probed, OK unless ``outcomes`` says otherwise.

    Probes of addresses outside ``allowed`` are SKIPPED_NON_GLOBAL and, without
    scanner IPv6, IPv6 probes are UNTESTABLE, as the prober does.
    """
    outcomes = outcomes or {}
    nets = parse_prefixes(allowed)

    def probe_outcome(scheme, address):
        if not is_allowed(address, nets):
            return Outcome.SKIPPED_NON_GLOBAL
        if ":" in address and not scanner_ipv6:
            return Outcome.UNTESTABLE
        return outcomes.get((scheme, address), Outcome.OK)

    if web is None:
        web = [web_probe(s, x, probe_outcome(s, x)) for s in ("http", "https") for x in (*a, *aaaa)]
    if parity_facts is None:
        parity_facts = [parity(s) for s in ("http", "https") if a and aaaa and all(
            p.outcome in CERT_FAILURES | {Outcome.OK} for p in web if p.scheme == s)]
    return HostFacts(
        host=HOST, display=HOST, input=HOST, started=STARTED, scanner_ipv6=scanner_ipv6, allowed_special=list(allowed),
        resolution=resolution(a, aaaa, **res), web=web, parity=parity_facts,
        zone=zone() if zone_facts == "default" else zone_facts,
        subresources=True, page=page() if page_facts == "default" else page_facts,
        chain=resolution_chain() if chain_facts == "default" else chain_facts,
    )


def no_web(**kw) -> HostFacts:
    """A host the scan could not resolve (or has no address): no web probe, no parity."""
    kw.setdefault("zone_facts", None)
    kw.setdefault("page_facts", None)
    kw.setdefault("chain_facts", None)
    return site(web=[], parity_facts=[], **kw)


def checks_of(result) -> dict[str, object]:
    return {c.id: c for c in result.checks}


def replace_probe(facts: HostFacts, scheme: str, address: str, **changes) -> HostFacts:
    web = [msgspec.structs.replace(p, **changes) if (p.scheme, p.address) == (scheme, address) else p for p in facts.web]
    return msgspec.structs.replace(facts, web=web)


# ---------------------------------------------------------------- ready


def test_healthy_dual_stack_site_is_ready():
    result = judge(site())
    assert result.verdict == Verdict.READY and result.reasons == []
    ids = [c.id for c in result.checks]
    # one result per id the registry declares, in registry order (dns first, then web, TLS, ...)
    assert ids == [i for check in CHECKS for i in check.ids]
    assert ids[0] == "dns.resolve" and len(ids) == len(set(ids))
    # every check passes; the gov.vn naming rule has no unit to judge a list row without an org
    assert {c.status for c in result.checks if c.id != "naming.gov_vn"} == {CheckStatus.PASS}
    assert checks_of(result)["naming.gov_vn"].reason == "naming_unit_unknown"


def test_ipv6_only_host_is_ready():
    result = judge(site(a=()))
    assert result.verdict == Verdict.READY
    assert checks_of(result)["dns.a"].status == CheckStatus.INFO


# ---------------------------------------------------------------- rule 1: unresolvable


@pytest.mark.parametrize("failure", [Outcome.DNS_SERVFAIL, Outcome.DNS_TIMEOUT, Outcome.DNS_REFUSED, Outcome.DNS_ERROR])
def test_dns_failure_on_aaaa_is_unresolvable_never_no_ipv6(failure):
    result = judge(no_web(aaaa=(), aaaa_outcome=failure))
    assert result.verdict == Verdict.UNRESOLVABLE
    assert result.reasons[0] == f"{failure}_aaaa"
    assert "no_aaaa" not in result.reasons


def test_servfail_on_aaaa_with_working_ipv4_is_still_unresolvable():
    facts = site(aaaa=(), aaaa_outcome=Outcome.DNS_SERVFAIL)
    result = judge(facts)
    assert result.verdict == Verdict.UNRESOLVABLE and result.reasons == ["dns_servfail_aaaa"]
    assert checks_of(result)["dns.resolve"].status == CheckStatus.PASS  # IPv4 resolved
    assert "SERVFAIL" in checks_of(result)["dns.aaaa"].message


def test_nxdomain_is_unresolvable():
    result = judge(no_web(a=(), aaaa=(), a_outcome=Outcome.DNS_NXDOMAIN, aaaa_outcome=Outcome.DNS_NXDOMAIN))
    assert result.verdict == Verdict.UNRESOLVABLE and result.reasons == ["dns_nxdomain"]
    assert "does not exist" in checks_of(result)["dns.resolve"].message


def test_both_lookups_failing_is_unresolvable():
    result = judge(no_web(a=(), aaaa=(), a_outcome=Outcome.DNS_TIMEOUT, aaaa_outcome=Outcome.DNS_SERVFAIL))
    assert result.verdict == Verdict.UNRESOLVABLE
    assert result.reasons == ["dns_servfail_aaaa", "dns_timeout_a"]


def test_cname_loop_is_unresolvable():
    facts = no_web(a=(), aaaa=(), chain=Outcome.CNAME_LOOP)
    facts.resolution.cname_chain = ["loop2.gov.example", HOST]
    result = judge(facts)
    assert result.verdict == Verdict.UNRESOLVABLE and result.reasons == ["cname_loop"]
    message = checks_of(result)["dns.resolve"].message
    assert "loop2.gov.example" in message and "loops" in message
    assert checks_of(result)["dns.aaaa"].status == CheckStatus.NOT_APPLICABLE


# ---------------------------------------------------------------- rule 2: no IPv6


def test_no_aaaa_is_no_ipv6():
    result = judge(site(aaaa=()))
    assert result.verdict == Verdict.NO_IPV6 and result.reasons == ["no_aaaa"]
    assert checks_of(result)["web.https.ipv4"].status == CheckStatus.PASS  # IPv4 still reported
    assert checks_of(result)["parity.https"].status == CheckStatus.NOT_APPLICABLE


def test_no_records_at_all_is_no_ipv6_with_no_addresses():
    result = judge(no_web(a=(), aaaa=()))
    assert result.verdict == Verdict.NO_IPV6 and result.reasons[0] == "no_addresses"


# ---------------------------------------------------------------- rule 3: non-global AAAA


@pytest.mark.parametrize("address", ["::1", "fd00::10", "fe80::1"])
@pytest.mark.parametrize("scanner_ipv6", [True, False])
def test_non_global_aaaa_not_allowed_is_broken(address, scanner_ipv6):
    result = judge(site(aaaa=(address,), allowed=["192.0.2.0/24"], scanner_ipv6=scanner_ipv6))
    assert result.verdict == Verdict.BROKEN_IPV6 and result.reasons[0] == "aaaa_not_global"
    assert address in checks_of(result)["dns.aaaa_global"].message
    assert checks_of(result)["web.https.ipv6"].reason == "skipped_non_global"


def test_non_global_aaaa_in_allowed_prefix_is_judged_normally():
    result = judge(site(aaaa=("fd00::10",), allowed=["192.0.2.0/24", "fd00::/8"]))
    assert result.verdict == Verdict.READY and result.reasons == []


def test_some_aaaa_non_global_is_partial():
    result = judge(site(aaaa=(V6A, "fd00::10"), allowed=LAB))
    assert result.verdict == Verdict.PARTIAL and result.reasons == ["aaaa_not_global"]
    assert "fd00::10 (unique local)" in checks_of(result)["dns.aaaa_global"].message


# ---------------------------------------------------------------- rule 4: untestable


def test_scanner_without_ipv6_is_untestable_never_broken():
    result = judge(site(scanner_ipv6=False, zone_facts=zone(
        ns=[name_server("ns1.gov.example", "192.0.2.53", "2001:db8::53", v6=Outcome.UNTESTABLE)],
        mx=[mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25", v6=Outcome.UNTESTABLE)])))
    assert result.verdict == Verdict.UNTESTABLE and result.reasons == ["scanner_no_ipv6"]
    checks = checks_of(result)
    assert not [c for c in result.checks if c.status == CheckStatus.FAIL]
    assert checks["web.https.ipv4"].status == CheckStatus.PASS and checks["tls.ipv4"].status == CheckStatus.PASS
    # everything judged over IPv6, or comparing the families, is unknown: never "not applicable", which a
    # policy's "must not fail" would count as met
    for cid in ("web.https.ipv6", "parity.https", "ns.ipv6", "mx.ipv6", "tls.ipv6", "tls.same_cert",
                "tls.profile.ipv6", "redirect.ipv6", "web.latency", "parity.headers", "mx.starttls6", "mx.cert6"):
        assert (checks[cid].status, checks[cid].reason) == (CheckStatus.UNTESTABLE, "scanner_no_ipv6"), cid
    assert [c.id for c in result.checks if c.status == CheckStatus.NOT_APPLICABLE] == ["naming.gov_vn"]
    assert checks["web.https_enforced"].status == CheckStatus.PASS  # judged on the addresses it could probe


def test_untestable_even_when_ipv4_refuses():
    facts = site(a=(V4A, "192.0.2.11"), scanner_ipv6=False, outcomes={("https", V4A): Outcome.REFUSED})
    result = judge(facts)
    assert result.verdict == Verdict.UNTESTABLE
    assert result.reasons == ["scanner_no_ipv6", "ipv4_problem"]


# ---------------------------------------------------------------- rule 5: broken IPv6


@pytest.mark.parametrize("failure", [Outcome.REFUSED, Outcome.TIMEOUT])
def test_nothing_answering_over_ipv6_is_broken(failure):
    result = judge(site(outcomes={("http", V6A): failure, ("https", V6A): failure}))
    kind = {Outcome.REFUSED: "refused", Outcome.TIMEOUT: "timeout"}[failure]
    assert result.verdict == Verdict.BROKEN_IPV6
    assert result.reasons[:2] == [f"http_{kind}_ipv6", f"https_{kind}_ipv6"]
    # A silent IPv6 is "no answer in the time allowed", never "answers on no IPv6 address".
    side = {Outcome.REFUSED: "ipv4_only", Outcome.TIMEOUT: "ipv6_no_answer"}[failure]
    assert {f"http_{side}", f"https_{side}"} <= set(result.reasons)


def test_a_timeout_says_how_long_it_waited_in_either_language():
    facts = site(outcomes={("https", V6A): Outcome.TIMEOUT})
    for p in facts.web:
        if p.scheme == "https" and p.family is Family.V6:
            p.attempts, p.hops = 2, [HttpHop(url="https://x/", address=V6A, outcome=Outcome.TIMEOUT, elapsed_ms=20012.5)]
    checks = checks_of(judge(facts))
    assert checks["web.https.ipv6"].message == "HTTPS on 2001:db8::10 port 443 gave no answer within 20 s (2 tries)"
    parity = checks["parity.https"]
    assert parity.reason == "https_ipv6_no_answer"
    assert parity.message == "HTTPS answers over IPv4, but over IPv6 2001:db8::10 port 443 gave no answer within 20 s (2 tries)"
    assert message(parity, "vi") == ("HTTPS trả lời qua IPv4, nhưng qua IPv6 2001:db8::10 cổng 443 "
                                     "không trả lời trong 20 giây (2 lần thử)")


def test_refused_message_names_address_and_port():
    result = judge(site(outcomes={("https", V6A): Outcome.REFUSED}))
    assert checks_of(result)["web.https.ipv6"].message == "HTTPS on 2001:db8::10 port 443 refused the connection"


def test_https_handshake_failing_everywhere_on_ipv6_and_http_refused_is_broken():
    result = judge(site(outcomes={("http", V6A): Outcome.REFUSED, ("https", V6A): Outcome.TLS_HANDSHAKE_FAILED}))
    assert result.verdict == Verdict.BROKEN_IPV6
    assert {"https_tls_handshake_failed_ipv6", "tls_ipv6_only_problem"} <= set(result.reasons)


# ---------------------------------------------------------------- rule 6: partial


def test_one_of_two_aaaa_dead_is_partial():
    dead = {("http", V6B): Outcome.REFUSED, ("https", V6B): Outcome.REFUSED}
    result = judge(site(aaaa=(V6A, V6B), outcomes=dead))
    assert result.verdict == Verdict.PARTIAL
    assert result.reasons == ["http_refused_ipv6", "https_refused_ipv6"]
    message = checks_of(result)["web.https.ipv6"].message
    assert V6B in message and V6A not in message


def test_mixed_failures_are_all_named():
    dead = {("https", V6A): Outcome.TIMEOUT, ("https", V6B): Outcome.RESET}
    result = judge(site(aaaa=(V6A, V6B, "2001:db8::12"), outcomes=dead))
    assert result.verdict == Verdict.PARTIAL
    message = checks_of(result)["web.https.ipv6"].message
    assert message == "HTTPS on 2001:db8::10 port 443 timed out and 2001:db8::11 port 443 reset the connection"


def test_https_only_on_ipv4_is_partial():
    result = judge(site(outcomes={("https", V6A): Outcome.REFUSED}))
    assert result.verdict == Verdict.PARTIAL
    assert result.reasons == ["https_refused_ipv6", "https_ipv4_only"]


def test_different_page_over_ipv6_is_partial():
    facts = site(parity_facts=[parity("http"), parity("https", similarity=0.42, v4_length=5000, v6_length=1234)])
    result = judge(facts)
    assert result.verdict == Verdict.PARTIAL and result.reasons == ["parity_content_differs"]
    message = checks_of(result)["parity.https"].message
    assert "42%" in message and "1,234 bytes" in message and "5,000 bytes" in message


def test_similarity_just_below_threshold_never_shows_as_threshold():
    result = judge(site(parity_facts=[parity("http", similarity=0.8999)]))
    assert result.verdict == Verdict.PARTIAL and "89.9%" in checks_of(result)["parity.http"].message


def test_different_status_over_ipv6_is_partial():
    result = judge(site(parity_facts=[parity("https", v6_status=503, similarity=0.1)]))
    assert result.verdict == Verdict.PARTIAL and result.reasons == ["parity_status_differs"]
    assert "200" in checks_of(result)["parity.https"].message and "503" in checks_of(result)["parity.https"].message


def test_invalid_cert_only_on_ipv6_is_partial():
    result = judge(site(outcomes={("https", V6A): Outcome.TLS_SELF_SIGNED}))
    assert result.verdict == Verdict.PARTIAL and result.reasons == ["tls_ipv6_only_problem"]
    checks = checks_of(result)
    assert checks["web.https.ipv6"].status == CheckStatus.PASS  # the server did answer
    assert "2001:db8::10 port 443 served a self-signed certificate" in checks["tls.ipv6"].message


def test_expired_cert_on_both_families_is_partial_tls_invalid():
    expired = {("https", V4A): Outcome.TLS_EXPIRED, ("https", V6A): Outcome.TLS_EXPIRED}
    result = judge(site(outcomes=expired))
    assert result.verdict == Verdict.PARTIAL and result.reasons == ["tls_invalid"]
    assert checks_of(result)["tls.ipv4"].status == CheckStatus.FAIL


def test_invalid_cert_only_on_ipv4_is_a_warning():
    result = judge(site(outcomes={("https", V4A): Outcome.TLS_HOSTNAME_MISMATCH}))
    assert result.verdict == Verdict.READY and result.reasons == ["ipv4_problem"]


def test_different_certificate_per_family_only_warns():
    facts = replace_probe(site(), "https", V6A, tls=TlsFacts(outcome=Outcome.OK, protocol="TLSv1.3", cert=cert(OTHER_CERT)))
    result = judge(facts)
    assert result.verdict == Verdict.READY and result.reasons == ["tls_cert_differs"]
    assert "aaaaaaaa" in checks_of(result)["tls.same_cert"].message and "bbbbbbbb" in checks_of(result)["tls.same_cert"].message


def test_redirect_leaving_ipv6_is_partial():
    facts = replace_probe(site(), "https", V6A, final_outcome=Outcome.REDIRECT_LEAVES_FAMILY,
                          final_url="https://v4only.gov.example/")
    result = judge(facts)
    assert result.verdict == Verdict.PARTIAL and result.reasons == ["redirect_leaves_ipv6"]
    assert "https://v4only.gov.example/" in checks_of(result)["redirect.ipv6"].message


def test_later_redirect_hop_refused_is_partial():
    facts = replace_probe(site(), "http", V6A, final_outcome=Outcome.REFUSED, final_url="https://login.gov.example/")
    result = judge(facts)
    assert result.verdict == Verdict.PARTIAL and result.reasons == ["redirect_failed_ipv6"]
    assert "refused the connection" in checks_of(result)["redirect.ipv6"].message


def test_first_hop_certificate_problem_is_not_a_redirect_failure():
    result = judge(site(outcomes={("https", V6A): Outcome.TLS_UNTRUSTED}))
    assert checks_of(result)["redirect.ipv6"].status == CheckStatus.PASS


def test_name_servers_without_ipv6_make_it_partial():
    ns = [name_server("ns1.gov.example", "192.0.2.53", None),
          name_server("ns2.gov.example", "192.0.2.54", "2001:db8::54", v6=Outcome.TIMEOUT)]
    result = judge(site(zone_facts=zone(ns=ns)))
    assert result.verdict == Verdict.PARTIAL and result.reasons == ["ns_no_ipv6"]
    message = checks_of(result)["ns.ipv6"].message
    assert "ns1.gov.example has no IPv6 address" in message and "2001:db8::54 timed out" in message


def test_single_name_server_over_ipv6_warns():
    ns = [name_server("ns1.gov.example", "192.0.2.53", "2001:db8::53"), name_server("ns2.gov.example", "192.0.2.54", None)]
    result = judge(site(zone_facts=zone(ns=ns)))
    assert result.verdict == Verdict.READY and result.reasons == ["ns_single_ipv6"]


def test_untestable_name_servers_never_fail():
    ns = [name_server("ns1.gov.example", "192.0.2.53", "2001:db8::53", v6=Outcome.UNTESTABLE)]
    result = judge(site(zone_facts=zone(ns=ns)))
    assert checks_of(result)["ns.ipv6"].status == CheckStatus.UNTESTABLE
    assert result.verdict == Verdict.READY


def test_name_server_aaaa_servfail_is_not_no_ipv6():
    broken = name_server("ns1.gov.example", "192.0.2.53", None)
    broken.resolution = resolution(("192.0.2.53",), (), aaaa_outcome=Outcome.DNS_SERVFAIL, name="ns1.gov.example")
    result = judge(site(zone_facts=zone(ns=[broken])))
    assert checks_of(result)["ns.ipv6"].status == CheckStatus.UNTESTABLE
    assert checks_of(result)["ns.ipv6"].reason == "zone_dns_failed"


def test_zone_not_found_is_untestable():
    result = judge(site(zone_facts=ZoneFacts(zone=None, outcome=Outcome.DNS_TIMEOUT)))
    assert checks_of(result)["ns.ipv6"].status == CheckStatus.UNTESTABLE
    assert result.verdict == Verdict.READY


# ---------------------------------------------------------------- mail


def test_mx_without_ipv6_fails_the_check_but_not_the_verdict():
    mx = [mail_server("mail.gov.example", "192.0.2.25", None)]
    result = judge(site(zone_facts=zone(mx=mx)))
    mx_check = checks_of(result)["mx.ipv6"]
    assert mx_check.status == CheckStatus.FAIL and mx_check.reason == "mx_no_ipv6"
    assert result.verdict == Verdict.READY and result.reasons == []


@pytest.mark.parametrize("mx", [[], [mail_server(".", "192.0.2.25", None)]], ids=["none", "null-mx"])
def test_no_mx_is_not_applicable(mx):
    result = judge(site(zone_facts=zone(mx=mx)))
    assert checks_of(result)["mx.ipv6"].status == CheckStatus.NOT_APPLICABLE


def test_without_zone_facts_ns_and_mx_are_not_applicable():
    checks = checks_of(judge(site(zone_facts=None)))
    assert checks["ns.ipv6"].status == checks["mx.ipv6"].status == CheckStatus.NOT_APPLICABLE


@pytest.mark.parametrize("status, reason, zone_reason, expired_at, want, words", [
    (DnssecStatus.SECURE, "ok", None, None, (CheckStatus.PASS, "dnssec_secure"), "validates from the trust anchor ."),
    (DnssecStatus.INSECURE, "no_ds", None, None, (CheckStatus.FAIL, "dnssec_insecure"), "signed NSEC"),
    (DnssecStatus.BOGUS, "signature_expired", "signature_expired", "2026-11-27T20:00:00Z",
     (CheckStatus.FAIL, "dnssec_signature_expired"), "expired at 2026-11-27T20:00:00Z"),
    (DnssecStatus.BOGUS, "no_matching_key", "no_matching_key", None, (CheckStatus.FAIL, "dnssec_no_matching_key"),
     "matches the DS"),
    (DnssecStatus.BOGUS, "no_ds_proof", "no_ds_proof", None, (CheckStatus.FAIL, "dnssec_no_ds_proof"), "no signed proof"),
    (DnssecStatus.INDETERMINATE, "no_anchor", None, None, (CheckStatus.UNTESTABLE, "dnssec_no_anchor"), "--trust-anchor"),
    (DnssecStatus.INDETERMINATE, "lookup_failed", None, None, (CheckStatus.UNTESTABLE, "dnssec_indeterminate"),
     "DNS failed"),
])
def test_dnssec_validation_is_judged_secure_insecure_bogus_or_untested(status, reason, zone_reason, expired_at,
                                                                       want, words):
    last = DnssecLink(zone="gov.example", status=status, reason=reason, expired_at=expired_at,
                      expires="2027-01-01T00:00:00Z")
    validation = DnssecValidation(status=status, reason=reason, anchor=".", links=[last],
                                  broken_at=None if status is DnssecStatus.SECURE else "gov.example")
    facts = site()
    facts.zone.dnssec.validation = validation
    got = checks_of(judge(facts))["zone.dnssec_valid"]
    assert (got.status, got.reason) == want and words in got.message
    assert checks_of(judge(facts)).keys() >= {"zone.dnssec", "zone.dnssec_valid"}


def test_dnssec_validation_turned_off_is_not_applicable():
    facts = site()
    facts.zone.dnssec.validation = None
    got = checks_of(judge(facts))["zone.dnssec_valid"]
    assert (got.status, got.reason) == (CheckStatus.NOT_APPLICABLE, "zone_not_checked")


def _dnssec(ds: list[str], dnskey: list[str], ds_outcome: Outcome | None = None) -> DnssecFacts:
    return DnssecFacts(ds=lookup("DS", ds, ds_outcome, name="gov.example"),
                       dnskey=lookup("DNSKEY", dnskey, name="gov.example"))


@pytest.mark.parametrize(
    "dnssec, status, reason",
    [
        (_dnssec(["2371 13 2 ab"], ["257 3 13 key"]), CheckStatus.PASS, "dnssec_signed"),
        (_dnssec([], ["257 3 13 key"]), CheckStatus.FAIL, "dnssec_unsigned"),
        (_dnssec([], []), CheckStatus.FAIL, "dnssec_unsigned"),
        (_dnssec([], [], Outcome.DNS_SERVFAIL), CheckStatus.UNTESTABLE, "zone_dns_failed"),
    ],
    ids=["signed", "no-ds", "unsigned", "servfail"],
)
def test_dnssec_check_is_listed_but_does_not_change_the_verdict(dnssec, status, reason):
    facts = site(zone_facts=msgspec.structs.replace(zone(), dnssec=dnssec))
    result = judge(facts)
    check = checks_of(result)["zone.dnssec"]
    assert (check.status, check.reason) == (status, reason)
    assert result.verdict == Verdict.READY


# ---------------------------------------------------------------- HTTP only, TLS details, IPv4 side


def test_http_only_site_is_ready_with_info():
    refused = {("https", V4A): Outcome.REFUSED, ("https", V6A): Outcome.REFUSED}
    result = judge(site(outcomes=refused))
    assert result.verdict == Verdict.READY and result.reasons == []
    checks = checks_of(result)
    assert checks["web.https.ipv6"].status == CheckStatus.INFO and checks["web.https.ipv6"].reason == "https_absent"
    assert checks["parity.https"].status == CheckStatus.NOT_APPLICABLE


def test_nothing_answering_anywhere_is_broken_not_absent():
    dead = {(s, x): Outcome.REFUSED for s in ("http", "https") for x in (V4A, V6A)}
    result = judge(site(outcomes=dead))
    assert result.verdict == Verdict.BROKEN_IPV6
    assert "https_absent" not in result.reasons and "https_refused_ipv6" in result.reasons


def test_expiring_certificate_warns_with_days_left():
    soon = (datetime.fromisoformat(STARTED) + timedelta(days=5, hours=1)).isoformat()
    facts = replace_probe(site(), "https", V6A, tls=TlsFacts(outcome=Outcome.OK, protocol="TLSv1.3", cert=cert(not_after=soon)))
    result = judge(facts)
    expiry = checks_of(result)["tls.expiry"]
    assert expiry.status == CheckStatus.WARN and expiry.reason == "tls_expiring" and "5 days" in expiry.message
    assert result.verdict == Verdict.READY and "tls_expiring" in result.reasons
    assert checks_of(judge(facts, expiry_warn_days=3))["tls.expiry"].status == CheckStatus.PASS


def test_now_defaults_to_the_scan_start_and_can_be_given():
    facts = site()
    assert checks_of(judge(facts))["tls.expiry"].status == CheckStatus.PASS
    later = datetime(2026, 12, 20, tzinfo=UTC)
    expiry = checks_of(judge(facts, now=later))["tls.expiry"]
    assert expiry.status == CheckStatus.WARN and "12 days" in expiry.message
    expired = checks_of(judge(facts, now=datetime(2027, 1, 3)))["tls.expiry"]  # naive means UTC
    assert "expired 2 days ago" in expired.message


def test_old_tls_protocol_warns():
    facts = replace_probe(site(), "https", V4A, tls=TlsFacts(outcome=Outcome.OK, protocol="TLSv1.1", cert=cert()))
    result = judge(facts)
    assert result.verdict == Verdict.READY and result.reasons == ["tls_old_protocol"]
    assert "192.0.2.10 port 443 negotiated TLSv1.1" in checks_of(result)["tls.protocol"].message


def test_ipv4_problem_only_warns():
    refused = {("http", V4A): Outcome.REFUSED, ("https", V4A): Outcome.REFUSED}
    result = judge(site(outcomes=refused, parity_facts=[]))
    assert result.verdict == Verdict.READY and result.reasons == ["ipv4_problem"]
    assert checks_of(result)["parity.https"].reason == "https_ipv6_only"


# ---------------------------------------------------------------- scanner error


def test_scanner_error_is_its_own_verdict():
    facts = msgspec.structs.replace(no_web(), error="RuntimeError: boom")
    result = judge(facts)
    assert result.verdict == Verdict.ERROR and result.reasons == ["scanner_error"]
    assert [c.id for c in result.checks] == ["scan.error"] and "boom" in result.checks[0].message


# ---------------------------------------------------------------- purity, reproducibility, vocabulary


def test_judge_is_deterministic_and_does_not_mutate_its_input():
    facts = site(aaaa=(V6A, V6B), outcomes={("https", V6B): Outcome.TLS_EXPIRED})
    before = copy.deepcopy(facts)
    first, second = judge(facts), judge(facts)
    assert first == second
    assert facts == before


def test_rejudging_facts_decoded_from_json_gives_the_same_result():
    facts = site(aaaa=(V6A, V6B), outcomes={("https", V6B): Outcome.REFUSED},
                 parity_facts=[parity("https", similarity=0.5)])
    decoded = msgspec.json.decode(msgspec.json.encode(facts), type=HostFacts)
    assert judge(decoded) == judge(facts)
    assert judge(decoded).verdict == Verdict.PARTIAL


SCENARIOS = [
    site(),
    site(a=()),
    site(aaaa=()),
    site(aaaa=("::1",), allowed=[]),
    site(aaaa=(V6A, "fd00::1")),
    site(scanner_ipv6=False),
    site(outcomes={(s, V6A): Outcome.PROTOCOL_ERROR for s in ("http", "https")}),
    site(outcomes={(s, V4A): Outcome.UNREACHABLE for s in ("http", "https")}),
    site(outcomes={("https", V6A): Outcome.TLS_NOT_YET_VALID, ("https", V4A): Outcome.TLS_HANDSHAKE_FAILED}),
    site(outcomes={("https", V4A): Outcome.REFUSED, ("https", V6A): Outcome.REFUSED}),
    site(parity_facts=[parity("http", similarity=None), parity("https", v6_status=404)]),
    replace_probe(site(), "https", V6A, final_outcome=Outcome.REDIRECT_LOOP),
    replace_probe(site(), "https", V6A, final_outcome=Outcome.TLS_EXPIRED),
    site(zone_facts=zone(ns=[name_server("ns1.gov.example", "192.0.2.53", None)], mx=[])),
    site(zone_facts=ZoneFacts(zone=None, outcome=Outcome.DNS_SERVFAIL, detail="SERVFAIL at gov.example")),
    no_web(a=(), aaaa=(), chain=Outcome.CNAME_TOO_LONG),
    no_web(a=(), aaaa=(), a_outcome=Outcome.DNS_REFUSED, aaaa_outcome=Outcome.DNS_NXDOMAIN),
    no_web(a=(), aaaa=()),
]


@pytest.mark.parametrize("facts", SCENARIOS)
def test_every_reason_is_explained_and_every_message_is_one_sentence(facts):
    result = judge(facts)
    for check in result.checks:
        assert check.reason in REASON_TEXT, check
        assert check.message and "\n" not in check.message and not check.message.endswith("."), check
    assert len({c.id for c in result.checks}) == len(result.checks)
    assert all(r in REASON_TEXT for r in result.reasons)


def test_checks_are_pure_functions_of_facts_and_context():
    assert all(callable(check) and check.__doc__ for check in CHECKS)
