"""DNSSEC validation: zones signed for real with dnspython, served on loopback, walked from a trust anchor."""

from __future__ import annotations

import asyncio
import re
import time

import dns.message
import dns.name
import dns.rdataset
import dns.rrset
import pytest

from ipv6scan.addresses import parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.model import DnssecStatus, Outcome
from ipv6scan.net import LabNetwork
from ipv6scan.probe._quiet import dnssec
from ipv6scan.probe.dns import DnsClient
from ipv6scan.probe.dnssec import AnchorError, DnssecValidator, load_anchors, parse_anchors, root_anchors
from ipv6scan.probe.zone import ZoneCache
from ipv6scan.testnet.dns_server import DnsServer
from ipv6scan.testnet.signing import anchor_line, new_key, sign

SOA = "$TTL 300\n@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n@ NS ns.test.\n"
CHILD = SOA + "www A 192.0.2.80\nwww AAAA 2001:db8::80\n"
KEYS = {name: new_key() for name in ("test", "good", "sub", "stale", "wrongds", "other", "tamper")}
WEEK_AGO = time.time() - 7 * 86400


def _zones() -> dict[str, str]:
    k = KEYS
    parent = SOA + f"""ns A 192.0.2.1
good NS ns.test.
good DS {k['good'].ds('good.test')}
plain NS ns.test.
stale NS ns.test.
stale DS {k['stale'].ds('stale.test')}
wrongds NS ns.test.
wrongds DS {k['other'].ds('wrongds.test')}
nokey NS ns.test.
nokey DS {k['other'].ds('nokey.test')}
tamper NS ns.test.
tamper DS {k['tamper'].ds('tamper.test')}
flaky NS ns.test.
"""
    good = CHILD + f"sub NS ns.test.\nsub DS {k['sub'].ds('sub.good.test')}\n"
    tampered = sign(CHILD, "tamper.test.", k["tamper"]).replace("hostmaster.test. 1 ", "hostmaster.test. 2 ")
    return {
        "test.": sign(parent, "test.", k["test"]),
        "good.test.": sign(good, "good.test.", k["good"]),
        "sub.good.test.": sign(CHILD, "sub.good.test.", k["sub"]),
        "plain.test.": CHILD,
        "stale.test.": sign(CHILD, "stale.test.", k["stale"], valid_from=WEEK_AGO - 86400, valid_until=WEEK_AGO),
        "wrongds.test.": sign(CHILD, "wrongds.test.", k["wrongds"]),
        "nokey.test.": CHILD,
        "tamper.test.": tampered,
        "flaky.test.": CHILD,
        "other.": SOA,
    }


@pytest.fixture
async def signed_dns(tmp_path):
    server = DnsServer(_zones())
    server.set_behaviour("flaky.test", "servfail")
    port = await server.start()
    anchors = tmp_path / "anchors.txt"
    anchors.write_text("; the lab's anchor\n" + anchor_line("test.", KEYS["test"]))
    client = DnsClient(resolvers=[("127.0.0.1", port)], network=LabNetwork({}), timeout=0.5, retries=0)
    try:
        yield server, client, anchors
    finally:
        await client.aclose()
        await server.close()


def _cache(client: DnsClient, anchors_path, **options) -> ZoneCache:
    opts = ScanOptions(trust_anchors=[str(anchors_path)], **options)
    return ZoneCache(dns=client, network=LabNetwork({}), options=opts, allowed=parse_prefixes([]), ipv6_ok=True,
                     anchors=load_anchors(opts.trust_anchors))


async def test_a_signed_zone_under_the_anchor_is_secure_link_by_link(signed_dns):
    server, client, anchors = signed_dns
    validator = _cache(client, anchors).validator
    result = await validator.validate("sub.good.test")
    assert (result.status, result.reason, result.anchor, result.broken_at) == (DnssecStatus.SECURE, "ok", "test", None)
    assert [link.zone for link in result.links] == ["test", "good.test", "sub.good.test"]
    assert all(link.status is DnssecStatus.SECURE for link in result.links)
    good = result.links[1]
    assert good.ds_tags == good.key_tags == [int(KEYS["good"].ds("good.test").split()[0])]
    assert good.algorithms == [13] and good.expires and good.expires.endswith("Z")


