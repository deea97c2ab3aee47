"""DnsClient against the testnet DNS server: real packets over loopback."""

from __future__ import annotations

import asyncio
import socket

import dns.flags
import dns.message
import dns.query
import pytest

from ipv6scan.model import Family, Outcome
from ipv6scan.net import LabNetwork, Network
from ipv6scan.probe.dns import DnsClient
from ipv6scan.testnet.dns_server import DnsServer

SOA = "@ SOA ns1.example.vn. hostmaster.example.vn. 1 3600 600 86400 300\n@ NS ns1.example.vn.\n"

EXAMPLE = (
    "$TTL 300\n"
    + SOA
    + """
ns1 A 192.0.2.1
both A 192.0.2.10
both AAAA 2001:db8::10
v4only A 192.0.2.11
mapped AAAA ::ffff:192.0.2.12
; a chain of three CNAMEs ending in another zone
chain CNAME c1
c1 CNAME c2.other.vn.
loop1 CNAME loop2
loop2 CNAME loop1
crossloop CNAME crossloop.other.vn.
"""
    + "".join(f"l{i} CNAME l{i + 1}\n" for i in range(6))
    + "l6 A 192.0.2.66\n"
    + "".join(f"big A 192.0.2.{i}\n" for i in range(1, 101))
)
OTHER = (
    "$TTL 300\n"
    + SOA
    + """
c2 CNAME final
final A 192.0.2.20
final AAAA 2001:db8::20
crossloop CNAME crossloop.example.vn.
"""
)
GOV = "$TTL 300\n@ SOA ns.gov.vn. admin.gov.vn. 1 3600 600 86400 300\n@ NS ns.gov.vn.\nwww.mic A 192.0.2.30\n"
DANANG = """$TTL 300
@ SOA ns.danang.gov.vn. admin.danang.gov.vn. 1 3600 600 86400 300
@ NS ns.danang.gov.vn.
dichvucong A 192.0.2.40
dichvucong AAAA 2001:db8::40
alias CNAME www.mic.gov.vn.
"""
ZONES = {"example.vn": EXAMPLE, "other.vn": OTHER, "gov.vn": GOV, "danang.gov.vn": DANANG}
TIMEOUT = 0.3


@pytest.fixture
async def server():
    srv = DnsServer(ZONES)
    await srv.start()
    yield srv
    await srv.close()


@pytest.fixture
async def make_client():
    """DnsClient(...), closed (its UDP sockets too) when the test ends."""
    made: list[DnsClient] = []

    def make(**kw) -> DnsClient:
        made.append(DnsClient(**kw))
        return made[-1]

    yield make
    for c in made:
        await c.aclose()


@pytest.fixture
async def client(server, make_client):
    return make_client(resolvers=[("127.0.0.1", server.port)], network=Network(), timeout=TIMEOUT, retries=1)


def asked(server: DnsServer, qname: str, qtype: str, transport: str | None = None) -> int:
    return sum(1 for t, n, q, _ in server.queries if n == qname and q == qtype and transport in (None, t))


def free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# ------------------------------------------------------------ answers


async def test_a_and_aaaa(client):
    res = await client.resolve("both.example.vn")
    assert res.a.outcome == res.aaaa.outcome == Outcome.OK
    assert res.a.records == ["192.0.2.10"] and res.aaaa.records == ["2001:db8::10"]
    assert res.a.ttl == 300
    assert [(a.address, a.family, a.special) for a in res.addresses] == [
        ("192.0.2.10", Family.V4, "documentation"),
        ("2001:db8::10", Family.V6, "documentation"),
    ]
    assert res.cname_chain == [] and res.canonical == "both.example.vn" and res.chain_outcome == Outcome.OK


async def test_an_ipv4_mapped_aaaa_is_written_as_people_read_it(client):
    """::ffff:192.0.2.12, as RFC 5952 writes it (Python before 3.13 would say ::ffff:c000:20c)."""
    res = await client.resolve("mapped.example.vn")
    assert res.aaaa.records == ["::ffff:192.0.2.12"]
    assert [(a.address, a.special) for a in res.addresses] == [("::ffff:192.0.2.12", "ipv4_mapped")]


