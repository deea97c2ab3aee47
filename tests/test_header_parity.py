"""parity.headers: TLS versions, HSTS and the security headers compared between IPv4 and IPv6 (pure)."""

from __future__ import annotations

import msgspec

from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, TlsFacts
from tests.test_checks import V4A, V6A, site


def parity_headers(facts):
    return {c.id: c for c in judge(facts).checks}["parity.headers"]


def with_headers(facts, family_address: str, **changes):
    web = []
    for p in facts.web:
        if p.scheme == "https" and p.address == family_address:
            headers = {**p.headers, **{k: v for k, v in changes.items() if k != "protocol" and v is not None}}
            for k, v in changes.items():
                if v is None:
                    headers.pop(k, None)
            tls = p.tls
            if "protocol" in changes and tls is not None:
                tls = msgspec.structs.replace(tls, protocol=changes["protocol"])
            p = msgspec.structs.replace(p, headers=headers, tls=tls)
        web.append(p)
    return msgspec.structs.replace(facts, web=web)


def test_the_same_headers_on_both_families_pass_and_csp_nonces_are_noise() -> None:
    facts = with_headers(site(), V4A, **{"content-security-policy": "script-src 'nonce-abc123' 'self'"})
    facts = with_headers(facts, V6A, **{"content-security-policy": "script-src  'nonce-ZZ9'  'self'"})
    found = parity_headers(facts)
    assert (found.status, found.reason) == (CheckStatus.PASS, "headers_same")


def test_a_header_or_tls_version_on_one_family_only_is_a_warning_naming_both_sides() -> None:
    facts = with_headers(site(), V4A, **{"x-frame-options": "DENY"})
    facts = with_headers(facts, V6A, **{"strict-transport-security": None, "x-frame-options": None,
                                        "protocol": "TLSv1.2"})
    found = parity_headers(facts)
    assert (found.status, found.reason) == (CheckStatus.WARN, "headers_differ")
    assert message(found, "en") == (
        "Over IPv4 and IPv6 users meet different TLS (IPv4: TLSv1.3; IPv6: TLSv1.2), Strict-Transport-Security "
        "(IPv4: max-age=31536000; includesubdomains; IPv6: none) and X-Frame-Options (IPv4: deny; IPv6: none)")
    assert "không có" in message(found, "vi")
    assert judge(facts).verdict.value == "ready"  # does not count for the verdict


def test_one_family_only_is_not_applicable() -> None:
    assert parity_headers(site(aaaa=())).status is CheckStatus.NOT_APPLICABLE
    assert TlsFacts  # (the fixture's TLS facts carry the protocol compared)


def test_tls_versions_accepted_on_one_family_only_are_a_warning_naming_both_sides() -> None:
    from ipv6scan.model import Outcome, TlsVersionTry

    def versions(*accepted: str) -> list[TlsVersionTry]:
        return [TlsVersionTry(version=v, accepted=v in accepted, outcome=Outcome.OK if v in accepted
                              else Outcome.TLS_HANDSHAKE_FAILED, how="alone")
                for v in ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")]

    def with_versions(facts, address, tries):
        web = [msgspec.structs.replace(p, tls=msgspec.structs.replace(p.tls, versions=tries))
               if p.scheme == "https" and p.address == address and p.tls is not None else p for p in facts.web]
        return msgspec.structs.replace(facts, web=web)

    same = with_versions(with_versions(site(), V4A, versions("TLSv1.2", "TLSv1.3")), V6A, versions("TLSv1.2", "TLSv1.3"))
    assert parity_headers(same).status == CheckStatus.PASS
    old4 = with_versions(same, V4A, versions("TLSv1", "TLSv1.2", "TLSv1.3"))
    found = parity_headers(old4)
    assert (found.status, found.reason) == (CheckStatus.WARN, "headers_differ")
    assert "accepted TLS versions (IPv4: TLSv1, TLSv1.2 and TLSv1.3; IPv6: TLSv1.2 and TLSv1.3)" in found.message
    assert "các phiên bản TLS được chấp nhận" in message(found, "vi")