async def test_each_zone_is_validated_once_per_scan(signed_dns):
    server, client, anchors = signed_dns
    validator = _cache(client, anchors).validator
    await validator.validate("good.test")
    await validator.validate("sub.good.test")
    await validator.validate("good.test")
    asked = [(n, q) for _, n, q, _ in server.queries]
    assert asked.count(("good.test", "DNSKEY")) == 1 and asked.count(("test", "DNSKEY")) == 1


async def test_no_ds_proven_by_the_parents_signed_nsec_is_insecure(signed_dns):
    _, client, anchors = signed_dns
    result = await _cache(client, anchors).validator.validate("plain.test")
    assert (result.status, result.reason, result.broken_at) == (DnssecStatus.INSECURE, "no_ds", "plain.test")
    assert "no DS" in result.detail


async def test_expired_signatures_are_bogus_with_the_time_they_ran_out(signed_dns):
    _, client, anchors = signed_dns
    result = await _cache(client, anchors).validator.validate("stale.test")
    assert (result.status, result.reason) == (DnssecStatus.BOGUS, "signature_expired")
    link = result.links[-1]
    assert link.expired_at == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(WEEK_AGO)))


async def test_a_clock_past_the_signatures_makes_a_good_zone_bogus(signed_dns):
    _, client, anchors = signed_dns
    cache = _cache(client, anchors)
    late = DnssecValidator(client, load_anchors([anchors]), cache.path, clock=lambda: time.time() + 30 * 86400)
    result = await late.validate("good.test")
    assert (result.status, result.reason, result.broken_at) == (DnssecStatus.BOGUS, "signature_expired", "test")


@pytest.mark.parametrize("zone, reason", [
    ("wrongds.test", "no_matching_key"),  # the DS names another key
    ("nokey.test", "no_dnskey"),  # a DS at the parent, an unsigned zone
    ("tamper.test", "signature_invalid"),  # the SOA changed after signing
])
async def test_a_broken_chain_is_bogus_with_its_reason(signed_dns, zone, reason):
    _, client, anchors = signed_dns
    result = await _cache(client, anchors).validator.validate(zone)
    assert (result.status, result.reason, result.broken_at) == (DnssecStatus.BOGUS, reason, zone)
    assert result.detail


async def test_no_anchor_or_a_dns_failure_is_indeterminate_never_bogus(signed_dns):
    _, client, anchors = signed_dns
    validator = _cache(client, anchors).validator
    other = await validator.validate("other")
    assert (other.status, other.reason) == (DnssecStatus.INDETERMINATE, "no_anchor")
    assert "anchors.txt" in other.detail
    flaky = await validator.validate("flaky.test")
    assert (flaky.status, flaky.reason) == (DnssecStatus.INDETERMINATE, "lookup_failed")


class LosingDs:
    """The scan's DNS client, but good.test's DS lookups fail while ``losing`` (a lost answer, a SERVFAIL)."""

    def __init__(self, client: DnsClient) -> None:
        self.client, self.losing, self.asked = client, True, 0

    async def signed(self, name: str, rdtype: str):
        if (name, rdtype) == ("good.test", "DS"):
            self.asked += 1
            if self.losing:
                return None, Outcome.DNS_SERVFAIL, "SERVFAIL"
        return await self.client.signed(name, rdtype)


def _losing(client: DnsClient, anchors) -> tuple[DnssecValidator, LosingDs]:
    dns_client = LosingDs(client)
    return DnssecValidator(dns_client, load_anchors([anchors]), _cache(client, anchors).path), dns_client


async def test_a_link_whose_lookup_failed_is_asked_again_by_the_next_zone(signed_dns):
    """One lost answer for a link (good.test's DS) must not leave every zone under it indeterminate for the rest
    of the scan: the next zone that needs the link asks again."""
    _, client, anchors = signed_dns
    validator, dns_client = _losing(client, anchors)
    first = await validator.validate("good.test")
    assert (first.status, first.reason, first.broken_at) == (DnssecStatus.INDETERMINATE, "lookup_failed", "good.test")
    dns_client.losing = False
    later = await validator.validate("sub.good.test")
    assert (later.status, later.reason) == (DnssecStatus.SECURE, "ok") and dns_client.asked == 2
    await validator.validate("good.test")  # once it answered, the link is kept
    assert dns_client.asked == 2