async def test_nodata_is_the_only_no_ipv6(client):
    res = await client.resolve("v4only.example.vn")
    assert res.a.outcome == Outcome.OK
    assert res.aaaa.outcome == Outcome.DNS_NODATA and res.aaaa.records == []


async def test_nxdomain(client):
    res = await client.resolve("nothing.example.vn")
    assert res.a.outcome == res.aaaa.outcome == Outcome.DNS_NXDOMAIN
    assert "NXDOMAIN" in res.aaaa.detail


@pytest.mark.parametrize(
    ("behaviour", "outcome"),
    [("servfail", Outcome.DNS_SERVFAIL), ("refused", Outcome.DNS_REFUSED), ("drop", Outcome.DNS_TIMEOUT)],
)
async def test_server_failures_are_never_no_ipv6(server, client, behaviour, outcome):
    server.set_behaviour("both.example.vn", behaviour)
    res = await client.resolve("both.example.vn")
    assert res.a.outcome == res.aaaa.outcome == outcome
    assert res.addresses == []
    assert res.aaaa.detail


async def test_timeout_is_retried(server, client):
    server.set_behaviour("both.example.vn.", "drop")
    lookup = await client.lookup("both.example.vn", "AAAA")
    assert lookup.outcome == Outcome.DNS_TIMEOUT
    assert asked(server, "both.example.vn", "AAAA") == 2  # first try + 1 retry
    assert lookup.elapsed_ms >= 2 * TIMEOUT * 1000 * 0.9


async def test_next_resolver_after_timeout_and_servfail(server, make_client):
    failing = DnsServer(ZONES)
    failing.set_behaviour("both.example.vn", "drop")
    failing.set_behaviour("v4only.example.vn", "servfail")
    await failing.start(hosts=("127.0.0.1",))
    try:
        resolvers = [("127.0.0.1", failing.port), ("127.0.0.1", server.port)]
        c = make_client(resolvers=resolvers, network=Network(), timeout=TIMEOUT, retries=0)
        assert (await c.lookup("both.example.vn", "AAAA")).records == ["2001:db8::10"]
        assert (await c.lookup("v4only.example.vn", "A")).records == ["192.0.2.11"]
    finally:
        await failing.close()


async def test_ns_mx_records(client):
    ns = await client.lookup("example.vn", "NS")
    assert ns.outcome == Outcome.OK and ns.records == ["ns1.example.vn"]
    mx = await client.lookup("example.vn", "MX")
    assert mx.outcome == Outcome.DNS_NODATA


async def test_ipv6_resolver(server, make_client):
    c = make_client(resolvers=[("::1", server.port)], network=Network(), timeout=TIMEOUT)
    assert await c.addresses("both.example.vn", Family.V6) == (Outcome.OK, ["2001:db8::10"])
    assert any(client == "::1" for *_, client in server.queries)


# ------------------------------------------------------------ CNAME chains


async def test_cname_chain_into_another_zone(server, client):
    res = await client.resolve("chain.example.vn")
    assert res.cname_chain == ["c1.example.vn", "c2.other.vn", "final.other.vn"]
    assert res.canonical == "final.other.vn" and res.chain_outcome == Outcome.OK
    assert res.a.name == res.aaaa.name == "final.other.vn"
    assert [a.address for a in res.addresses] == ["192.0.2.20", "2001:db8::20"]
    # the server stops at the zone boundary: the client asked for the rest itself
    assert asked(server, "c2.other.vn", "AAAA") == 1


@pytest.mark.parametrize("name", ["loop1.example.vn", "crossloop.example.vn"])
async def test_cname_loop(client, name):
    res = await client.resolve(name)
    assert res.chain_outcome == Outcome.CNAME_LOOP
    assert res.a.outcome == res.aaaa.outcome == Outcome.CNAME_LOOP
    assert res.addresses == []


