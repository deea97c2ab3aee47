"""mx.starttls6: mail over IPv6 is encrypted (STARTTLS) wherever it is over IPv4 (pure check)."""

from __future__ import annotations

import msgspec

from ipv6scan.checks import judge, message
from ipv6scan.model import CheckStatus, Family, Outcome
from tests.test_checks import checks_of, mail_server, site, zone


def starttls6(*servers):
    return checks_of(judge(site(zone_facts=zone(mx=list(servers)))))["mx.starttls6"]


def with_v6(server, **changes):
    """The server with its IPv6 probe changed."""
    probes = [msgspec.structs.replace(p, **changes) if p.family is Family.V6 else p for p in server.probes]
    return msgspec.structs.replace(server, probes=probes)


MAIL = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25")


def test_encrypting_over_ipv6_passes_with_the_protocol():
    found = starttls6(MAIL)
    assert (found.status, found.reason) == (CheckStatus.PASS, "starttls6_ok")
    assert message(found, "en") == "Each mail server address over IPv6 encrypts with STARTTLS: 2001:db8::25 (mail.gov.example): TLSv1.3"


def test_no_starttls_or_a_failed_handshake_over_ipv6_where_ipv4_encrypts_fails():
    plain = with_v6(MAIL, ehlo=["PIPELINING"], starttls=None, tls_protocol=None)
    found = starttls6(plain)
    assert (found.status, found.reason) == (CheckStatus.FAIL, "starttls6_missing")
    assert message(found, "en") == ("Mail over IPv6 travels unencrypted where 192.0.2.25 encrypts over IPv4: "
                                    "2001:db8::25 (mail.gov.example) offers no STARTTLS")
    assert message(found, "vi").startswith("Thư qua IPv6 không được mã hoá")
    broken = with_v6(MAIL, starttls=Outcome.TIMEOUT, tls_protocol=None, tls_detail="TLS handshake: timed out")
    assert "2001:db8::25 (mail.gov.example): STARTTLS timed out" in message(starttls6(broken), "en")


def test_no_address_encrypting_on_either_family_warns_as_no_ipv6_problem():
    none = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25")
    none = msgspec.structs.replace(none, probes=[msgspec.structs.replace(p, ehlo=["PIPELINING"], starttls=None,
                                                                          tls_protocol=None) for p in none.probes])
    found = starttls6(none)
    assert (found.status, found.reason) == (CheckStatus.WARN, "starttls_none")
    assert "IPv6 or IPv4" in message(found, "en")


def test_ehlo_refused_is_unknown_and_older_scans_and_ipv4_only_are_not_applicable():
    refused = with_v6(MAIL, ehlo=None, starttls=None, tls_protocol=None, tls_detail="EHLO answered 554")
    assert (starttls6(refused).status, starttls6(refused).reason) == (CheckStatus.UNTESTABLE, "starttls6_unknown")
    old = with_v6(MAIL, ehlo=None, starttls=None, tls_protocol=None)  # a scan before schema 1.8
    assert starttls6(old).reason == "starttls6_not_checked"
    assert starttls6(mail_server("mail.gov.example", "192.0.2.25", None)).reason == "starttls6_no_ipv6"
    silent = mail_server("mail.gov.example", "192.0.2.25", "2001:db8::25", v6=Outcome.TIMEOUT)
    assert starttls6(silent).reason == "starttls6_no_ipv6"  # mx.ipv6 says it does not greet
