"""mx.cert6: the certificate a mail server shows over IPv6 after STARTTLS holds up wherever IPv4's does (pure)."""

from __future__ import annotations

import msgspec

from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, Family, Outcome
from tests.test_checks import checks_of, mail_server, site, zone

MAIL = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25")


def cert6(*servers):
    return checks_of(judge(site(zone_facts=zone(mx=list(servers)))))["mx.cert6"]


def shown(server, family: Family, **changes):
    """The server with the TLS facts of its ``family`` probe changed (cert=dict: the certificate's fields)."""
    probes = []
    for p in server.probes:
        if p.family is family:
            cert_changes = changes.pop("cert", {})
            tls = msgspec.structs.replace(p.tls, **changes)
            p = msgspec.structs.replace(p, tls=msgspec.structs.replace(tls, cert=msgspec.structs.replace(tls.cert, **cert_changes)))
        probes.append(p)
    return msgspec.structs.replace(server, probes=probes)


def test_a_good_certificate_over_ipv6_passes():
    found = cert6(MAIL)
    assert (found.status, found.reason) == (CheckStatus.PASS, "cert6_ok")
    assert message(found, "en").endswith("chains to a trusted root: 2001:db8::25 (mail.gov.example)")


def test_a_certificate_failing_over_ipv6_only_fails_naming_each_problem():
    bad = shown(MAIL, Family.V6, name_matches=False, issuer_in_store=False,
                cert={"issuer": "CN=Relay Self CA", "not_after": "2024-06-30T00:00:00+00:00"})
    found = cert6(bad)
    assert (found.status, found.reason) == (CheckStatus.FAIL, "cert6_worse")
    assert message(found, "en") == (
        "Senders that verify (MTA-STS) would refuse mail over IPv6, where 192.0.2.25 holds up over IPv4: "
        "2001:db8::25 (mail.gov.example): the certificate expired on 2024-06-30; the certificate does not name the "
        "server; its chain ends at CN=Relay Self CA, which is not trusted")
    assert message(found, "vi").startswith("Máy gửi có kiểm tra chứng thư (MTA-STS) sẽ từ chối gửi thư qua IPv6")
    assert judge(site(zone_facts=zone(mx=[bad]))).verdict.value == "ready"  # never counted


def test_failing_on_both_families_is_a_warning_and_no_certificate_over_ipv6_is_not_applicable():
    both = shown(shown(MAIL, Family.V6, name_matches=False), Family.V4, name_matches=False)
    assert (cert6(both).status, cert6(both).reason) == (CheckStatus.WARN, "cert6_invalid")
    plain6 = msgspec.structs.replace(MAIL, probes=[msgspec.structs.replace(p, starttls=None, tls=None)
                                                   if p.family is Family.V6 else p for p in MAIL.probes])
    assert (cert6(plain6).status, cert6(plain6).reason) == (CheckStatus.NOT_APPLICABLE, "cert6_none")
    silent = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25", v6=Outcome.TIMEOUT)
    assert cert6(silent).reason == "cert6_none"
    not_yet = shown(MAIL, Family.V6, cert={"not_before": "2099-01-01T00:00:00+00:00"})
    assert "valid only from 2099-01-01" in message(cert6(not_yet), "en")


def test_a_scanner_without_ipv6_makes_it_untestable_never_not_applicable():
    untested = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25", v6=Outcome.UNTESTABLE)
    facts = site(zone_facts=zone(mx=[untested]), scanner_ipv6=False)
    for cid in ("mx.cert6", "mx.starttls6"):
        found = checks_of(judge(facts))[cid]
        assert (found.status, found.reason) == (CheckStatus.UNTESTABLE, "scanner_no_ipv6"), cid
        assert "could not be tested: the scanner has no IPv6 connectivity" in message(found, "en")
        assert message(found, "vi").startswith("Không kiểm tra được ") and "máy quét không có kết nối IPv6" in \
            message(found, "vi")