async def test_a_link_that_keeps_failing_is_asked_at_most_a_few_times_per_scan(signed_dns):
    _, client, anchors = signed_dns
    validator, dns_client = _losing(client, anchors)
    together = await asyncio.gather(*(validator.validate("good.test") for _ in range(4)))  # one lookup, shared
    one_by_one = [await validator.validate("sub.good.test") for _ in range(4)]
    assert {(r.status, r.reason) for r in together + one_by_one} == {(DnssecStatus.INDETERMINATE, "lookup_failed")}
    assert dns_client.asked == 3  # the 4 together asked once, then twice more, then the failure is kept


# ------------------------------------------------------------------ NSEC3 opt-out (most TLDs sign so)


def _nsec3_answer(names: dict[str, str], qname: str, *, opt_out: bool = True, tamper: bool = False):
    """test.'s answer to "qname DS?": an NSEC3 chain (SHA-1, no salt) over ``names`` (name -> its types), each
    record signed by test.'s key; ``tamper``: every record's flags changed after signing."""
    hashed = sorted((dnssec.nsec3_hash(name, b"", 0, 1), types) for name, types in names.items())
    message = dns.message.make_response(dns.message.make_query(qname, "DS", want_dnssec=True))
    now = int(time.time())
    for i, (h, types) in enumerate(hashed):
        following = hashed[(i + 1) % len(hashed)][0]
        rrset = dns.rrset.from_text(f"{h}.test.", 300, "IN", "NSEC3", f"1 {int(opt_out)} 0 - {following} {types}")
        sig = dnssec.sign(rrset, KEYS["test"].private, dns.name.from_text("test."), KEYS["test"].dnskey,
                          inception=now - 3600, expiration=now + 86400)
        if tamper:
            rrset = dns.rrset.from_text(f"{h}.test.", 300, "IN", "NSEC3",
                                        f"1 {int(not opt_out)} 0 - {following} {types}")
        message.authority += [rrset, dns.rrset.from_rdata(rrset.name, 300, sig)]
    return message


def _no_ds(tmp_path, message, zone: str):
    anchors = tmp_path / "anchors.txt"
    anchors.write_text(anchor_line("test.", KEYS["test"]))
    validator = DnssecValidator(None, load_anchors([anchors]), None)
    parent = (dns.name.from_text("test."), dns.rdataset.from_rdata(300, KEYS["test"].dnskey))
    return validator._no_ds_proof(message, dns.name.from_text(zone), parent)


TEST_ZONE = {"test.": "NS SOA RRSIG DNSKEY NSEC3PARAM", "good.test.": "NS DS RRSIG"}


@pytest.mark.parametrize("zone", ["unsigned.test.", "a.deeper.test."])
def test_an_unsigned_delegation_in_an_opt_out_span_is_proven_insecure(tmp_path, zone):
    """No NSEC3 of its own: the apex matched as closest encloser, the next closer name covered, Opt-Out set."""
    assert _no_ds(tmp_path, _nsec3_answer(TEST_ZONE, zone), zone) is None


def test_without_opt_out_a_covered_name_does_not_exist_so_there_is_no_proof(tmp_path):
    problem = _no_ds(tmp_path, _nsec3_answer(TEST_ZONE, "unsigned.test.", opt_out=False), "unsigned.test.")
    assert problem is not None and problem.reason == "no_ds_proof" and "not opt-out" in problem.detail


def test_an_opt_out_proof_must_verify(tmp_path):
    problem = _no_ds(tmp_path, _nsec3_answer(TEST_ZONE, "unsigned.test.", tamper=True), "unsigned.test.")
    assert problem is not None and problem.reason == "signature_invalid"


