"""mx.ptr6: each IPv6 address of the mail servers has a PTR whose name resolves back to it (pure check)."""

from __future__ import annotations

import pytest

from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, Outcome
from tests.test_checks import checks_of, mail_server, reverse_name, site, zone


def ptr6(*mx):
    return checks_of(judge(site(zone_facts=zone(mx=list(mx)))))["mx.ptr6"]


def test_every_ipv6_address_confirmed_passes_naming_each() -> None:
    found = ptr6(mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25"),
                 mail_server("mx2.gov.example", "192.0.2.26", "2001:db8::26"))
    assert (found.status, found.reason) == (CheckStatus.PASS, "ptr6_ok")
    assert message(found, "en") == ("Each IPv6 address of the mail servers resolves back through its PTR: "
                                    "2001:db8::25 → mail.gov.example and 2001:db8::26 → mx2.gov.example")
    assert message(found, "vi").startswith("Mỗi địa chỉ IPv6 của máy chủ thư")


@pytest.mark.parametrize("reverse, words", [
    (reverse_name("2001:db8::25", None, ptr=Outcome.DNS_NXDOMAIN), "2001:db8::25 (mail.gov.example) has no PTR"),
    (reverse_name("2001:db8::25", None, ptr=Outcome.DNS_NODATA), "2001:db8::25 (mail.gov.example) has no PTR"),
    (reverse_name("2001:db8::25", "host.isp.example", confirmed=False),
     "2001:db8::25 (mail.gov.example): its PTR host.isp.example does not resolve back to it"),
    (reverse_name("2001:db8::25", "gone.isp.example", back=Outcome.DNS_NXDOMAIN),
     "2001:db8::25 (mail.gov.example): its PTR gone.isp.example does not resolve back to it"),
])
def test_no_ptr_or_one_that_does_not_resolve_back_fails(reverse, words) -> None:
    found = ptr6(mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25", reverse=[reverse]))
    assert (found.status, found.reason) == (CheckStatus.FAIL, "ptr6_missing")
    assert words in message(found, "en")
    assert "refused by large mail providers" in message(found, "en")
    assert "PTR" in message(found, "vi") and "refused" not in message(found, "vi")


def test_one_bad_address_fails_beside_a_good_one_and_a_failed_lookup_is_unknown_never_missing() -> None:
    good = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25")
    bad = mail_server("mx2.gov.example", "192.0.2.26", "2001:db8::26",
                      reverse=[reverse_name("2001:db8::26", None, ptr=Outcome.DNS_NXDOMAIN)])
    assert ptr6(good, bad).reason == "ptr6_missing"
    for flaky in (reverse_name("2001:db8::26", None, ptr=Outcome.DNS_TIMEOUT),
                  reverse_name("2001:db8::26", "mx2.gov.example", back=Outcome.DNS_SERVFAIL)):
        found = ptr6(good, mail_server("mx2.gov.example", "192.0.2.26", "2001:db8::26", reverse=[flaky]))
        assert (found.status, found.reason) == (CheckStatus.UNTESTABLE, "ptr6_dns_failed")
        assert "2001:db8::26 (mx2.gov.example: The " in message(found, "en")


def test_without_ipv6_mail_servers_or_reverse_facts_it_is_not_applicable() -> None:
    v4 = ptr6(mail_server("mail.gov.example", "192.0.2.25", None))
    assert (v4.status, v4.reason) == (CheckStatus.NOT_APPLICABLE, "ptr6_no_ipv6")
    assert "gov.example" in message(v4, "en")
    old = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25")
    old.reverse = None  # a scan from before schema 1.8
    found = ptr6(old)
    assert (found.status, found.reason) == (CheckStatus.NOT_APPLICABLE, "ptr6_not_checked")
    assert checks_of(judge(site(zone_facts=zone(mx=[]))))["mx.ptr6"].reason == "no_mx"
    assert checks_of(judge(site(zone_facts=None)))["mx.ptr6"].reason == "zone_not_checked"
