"""ZoneCache: NS and MX of a zone, resolved and probed once, over a lab network."""

from __future__ import annotations

import asyncio

import pytest

from ipv6scan.addresses import parse_prefixes
from ipv6scan.config import ScanOptions
from ipv6scan.model import Family, Outcome
from ipv6scan.net import LabNetwork
from ipv6scan.probe.dns import DnsClient
from ipv6scan.probe.zone import ZoneCache
from ipv6scan.testnet.dns_server import DnsServer
from ipv6scan.testnet.smtp_server import SmtpServer

ZONE = """$TTL 300
@ SOA ns1 hostmaster 1 3600 600 86400 300
@ NS ns1
@ NS ns2
@ NS ns3
@ MX 10 mx1
@ MX 20 mx2
ns1 A 192.0.2.1
ns1 AAAA 2001:db8::1
ns2 A 192.0.2.2
ns2 AAAA 2001:db8::2
ns3 A 192.0.2.3
mx1 A 192.0.2.25
mx1 AAAA 2001:db8::25
mx2 A 192.0.2.26
www A 192.0.2.80
"""
ALLOWED = parse_prefixes(["192.0.2.0/24", "2001:db8::/32"])
OPTIONS = ScanOptions(dns_port=53, smtp_port=25, connect_timeout=0.5, retries=0, per_host_connections=4)


class ZoneLab:
    def __init__(self, dns_server: DnsServer, smtp: SmtpServer, network: LabNetwork) -> None:
        self.dns_server, self.smtp, self.network = dns_server, smtp, network
        self.client = DnsClient(resolvers=[("127.0.0.1", dns_server.port)], network=network, timeout=0.3)

    def cache(self, *, allowed=ALLOWED, ipv6_ok: bool = True) -> ZoneCache:
        return ZoneCache(dns=self.client, network=self.network, options=OPTIONS, allowed=allowed, ipv6_ok=ipv6_ok)

    def asked(self, qname: str, qtype: str) -> int:
        return sum(1 for _, n, q, _ in self.dns_server.queries if (n, q) == (qname, qtype))


@pytest.fixture
async def zone_lab():
    dns_server = DnsServer({"example.vn": ZONE})
    dns_port = await dns_server.start()
    smtp = SmtpServer()
    smtp_v6, smtp_v4 = await smtp.start("::1"), await smtp.start("127.0.0.1")
    routes = {(f"192.0.2.{i}", 53): ("127.0.0.1", dns_port) for i in (1, 2, 3)}
    routes |= {(f"2001:db8::{i}", 53): ("::1", dns_port) for i in (1, 2)}
    routes |= {("2001:db8::25", 25): ("::1", smtp_v6), ("192.0.2.25", 25): ("127.0.0.1", smtp_v4)}
    routes |= {("192.0.2.26", 25): ("127.0.0.1", smtp_v4)}
    lab = ZoneLab(dns_server, smtp, LabNetwork(routes))
    yield lab
    await lab.client.aclose()
    await smtp.close()
    await dns_server.close()


def outcomes(probes) -> dict[str, Outcome]:
    return {p.address: p.outcome for p in probes}


async def test_zone_facts(zone_lab):
    facts = await zone_lab.cache().get("example.vn")
    assert (facts.zone, facts.outcome) == ("example.vn", Outcome.OK)
    assert facts.ns_lookup.records == ["ns1.example.vn", "ns2.example.vn", "ns3.example.vn"]
    servers = {ns.name: ns for ns in facts.name_servers}
    assert outcomes(servers["ns1.example.vn"].probes) == {"192.0.2.1": Outcome.OK, "2001:db8::1": Outcome.OK}
    assert outcomes(servers["ns2.example.vn"].probes) == {"192.0.2.2": Outcome.OK, "2001:db8::2": Outcome.OK}
    assert outcomes(servers["ns3.example.vn"].probes) == {"192.0.2.3": Outcome.OK}
    assert servers["ns3.example.vn"].resolution.aaaa.outcome == Outcome.DNS_NODATA
    assert all(p.authoritative for ns in facts.name_servers for p in ns.probes)

    assert facts.mx_lookup.records == ["10 mx1.example.vn", "20 mx2.example.vn"]
    assert [(mx.name, mx.preference) for mx in facts.mail_servers] == [("mx1.example.vn", 10), ("mx2.example.vn", 20)]
    mx1, mx2 = facts.mail_servers
    assert outcomes(mx1.probes) == {"192.0.2.25": Outcome.OK, "2001:db8::25": Outcome.OK}
    assert outcomes(mx2.probes) == {"192.0.2.26": Outcome.OK}
    assert {p.family for p in mx1.probes} == {Family.V4, Family.V6}
    assert zone_lab.smtp.connections == 3


async def test_computed_once_for_concurrent_callers(zone_lab):
    cache = zone_lab.cache()
    results = await asyncio.gather(*(cache.get("example.vn") for _ in range(20)))
    assert all(r is results[0] for r in results)
    assert zone_lab.asked("example.vn", "NS") == 1 and zone_lab.asked("example.vn", "MX") == 1
    assert zone_lab.asked("example.vn", "SOA") == 5  # one probe per name-server address
    await cache.get("example.vn.")
    assert zone_lab.asked("example.vn", "NS") == 1


