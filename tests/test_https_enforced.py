"""web.https_enforced (Circular 32/2017 art. 20): HTTP sends visitors to HTTPS on the same site; HTTPS is valid."""

from __future__ import annotations

import msgspec

from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, HttpHop, Outcome
from tests.test_checks import HOST, V4A, V6A, site, web_probe


def enforced(facts):
    return {c.id: c for c in judge(facts).checks}["web.https_enforced"]


def redirecting(address: str, location: str, status: int = 301):
    probe = web_probe("http", address, redirect=False)
    return msgspec.structs.replace(probe, status=status, hops=[
        HttpHop(url=f"http://{HOST}/", address=address, outcome=Outcome.OK, status=status, location=location)])


def with_http(*probes):
    https = [p for p in site().web if p.scheme == "https"]
    return site(web=[*probes, *https])


def test_every_http_answer_redirecting_to_https_on_the_same_host_passes() -> None:
    found = enforced(site())
    assert (found.status, found.reason) == (CheckStatus.PASS, "https_enforced")
    assert message(found, "en") == ("HTTP redirects to HTTPS on all 2 addresses that answer it; HTTPS is valid "
                                    "everywhere")
    assert message(found, "vi").startswith("HTTP chuyển hướng sang HTTPS trên cả 2 địa chỉ")


def test_a_relative_location_and_a_host_of_the_same_zone_are_the_same_site() -> None:
    facts = with_http(redirecting(V4A, "https://www.portal.gov.example/"), redirecting(V6A, "https://gov.example/x"))
    assert enforced(facts).status is CheckStatus.PASS
    relative = with_http(redirecting(V4A, "/login", 302), redirecting(V6A, "https://portal.gov.example:8443/"))
    found = enforced(relative)
    assert (found.status, found.reason) == (CheckStatus.FAIL, "http_redirect_not_https")  # /login stays on http:
    assert V4A in message(found, "en") and "http://portal.gov.example/login" in message(found, "en")


def test_a_page_over_http_fails_naming_the_addresses() -> None:
    facts = with_http(web_probe("http", V4A, redirect=False), web_probe("http", V6A))
    found = enforced(facts)
    assert (found.status, found.reason) == (CheckStatus.FAIL, "http_not_redirected")
    assert message(found, "en") == f"HTTP serves a page on {V4A} instead of redirecting to HTTPS"


def test_a_redirect_to_another_site_or_to_http_fails() -> None:
    other = enforced(with_http(redirecting(V4A, "https://elsewhere.example/"), redirecting(V6A, "https://gov.example/")))
    assert (other.status, other.reason) == (CheckStatus.FAIL, "http_redirect_other_site")
    assert "https://elsewhere.example/" in message(other, "vi")
    shared_zone = enforced(with_http(redirecting(V4A, "https://example/"), redirecting(V6A, "https://gov.example/")))
    assert shared_zone.reason == "http_redirect_other_site"  # the parent of the zone is not the same site


def test_https_must_be_valid_on_every_address() -> None:
    facts = site(outcomes={("https", V6A): Outcome.TLS_EXPIRED})
    found = enforced(facts)
    assert (found.status, found.reason) == (CheckStatus.FAIL, "https_not_valid") and V6A in message(found, "en")
    refused = site(outcomes={("https", V4A): Outcome.REFUSED})
    assert enforced(refused).reason == "https_not_valid"


def test_no_http_at_all_passes_when_https_is_valid_and_nothing_to_probe_is_not_applicable() -> None:
    closed = site(outcomes={("http", V4A): Outcome.REFUSED, ("http", V6A): Outcome.REFUSED})
    found = enforced(closed)
    assert (found.status, found.reason) == (CheckStatus.PASS, "https_enforced_no_http")
    assert enforced(site(web=[], a=(), aaaa=())).status is CheckStatus.NOT_APPLICABLE
    assert enforced(site(a=(), scanner_ipv6=False)).status is CheckStatus.UNTESTABLE