def test_an_opt_out_proof_needs_the_closest_encloser(tmp_path):
    message = _nsec3_answer(TEST_ZONE, "unsigned.test.")
    apex = dnssec.nsec3_hash("test.", b"", 0, 1)
    message.authority = [r for r in message.authority if r.name.labels[0].decode().upper() != apex]
    problem = _no_ds(tmp_path, message, "unsigned.test.")
    assert problem is not None and problem.reason == "no_ds_proof" and "closest encloser" in problem.detail


async def test_a_dnskey_anchor_works_like_its_ds(signed_dns, tmp_path):
    _, client, _ = signed_dns
    key_file = tmp_path / "key.txt"
    key_file.write_text(f"test. 3600 IN DNSKEY {KEYS['test'].dnskey.to_text()}\n")
    result = await _cache(client, key_file).validator.validate("good.test")
    assert result.status is DnssecStatus.SECURE


async def test_zone_facts_carry_the_validation_unless_turned_off(signed_dns):
    _, client, anchors = signed_dns
    facts = await _cache(client, anchors).get("good.test")
    assert facts.dnssec.validation.status is DnssecStatus.SECURE
    off = await _cache(client, anchors, dnssec_validation=False).get("good.test")
    assert off.dnssec.validation is None and off.dnssec.ds.records


def test_the_shipped_root_anchors_are_the_iana_ksks():
    anchors = root_anchors()
    import dns.name
    assert sorted(d.key_tag for d in anchors.ds[dns.name.root]) == [20326, 38696]
    assert load_anchors([]).ds == anchors.ds


@pytest.mark.parametrize("text, problem, vi", [
    (f"example. IN DS 1 13 2 {'ab' * 32}\nexample. IN A 192.0.2.1\n", "line 2: expected", "dòng 2: cần"),
    ("example. IN DS 1 13 2 zz-not-hex\n", "line 1: not a valid DS record: the digest is not hexadecimal",
     "dòng 1: không phải bản ghi DS hợp lệ: giá trị băm không phải chuỗi thập lục phân"),
    ("example. IN DS 1 13 2 abcd\n", "the digest's length does not fit its digest type",
     "độ dài giá trị băm không khớp với kiểu băm"),
    ("example. IN DS 70000 13 2 abcd\n", "expected: key tag, algorithm, digest type and digest",
     "cần: mã khóa (key tag), thuật toán, kiểu băm"),
    ("example. IN DNSKEY 257 3 13 !!!\n", "line 1: not a valid DNSKEY record: the public key is not base64",
     "khóa công khai không phải dữ liệu base64"),
    ("example. IN DNSKEY 257 3\n", "expected: flags, protocol, algorithm and public key",
     "cần: cờ (flags), giao thức, thuật toán và khóa công khai"),
    ("a..b. IN DS 1 13 2 abcd\n", "the owner 'a..b.' is not a valid domain name",
     "tên chủ 'a..b.' không phải tên miền hợp lệ"),
    ("; only a comment\n\n", "no DS or DNSKEY record", "không có bản ghi DS hay DNSKEY nào"),
])
def test_a_malformed_anchor_file_names_the_line_and_the_problem_in_either_language(text, problem, vi):
    """In the catalogue's words: a Vietnamese run says it all in Vietnamese, without dnspython's English."""
    with pytest.raises(AnchorError, match=re.escape(problem)) as e:
        parse_anchors(text, "anchors.txt")
    said = e.value.text("vi")
    assert vi in said and not re.search(r"[Ee]xpect|[Dd]igit|[Pp]adding|[Ii]nteger|[Dd]igest length|label", said), said


def test_an_unreadable_anchor_file_is_a_clear_error(tmp_path):
    with pytest.raises(AnchorError, match="cannot read the trust-anchor file"):
        load_anchors([tmp_path / "missing.txt"])


def test_an_anchor_file_that_is_not_utf8_names_the_byte(tmp_path):
    anchor = tmp_path / "anchors.txt"
    anchor.write_bytes(b"example. IN DS 1 13 2 \xff\n")
    with pytest.raises(AnchorError) as e:
        load_anchors([anchor])
    assert str(e.value).endswith("cannot read the trust-anchor file: not valid UTF-8 (byte 0xff)")
    assert e.value.text("vi").endswith("không phải UTF-8 hợp lệ (byte 0xff)")