async def test_for_host_finds_the_zone(zone_lab):
    facts = await zone_lab.cache().for_host("www.example.vn")
    assert facts.zone == "example.vn" and facts.outcome == Outcome.OK
    lost = await zone_lab.cache().for_host("www.example.org")  # outside every zone: REFUSED
    assert (lost.zone, lost.outcome) == (None, Outcome.DNS_REFUSED) and lost.detail


async def test_non_global_addresses_are_not_probed(zone_lab):
    facts = await zone_lab.cache(allowed=[]).get("example.vn")
    probes = [p for ns in facts.name_servers for p in ns.probes] + [p for mx in facts.mail_servers for p in mx.probes]
    assert len(probes) == 8
    assert {p.outcome for p in probes} == {Outcome.SKIPPED_NON_GLOBAL}
    assert "documentation" in probes[0].detail
    assert zone_lab.asked("example.vn", "SOA") == 0 and zone_lab.smtp.connections == 0


async def test_ipv6_untestable_without_ipv6(zone_lab):
    facts = await zone_lab.cache(ipv6_ok=False).get("example.vn")
    probes = [p for ns in facts.name_servers for p in ns.probes] + [p for mx in facts.mail_servers for p in mx.probes]
    by_family = {f: {p.outcome for p in probes if p.family == f} for f in Family}
    assert by_family == {Family.V4: {Outcome.OK}, Family.V6: {Outcome.UNTESTABLE}}
    assert zone_lab.smtp.connections == 2


async def test_unreachable_name_server_address():
    dns_server = DnsServer({"example.vn": ZONE})
    port = await dns_server.start()
    try:
        empty_lab = LabNetwork({})  # the resolver is contacted directly; nothing else is routed
        client = DnsClient(resolvers=[("::1", port)], network=empty_lab, timeout=0.3)
        cache = ZoneCache(dns=client, network=empty_lab, options=OPTIONS, allowed=ALLOWED, ipv6_ok=True)
        facts = await cache.get("example.vn")
    finally:
        await dns_server.close()
    probes = [p for ns in facts.name_servers for p in ns.probes] + [p for mx in facts.mail_servers for p in mx.probes]
    assert {p.outcome for p in probes} == {Outcome.UNREACHABLE}


async def test_null_mx_is_not_probed(zone_lab):
    zone_lab.dns_server.add_zone("nomail.vn", "@ 300 SOA ns1 hostmaster 1 3600 600 86400 300\n@ 300 NS ns1\n@ 300 MX 0 .\n")
    facts = await zone_lab.cache().get("nomail.vn")
    assert facts.mx_lookup.records == ["0 ."] and facts.mail_servers == []


async def test_a_zone_whose_lookups_got_no_answer_is_asked_again_by_the_next_host(zone_lab):
    """A SERVFAIL (or a lost answer) for a zone's NS and MX must not stick to every host of the zone for the
    rest of the scan: the next host asks again; a zone that answered is kept."""
    cache = zone_lab.cache()
    zone_lab.dns_server.set_behaviour("example.vn", "servfail")
    failed = await cache.get("example.vn")
    assert failed.ns_lookup.outcome == Outcome.DNS_SERVFAIL and not failed.name_servers
    per_lookup = zone_lab.asked("example.vn", "NS")  # (the client's own retries)
    zone_lab.dns_server.set_behaviour("example.vn", "normal")
    facts = await cache.get("example.vn")
    assert facts.ns_lookup.outcome == Outcome.OK and len(facts.name_servers) == 3
    assert zone_lab.asked("example.vn", "NS") == per_lookup + 1
    assert await cache.get("example.vn") is facts and zone_lab.asked("example.vn", "NS") == per_lookup + 1


async def test_a_zone_that_keeps_failing_is_asked_at_most_three_times(zone_lab):
    cache = zone_lab.cache()
    zone_lab.dns_server.set_behaviour("example.vn", "servfail")
    await asyncio.gather(*(cache.get("example.vn") for _ in range(10)))  # one computation, shared
    per_lookup = zone_lab.asked("example.vn", "NS")
    for _ in range(5):
        assert (await cache.get("example.vn")).ns_lookup.outcome == Outcome.DNS_SERVFAIL
    assert zone_lab.asked("example.vn", "NS") == 3 * per_lookup  # then the failure is kept
    assert zone_lab.asked("example.vn", "MX") == 3 * per_lookup


async def test_a_resolution_chain_link_that_got_no_answer_is_asked_again(zone_lab):
    cache = zone_lab.cache()
    zone_lab.dns_server.set_behaviour("example.vn", "servfail")
    assert (await cache.link("example.vn")).outcome == Outcome.DNS_SERVFAIL
    zone_lab.dns_server.set_behaviour("example.vn", "normal")
    link = await cache.link("example.vn")
    assert link.outcome == Outcome.OK and len(link.servers) == 3
    assert await cache.link("example.vn") is link


