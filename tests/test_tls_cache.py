"""tls.cert_info parses each certificate once (cache by the DER's SHA-256, bounded, least recently used out)."""

from __future__ import annotations

import hashlib
import ssl

import pytest
import trustme

from ipv6scan.probe import tls


@pytest.fixture(scope="module")
def ders() -> list[bytes]:
    ca = trustme.CA()
    return [
        ssl.PEM_cert_to_DER_cert(ca.issue_cert(f"h{i}.example.test").cert_chain_pems[0].bytes().decode())
        for i in range(4)
    ]


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The digests of the certificates actually parsed during the test (the cache starts empty)."""
    seen: list[str] = []
    parse = tls._parse_cert

    def counting(der: bytes, digest: str):
        seen.append(digest)
        return parse(der, digest)

    monkeypatch.setattr(tls, "_cert_cache", {})
    monkeypatch.setattr(tls, "_parse_cert", counting)
    return seen


def test_a_certificate_is_parsed_once(ders, parses) -> None:
    first, second = tls.cert_info(ders[0]), tls.cert_info(bytes(ders[0]))
    assert first == second and first.sha256 == hashlib.sha256(ders[0]).hexdigest()
    assert first.san == ["h0.example.test"]
    assert parses == [first.sha256]
    # each caller gets its own copy: changing one changes no other record
    assert first is not second and first.san is not second.san
    first.san.append("changed")
    assert tls.cert_info(ders[0]).san == ["h0.example.test"]


def test_the_cache_is_bounded_least_recently_used_out(ders, parses, monkeypatch) -> None:
    monkeypatch.setattr(tls, "_CERT_CACHE_SIZE", 2)
    digest = [hashlib.sha256(d).hexdigest() for d in ders]
    tls.cert_info(ders[0])
    tls.cert_info(ders[1])
    tls.cert_info(ders[0])  # used again: now the most recent
    tls.cert_info(ders[2])  # evicts ders[1]
    assert list(tls._cert_cache) == [digest[0], digest[2]]
    tls.cert_info(ders[0])
    tls.cert_info(ders[1])
    assert parses == [digest[0], digest[1], digest[2], digest[1]]


def test_garbage_is_not_cached(parses) -> None:
    for _ in range(2):
        with pytest.raises(ValueError):
            tls.cert_info(b"\x30\x03not a certificate")
    assert len(parses) == 2 and tls._cert_cache == {}


def test_a_name_is_checked_once_per_certificate_and_host(ders, monkeypatch) -> None:
    """The same certificate served over both families: the second check is remembered, and right."""
    calls: list[str] = []
    verify = tls.verify_service_identity

    def counting(**kw):
        calls.append(kw["obligatory_ids"][0].hostname.decode())
        return verify(**kw)

    monkeypatch.setattr(tls, "_matches_cache", {})
    monkeypatch.setattr(tls, "verify_service_identity", counting)
    assert tls.name_matches(ders[0], "h0.example.test") is True
    assert tls.name_matches(ders[0], "h0.example.test", hashlib.sha256(ders[0]).hexdigest()) is True
    assert tls.name_matches(ders[0], "h1.example.test") is False
    assert tls.name_matches(ders[0], "h1.example.test") is False
    assert tls.name_matches(ders[1], "h1.example.test") is True
    assert calls == ["h0.example.test", "h1.example.test", "h1.example.test"]
