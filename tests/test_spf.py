"""The SPF evaluator (RFC 7208 check_host) over a table of DNS answers: no network."""

from __future__ import annotations

import pytest

from ipv6scan.model import DnsLookup, Outcome, SpfResult
from ipv6scan.probe.spf import MAX_LOOKUPS, evaluate, spf_record

V6, V4 = "2001:db8::25", "192.0.2.25"


def dns(table: dict[tuple[str, str], list[str] | Outcome]):
    """A lookup answering from ``table``: records, or an outcome (a name missing from it: NXDOMAIN)."""
    asked: list[tuple[str, str]] = []

    async def lookup(name: str, rdtype: str) -> DnsLookup:
        asked.append((name, rdtype))
        found = table.get((name, rdtype), Outcome.DNS_NXDOMAIN)
        if isinstance(found, Outcome):
            return DnsLookup(name=name, rdtype=rdtype, outcome=found)
        return DnsLookup(name=name, rdtype=rdtype, outcome=Outcome.OK if found else Outcome.DNS_NODATA, records=found)

    lookup.asked = asked  # type: ignore[attr-defined]
    return lookup


async def run(record: str, address: str = V6, table=None):
    """(result, the term that decided, the error's English) of check_host for ``address``."""
    o = await evaluate(dns(table or {}), address, "gov.example", record, helo="mail.gov.example")
    assert (o.error is None) == (o.result not in (SpfResult.PERMERROR, SpfResult.TEMPERROR))
    return o.result, o.term, str(o.error) if o.error else None


@pytest.mark.parametrize("record, v4, v6", [
    ("v=spf1 ip4:192.0.2.0/24 -all", SpfResult.PASS, SpfResult.FAIL),
    ("v=spf1 ip4:192.0.2.25 ~all", SpfResult.PASS, SpfResult.SOFTFAIL),
    ("v=spf1 ip4:192.0.2.25", SpfResult.PASS, SpfResult.NEUTRAL),
    ("v=spf1 ip4:192.0.2.25 ip6:2001:db8::/32 -all", SpfResult.PASS, SpfResult.PASS),
    ("v=spf1 -ip6:2001:db8::25 +all", SpfResult.PASS, SpfResult.FAIL),
    ("v=spf1 ?all", SpfResult.NEUTRAL, SpfResult.NEUTRAL),
])
async def test_addresses_and_all(record, v4, v6):
    assert (await run(record, V4))[0] is v4
    result, term, detail = await run(record, V6)
    assert result is v6 and detail is None


async def test_a_and_mx_look_up_the_family_of_the_address_with_its_prefix():
    table = {("gov.example", "MX"): ["10 mail.gov.example"], ("mail.gov.example", "AAAA"): ["2001:db8::25"],
             ("mail.gov.example", "A"): ["192.0.2.25"], ("web.gov.example", "AAAA"): ["2001:db8::1"]}
    assert await run("v=spf1 mx -all", V6, table) == (SpfResult.PASS, "mx", None)
    assert (await run("v=spf1 mx -all", V4, table))[0] is SpfResult.PASS
    assert (await run("v=spf1 a:web.gov.example -all", V6, table))[0] is SpfResult.FAIL
    assert await run("v=spf1 a:web.gov.example//64 -all", V6, table) == (SpfResult.PASS, "a:web.gov.example//64", None)


async def test_include_and_redirect():
    table = {("_spf.provider.example", "TXT"): ["v=spf1 ip6:2001:db8::/48 -all"],
             ("v4.provider.example", "TXT"): ["v=spf1 ip4:192.0.2.0/24 -all"],
             ("flaky.example", "TXT"): Outcome.DNS_TIMEOUT}
    assert (await run("v=spf1 include:_spf.provider.example -all", V6, table))[:2] == (
        SpfResult.PASS, "include:_spf.provider.example")
    assert (await run("v=spf1 include:v4.provider.example -all", V6, table))[:2] == (SpfResult.FAIL, "-all")
    # the include's own -all decided nothing here: no term decided the neutral end
    assert (await run("v=spf1 include:v4.provider.example", V6, table))[:2] == (SpfResult.NEUTRAL, None)
    assert (await run("v=spf1 redirect=_spf.provider.example", V6, table))[0] is SpfResult.PASS
    assert (await run("v=spf1 ip4:192.0.2.25 redirect=v4.provider.example", V6, table))[0] is SpfResult.FAIL
    result, _, detail = await run("v=spf1 include:none.example -all", V6, table)
    assert result is SpfResult.PERMERROR and "none.example" in detail
    result, _, detail = await run("v=spf1 include:flaky.example -all", V6, table)
    assert result is SpfResult.TEMPERROR and "flaky.example" in detail