# ------------------------------------------------------------ the name servers' own names (schema 1.8)

def _served_by(server: str, *records: str) -> str:
    return "$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n" + f"@ NS {server}\n" + "".join(f"{r}\n" for r in records)


async def _walk(zones: dict[str, str], servers: dict[str, int], host: str):
    """The chain of ``host`` over a DNS server holding ``zones``; each name server name -> its address's last
    number (2001:db8::<n>, routed to that server)."""
    from ipv6scan.checks._service import zone_states

    dns_server = DnsServer(zones)
    port = await dns_server.start()
    network = LabNetwork({(f"2001:db8::{n}", 53): ("::1", port) for n in servers.values()})
    client = DnsClient(resolvers=[("127.0.0.1", port)], network=network, timeout=0.3)
    try:
        cache = ZoneCache(dns=client, network=network, options=OPTIONS, allowed=ALLOWED, ipv6_ok=True)
        chain = await cache.chain([(host, "host")])
    finally:
        await client.aclose()
        await dns_server.close()
    return chain, zone_states(chain)


async def test_the_name_servers_names_are_walked_three_deep_and_deeper_is_unknown_never_broken():
    """z0's server is named in z1, z1's in z2, ... z4's in z4 itself (glue): four rounds would reach it."""
    zones = {"example": _served_by("tld.example.", "tld AAAA 2001:db8::50")}
    for i in range(5):
        nxt = f"ns.z{min(i + 1, 4)}.example."
        zones[f"z{i}.example"] = _served_by(nxt, *([f"ns AAAA 2001:db8::{51 + i}"] if i else []),
                                            *(["www AAAA 2001:db8::99"] if i == 0 else []))
    servers = {"tld.example": 50, **{f"ns.z{i}.example": 51 + i for i in range(1, 5)}}
    chain, states = await _walk(zones, servers, "www.z0.example")
    assert chain.ns_walked
    assert [(n.name, n.zones) for n in chain.names if n.role == "ns"] == [
        ("ns.z1.example", ["example", "z1.example"]), ("ns.z2.example", ["example", "z2.example"]),
        ("ns.z3.example", ["example", "z3.example"])]  # tld.example (the TLD's) and ns.z4 (round 4) are not walked
    assert [link.zone for link in chain.zones] == ["example", "z0.example", "z1.example", "z2.example", "z3.example"]
    assert states == {"example": "ok", "z0.example": "dns_failed", "z1.example": "dns_failed",
                      "z2.example": "dns_failed", "z3.example": "dns_failed"}


async def test_name_servers_found_only_through_each_other_are_walked_once_and_never_reached():
    zones = {"example": _served_by("tld.example.", "tld AAAA 2001:db8::50"),
             "a.example": _served_by("ns.b.example.", "www AAAA 2001:db8::99", "ns AAAA 2001:db8::61"),
             "b.example": _served_by("ns.a.example.", "ns AAAA 2001:db8::62")}
    chain, states = await _walk(zones, {"tld.example": 50, "ns.a.example": 61, "ns.b.example": 62}, "www.a.example")
    assert [(n.name, n.zones) for n in chain.names if n.role == "ns"] == [
        ("ns.b.example", ["example", "b.example"]), ("ns.a.example", ["example", "a.example"])]
    assert states == {"example": "ok", "a.example": "ns_names", "b.example": "ns_names"}


async def test_the_spf_of_a_zone_asks_each_name_once_for_all_the_mail_server_addresses():
    """Two mail servers, four addresses: the record's include and the mx mechanism's lookups, once each."""
    zone = ("$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\n@ MX 10 mx1\n@ MX 20 mx2\n"
            '@ TXT "v=spf1 include:_spf.example.vn mx -all"\n_spf TXT "v=spf1 ip4:192.0.2.0/24 -all"\n'
            "ns A 192.0.2.1\nmx1 A 192.0.2.25\nmx1 AAAA 2001:db8::25\nmx2 A 192.0.2.26\nmx2 AAAA 2001:db8::26\n")
    dns_server = DnsServer({"example.vn": zone})
    port = await dns_server.start()
    network = LabNetwork({("192.0.2.1", 53): ("127.0.0.1", port)})
    client = DnsClient(resolvers=[("127.0.0.1", port)], network=network, timeout=0.3)
    try:
        facts = await ZoneCache(dns=client, network=network, options=OPTIONS, allowed=ALLOWED, ipv6_ok=True).get(
            "example.vn")
    finally:
        await client.aclose()
        await dns_server.close()
    assert [(c.address, c.result, c.term) for c in facts.spf.checks] == [
        ("192.0.2.25", "pass", "include:_spf.example.vn"), ("2001:db8::25", "pass", "mx"),
        ("192.0.2.26", "pass", "include:_spf.example.vn"), ("2001:db8::26", "pass", "mx")]
    asked = [(n, q) for _, n, q, _ in dns_server.queries]
    assert asked.count(("_spf.example.vn", "TXT")) == 1 and asked.count(("example.vn", "MX")) <= 2
    assert asked.count(("mx1.example.vn", "AAAA")) <= 2  # the mail server's own resolution, and SPF's once