async def test_cname_chain_too_long(server, make_client):
    short = make_client(resolvers=[("127.0.0.1", server.port)], network=Network(), timeout=TIMEOUT, max_cname_chain=5)
    res = await short.resolve("l0.example.vn")
    assert res.chain_outcome == Outcome.CNAME_TOO_LONG and res.a.outcome == Outcome.CNAME_TOO_LONG
    enough = make_client(resolvers=[("127.0.0.1", server.port)], network=Network(), timeout=TIMEOUT, max_cname_chain=6)
    res = await enough.resolve("l0.example.vn")
    assert res.chain_outcome == Outcome.OK and res.a.records == ["192.0.2.66"]
    assert len(res.cname_chain) == 6


async def test_failure_on_the_way_is_the_chain_outcome(server, client):
    server.set_behaviour("c2.other.vn", "servfail")
    res = await client.resolve("chain.example.vn")
    assert res.chain_outcome == Outcome.DNS_SERVFAIL
    assert res.aaaa.outcome == Outcome.DNS_SERVFAIL


# ------------------------------------------------------------ truncation


async def test_truncated_answer_retried_over_tcp(server, client):
    server.set_behaviour("both.example.vn", "truncate")
    lookup = await client.lookup("both.example.vn", "AAAA")
    assert lookup.outcome == Outcome.OK and lookup.records == ["2001:db8::10"]
    assert asked(server, "both.example.vn", "AAAA", "udp") == 1
    assert asked(server, "both.example.vn", "AAAA", "tcp") == 1


async def test_answer_too_big_for_udp(server, client):
    lookup = await client.lookup("big.example.vn", "A")
    assert lookup.outcome == Outcome.OK and len(lookup.records) == 100
    assert asked(server, "big.example.vn", "A", "tcp") == 1


class _Recording(Network):
    """A direct network that notes every socket and connection the DNS client asks it for."""

    def __init__(self) -> None:
        self.udp: list[int] = []
        self.tcp: list[tuple[str, int, bool]] = []

    def udp_socket(self, family: int) -> socket.socket:
        self.udp.append(family)
        return super().udp_socket(family)

    async def open_tcp(self, address, port, *, routed=False, **kw):  # type: ignore[no-untyped-def]
        self.tcp.append((address, port, routed))
        return await super().open_tcp(address, port, routed=routed, **kw)


async def test_every_dns_socket_comes_from_the_network(server, make_client):
    """UDP (one shared socket per family) and the TCP of a truncated answer are the Network's: nothing patched."""
    network = _Recording()
    c = make_client(resolvers=[("127.0.0.1", server.port)], network=network, timeout=TIMEOUT)
    server.set_behaviour("both.example.vn", "truncate")
    assert (await c.lookup("both.example.vn", "AAAA")).outcome == Outcome.OK
    assert (await c.lookup("big.example.vn", "A")).outcome == Outcome.OK
    assert network.udp == [socket.AF_INET]  # one socket, shared by both questions
    # the resolver is where to go already: not routed again (a lab network has no route for it)
    assert network.tcp == [("127.0.0.1", server.port, True), ("127.0.0.1", server.port, True)]


async def test_a_tcp_answer_to_another_question_is_not_taken(server, make_client):
    server.set_behaviour("both.example.vn", "truncate")
    answer = server.answer

    def other_question(wire, *args):  # type: ignore[no-untyped-def]
        query = dns.message.from_wire(wire)
        if args and args[0] == "tcp":
            query = dns.message.make_query("else.example.vn", "AAAA", id=query.id)
        return answer(query.to_wire(), *args)

    server.answer = other_question
    c = make_client(resolvers=[("127.0.0.1", server.port)], network=Network(), timeout=TIMEOUT, retries=0)
    lookup = await c.lookup("both.example.vn", "AAAA")
    assert lookup.outcome == Outcome.DNS_ERROR and "does not answer the question" in lookup.detail


# ------------------------------------------------------------ zone cuts


