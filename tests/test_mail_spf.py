"""mx.spf6: the zone's SPF passes the mail servers' IPv6 addresses where it passes their IPv4 ones (pure)."""

from __future__ import annotations

import msgspec
import pytest

from ipv6scan import catalogue
from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, DnsLookup, Family, Outcome, SpfCheck, SpfFacts, SpfResult
from ipv6scan.probe.spf import ERRORS
from tests.test_checks import checks_of, mail_server, site, zone

MAIL = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25")


def spf6(v4: SpfResult | None, v6: SpfResult | None, *, record="v=spf1 ip4:192.0.2.25 -all", servers=(MAIL,),
         error: tuple[str, str] | None = None, lookup=Outcome.OK):
    checks = [SpfCheck(address=a, family=f, server="mail.gov.example", result=r, error=error[0] if error else None,
                       error_at=error[1] if error else None)
              for a, f, r in (("192.0.2.25", Family.V4, v4), ("2001:db8::25", Family.V6, v6)) if r is not None]
    facts = SpfFacts(domain="gov.example", lookup=DnsLookup(name="gov.example", rdtype="TXT", outcome=lookup),
                     record=record, checks=checks)
    z = msgspec.structs.replace(zone(mx=list(servers)), spf=facts)
    return checks_of(judge(site(zone_facts=z)))["mx.spf6"]


def test_ipv6_authorised_passes():
    found = spf6(SpfResult.PASS, SpfResult.PASS, record="v=spf1 mx -all")
    assert (found.status, found.reason) == (CheckStatus.PASS, "spf6_ok")
    assert message(found, "en") == ("The SPF of gov.example authorises each IPv6 address of the mail servers: "
                                    "2001:db8::25 (mail.gov.example): pass")


@pytest.mark.parametrize("v6, said", [(SpfResult.FAIL, "fail"), (SpfResult.SOFTFAIL, "softfail"),
                                      (SpfResult.NEUTRAL, "neutral")])
def test_ipv4_authorised_and_ipv6_not_fails(v6, said):
    found = spf6(SpfResult.PASS, v6)
    assert (found.status, found.reason) == (CheckStatus.FAIL, "spf6_not_covered")
    assert message(found, "en") == (
        "The SPF of gov.example authorises 192.0.2.25 but not the IPv6 addresses: mail sent over IPv6 fails SPF and "
        f"is refused or filed as spam: 2001:db8::25 (mail.gov.example): {said}")
    vi = message(found, "vi")
    assert vi.startswith("SPF của gov.example cho phép 192.0.2.25 nhưng không cho phép các địa chỉ IPv6") and "refused" not in vi


def test_mail_leaving_through_other_servers_says_nothing_about_ipv6():
    found = spf6(SpfResult.FAIL, SpfResult.FAIL, record="v=spf1 include:relay.example -all")
    assert (found.status, found.reason) == (CheckStatus.INFO, "spf6_other_senders")


def test_errors_are_named_in_each_language_and_a_failed_lookup_is_unknown():
    broken = spf6(SpfResult.PERMERROR, SpfResult.PERMERROR, error=("too_many_lookups", "10"))
    assert (broken.status, broken.reason) == (CheckStatus.WARN, "spf6_broken")
    assert message(broken, "en") == "The SPF record of gov.example is broken: it needs more than 10 DNS lookups"
    assert message(broken, "vi") == "Bản ghi SPF của gov.example bị lỗi: bản ghi cần hơn 10 lần tra cứu DNS"
    flaky = spf6(SpfResult.TEMPERROR, SpfResult.TEMPERROR, error=("no_answer", "TXT gov.example"), record=None)
    assert (flaky.status, flaky.reason) == (CheckStatus.UNTESTABLE, "spf6_dns_failed")
    assert message(flaky, "en") == "A DNS lookup for the SPF of gov.example failed: no answer to TXT gov.example"


def test_every_error_code_has_words_in_both_languages():
    for code in ERRORS:
        for lang in ("en", "vi"):
            assert catalogue.render({"f": f"spferr.{code}", "at": "x.example"}, lang)
    for result in SpfResult:
        assert catalogue.render({"f": f"spf.{result}"}, "vi")


def test_no_record_no_ipv6_and_older_scans():
    none = spf6(None, None, record=None)
    assert (none.status, none.reason) == (CheckStatus.INFO, "spf6_none")
    v4_mail = mail_server("mail.gov.example", "192.0.2.25", None)
    assert spf6(SpfResult.PASS, None, servers=(v4_mail,)).reason == "spf6_no_ipv6"
    before = msgspec.structs.replace(zone(mx=[MAIL]), spf=None)  # a scan before schema 1.8
    old = checks_of(judge(site(zone_facts=before)))["mx.spf6"]
    assert (old.status, old.reason) == (CheckStatus.NOT_APPLICABLE, "spf6_not_checked")
    assert checks_of(judge(site(zone_facts=zone(mx=[]))))["mx.spf6"].reason == "no_mx"