async def test_the_limits_of_lookups_and_void_lookups_are_errors():
    table = {(f"i{n}.example", "TXT"): [f"v=spf1 include:i{n + 1}.example"] for n in range(20)}
    result, _, detail = await run("v=spf1 include:i0.example -all", V6, table)
    assert result is SpfResult.PERMERROR and f"more than {MAX_LOOKUPS}" in detail
    result, _, detail = await run("v=spf1 a:x1.example a:x2.example a:x3.example -all", V6, {})
    assert result is SpfResult.PERMERROR and "found nothing" in detail
    assert (await run("v=spf1 a:x1.example a:x2.example -all", V6, {}))[0] is SpfResult.FAIL


async def test_macros_are_expanded_in_domain_specifications():
    nibbles = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
    lookup = dns({(f"{nibbles}._spf.gov.example", "A"): ["127.0.0.2"]})
    assert (await evaluate(lookup, V6, "gov.example", "v=spf1 exists:%{ir}._spf.%{d} -all", helo="m")).result \
        is SpfResult.PASS
    assert lookup.asked == [(f"{nibbles}._spf.gov.example", "A")]
    assert (await run("v=spf1 exists:%{i}._spf.%{d} -all", V4, {("192.0.2.25._spf.gov.example", "A"): ["127.0.0.2"]})
            )[0] is SpfResult.PASS


@pytest.mark.parametrize("record, code, at", [
    ("v=spf1 ip6:nonsense -all", "bad_network", "ip6:nonsense"), ("v=spf1 frobnicate -all", "unknown_mechanism", "frobnicate"),
    ("v=spf1 ip4:2001:db8::/32", "bad_network", "ip4:2001:db8::/32"), ("v=spf1 exists:%{z}.x -all", "bad_macro", "%{z}.x"),
])
async def test_a_broken_record_is_a_permerror_saying_why_and_where(record, code, at):
    o = await evaluate(dns({}), V6, "gov.example", record, helo="m")
    assert (o.result, o.error.code, o.error.at) == (SpfResult.PERMERROR, code, at)


def test_the_record_is_the_one_v_spf1_text():
    def txt(*records, outcome=Outcome.OK):
        return DnsLookup(name="gov.example", rdtype="TXT", outcome=outcome, records=list(records))

    assert spf_record(txt("google-site-verification=x", "v=spf1 mx -all")) == "v=spf1 mx -all"
    assert spf_record(txt("v=spf10 nope")) is None and spf_record(txt(outcome=Outcome.DNS_NODATA)) is None
    with pytest.raises(Exception, match="2 SPF records"):
        spf_record(txt("v=spf1 mx -all", "v=spf1 -all"))
    with pytest.raises(Exception, match="dns_timeout"):
        spf_record(txt(outcome=Outcome.DNS_TIMEOUT))


async def test_ptr_matches_a_forward_confirmed_name_and_a_failed_lookup_does_not_match():
    """RFC 7208 5.5: a PTR name that resolves back to the address, at or below the target; a failed PTR lookup
    fails to match, and a name whose own lookup failed is skipped (neither is a temperror)."""
    reverse = "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    confirmed = {(reverse, "PTR"): ["mail.gov.example"], ("mail.gov.example", "AAAA"): [V6]}
    assert await run("v=spf1 ptr -all", V6, confirmed) == (SpfResult.PASS, "ptr", None)
    assert (await run("v=spf1 ptr:other.example -all", V6, confirmed))[0] is SpfResult.FAIL
    not_back = {(reverse, "PTR"): ["mail.gov.example"], ("mail.gov.example", "AAAA"): ["2001:db8::1"]}
    assert (await run("v=spf1 ptr -all", V6, not_back))[0] is SpfResult.FAIL
    skipped = {(reverse, "PTR"): ["flaky.gov.example", "mail.gov.example"],
               ("flaky.gov.example", "AAAA"): Outcome.DNS_TIMEOUT, ("mail.gov.example", "AAAA"): [V6]}
    assert (await run("v=spf1 ptr -all", V6, skipped))[0] is SpfResult.PASS
    assert (await run("v=spf1 ptr ~all", V6, {(reverse, "PTR"): Outcome.DNS_SERVFAIL}))[0] is SpfResult.SOFTFAIL