@pytest.mark.parametrize(
    ("name", "apex"),
    [
        ("dichvucong.danang.gov.vn.", "danang.gov.vn"),  # exists: NODATA + SOA
        ("nothing.danang.gov.vn", "danang.gov.vn"),  # NXDOMAIN + SOA
        ("danang.gov.vn", "danang.gov.vn"),  # the apex itself
        ("www.mic.gov.vn", "gov.vn"),  # no zone of its own
        ("alias.danang.gov.vn", "danang.gov.vn"),  # a CNAME: walk up
    ],
)
async def test_find_zone(client, name, apex):
    assert await client.find_zone(name) == (apex, Outcome.OK, None)


async def test_find_zone_is_cached(server, client):
    results = await asyncio.gather(*(client.find_zone("dichvucong.danang.gov.vn") for _ in range(5)))
    assert set(results) == {("danang.gov.vn", Outcome.OK, None)}
    assert asked(server, "dichvucong.danang.gov.vn", "SOA") == 1


async def test_find_zone_failure(server, client):
    server.set_behaviour("dichvucong.danang.gov.vn", "servfail")
    apex, outcome, detail = await client.find_zone("dichvucong.danang.gov.vn")
    assert (apex, outcome) == (None, Outcome.DNS_SERVFAIL) and "SERVFAIL" in detail
    assert (await client.find_zone("example.org"))[:2] == (None, Outcome.DNS_REFUSED)
    server.set_behaviour("dichvucong.danang.gov.vn", "normal")  # failures are not remembered
    assert await client.find_zone("dichvucong.danang.gov.vn") == ("danang.gov.vn", Outcome.OK, None)


# ------------------------------------------------------------ name-server probes


@pytest.fixture
def routed(server):
    closed = free_udp_port("::1")
    return LabNetwork(
        {
            ("2001:db8::53", 53): ("::1", server.port),
            ("192.0.2.53", 53): ("127.0.0.1", server.port),
            ("2001:db8::dead", 53): ("::1", closed),
        }
    )


@pytest.mark.parametrize(("address", "family"), [("2001:db8::53", Family.V6), ("192.0.2.53", Family.V4)])
async def test_probe_server_ok(server, routed, address, family, make_client):
    c = make_client(resolvers=[("127.0.0.1", server.port)], network=routed, timeout=TIMEOUT)
    probe = await c.probe_server(address, 53, "danang.gov.vn")
    assert (probe.outcome, probe.authoritative, probe.rcode, probe.transport) == (Outcome.OK, True, "NOERROR", "udp")
    assert probe.family == family and probe.address == address
    client_address = "::1" if family == Family.V6 else "127.0.0.1"
    assert ("udp", "danang.gov.vn", "SOA", client_address) in server.queries


async def test_probe_server_sends_no_recursion_desired(server, routed, make_client):
    c = make_client(resolvers=[], network=routed, timeout=TIMEOUT)
    seen: list[int] = []
    answer = server.answer

    def spy(wire: bytes, *args: str) -> bytes | None:
        seen.append(dns.message.from_wire(wire).flags)
        return answer(wire, *args)

    server.answer = spy
    assert (await c.probe_server("2001:db8::53", 53, "danang.gov.vn")).outcome == Outcome.OK
    assert seen and not seen[0] & dns.flags.RD


async def test_probe_server_over_tcp_when_truncated(server, routed, make_client):
    server.set_behaviour("danang.gov.vn", "truncate")
    c = make_client(resolvers=[], network=routed, timeout=TIMEOUT)
    probe = await c.probe_server("2001:db8::53", 53, "danang.gov.vn")
    assert (probe.outcome, probe.transport) == (Outcome.OK, "tcp")


async def test_probe_server_failures(server, routed, make_client):
    c = make_client(resolvers=[], network=routed, timeout=TIMEOUT, retries=1)
    refused = await c.probe_server("2001:db8::53", 53, "not-served.vn")
    assert (refused.outcome, refused.rcode, refused.authoritative) == (Outcome.DNS_REFUSED, "REFUSED", False)
    server.set_behaviour("danang.gov.vn", "servfail")
    assert (await c.probe_server("2001:db8::53", 53, "danang.gov.vn")).outcome == Outcome.DNS_SERVFAIL
    unrouted = await c.probe_server("2001:db8::54", 53, "danang.gov.vn")
    assert unrouted.outcome == Outcome.UNREACHABLE and unrouted.transport is None
    # An unconnected UDP socket never hears the ICMP port-unreachable: a closed port times out.
    closed = await c.probe_server("2001:db8::dead", 53, "danang.gov.vn")
    assert closed.outcome == Outcome.TIMEOUT and "2 attempts" in closed.detail


async def test_server_ignores_junk(server):
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.sendto(b"\x00\x01garbage", ("::1", server.port))
    query = dns.message.make_query("both.example.vn", "A")
    answer = await asyncio.to_thread(dns.query.udp, query, "::1", timeout=2, port=server.port)
    assert answer.answer[0].to_text().endswith("192.0.2.10")


# ------------------------------------------------------------ reverse DNS (mail servers' IPv6 addresses)

REVERSE = "8.b.d.0.1.0.0.2.ip6.arpa"


def _owner(address: str) -> str:
    import dns.reversename

    return dns.reversename.from_address(address).to_text()


async def test_reverse_dns_is_forward_confirmed_or_says_why_not(make_client):
    zone = "$TTL 300\n@ SOA ns1.example.vn. h.example.vn. 1 3600 600 86400 300\n@ NS ns1.example.vn.\n" + "".join(
        f"{_owner(a)} PTR {name}\n" for a, name in (
            ("2001:db8::10", "both.example.vn."),  # both.example.vn's AAAA is 2001:db8::10: confirmed
            ("2001:db8::11", "v4only.example.vn."),  # no AAAA: not confirmed
            ("2001:db8::13", "both.example.vn."),  # an AAAA, but another address: not confirmed
            ("2001:db8::14", "flaky.example.vn.")))  # its AAAA lookup fails
    srv = DnsServer({**ZONES, REVERSE: zone})
    await srv.start()
    try:
        srv.set_behaviour("flaky.example.vn", "servfail")
        srv.set_behaviour(_owner("2001:db8::15"), "servfail")
        client = make_client(resolvers=[("127.0.0.1", srv.port)], network=Network(), timeout=TIMEOUT, retries=0)
        got = {a: await client.reverse(a) for a in ("2001:db8::10", "2001:0db8::11", "2001:db8::12", "2001:db8::13",
                                                     "2001:db8::14", "2001:db8::15")}
    finally:
        await srv.close()
    assert (got["2001:db8::10"].ptr.records, got["2001:db8::10"].confirmed) == (["both.example.vn"], ["both.example.vn"])
    assert got["2001:0db8::11"].address == "2001:db8::11"  # written as scan results write addresses
    assert ([f.outcome for f in got["2001:0db8::11"].forward], got["2001:0db8::11"].confirmed) == ([Outcome.DNS_NODATA], [])
    assert (got["2001:db8::12"].ptr.outcome, got["2001:db8::12"].forward) == (Outcome.DNS_NXDOMAIN, [])
    assert (got["2001:db8::13"].forward[0].records, got["2001:db8::13"].confirmed) == (["2001:db8::10"], [])
    assert [f.outcome for f in got["2001:db8::14"].forward] == [Outcome.DNS_SERVFAIL]
    assert got["2001:db8::15"].ptr.outcome == Outcome.DNS_SERVFAIL


async def test_a_txt_record_of_several_strings_is_one_text_as_spf_reads_it(make_client):
    """RFC 7208 3.3: a record longer than 255 bytes comes as several strings, joined with nothing between."""
    zone = ("$TTL 300\n@ SOA ns1.example.vn. h.example.vn. 1 3600 600 86400 300\n@ NS ns1.example.vn.\n"
            '@ TXT "v=spf1 ip4:192.0.2.0/24 " "ip6:2001:db8::/32 -all"\n@ TXT "google-site-verification=x"\n')
    srv = DnsServer({"txt.vn": zone})
    await srv.start()
    try:
        client = make_client(resolvers=[("127.0.0.1", srv.port)], network=Network(), timeout=TIMEOUT, retries=0)
        found = await client.lookup("txt.vn", "TXT")
    finally:
        await srv.close()
    assert sorted(found.records) == ["google-site-verification=x", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"]
