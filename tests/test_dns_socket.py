"""DnsClient's shared UDP socket: one socket for many questions, answers matched to questions.

A scripted resolver on loopback sees every datagram (its source port and ID)
and answers as each test says: correctly, or first with replies that must be
ignored (another ID, another question, another source), as a spoofer would.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import dns.flags
import dns.message
import dns.rrset
import pytest

from ipv6scan.model import Outcome
from ipv6scan.net import Network
from ipv6scan.probe.dns import DnsClient

TIMEOUT = 0.3

Reply = tuple[bytes, socket.socket | None]  # wire, and the socket to send it from (None: the resolver's own)
Script = Callable[[dns.message.Message], list[Reply]]


class ScriptedResolver(asyncio.DatagramProtocol):
    """UDP on 127.0.0.1: records (source port, ID, name, type) of each query; answers by a script."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.seen: list[tuple[int, int, str, str]] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.hold: asyncio.Event | None = None  # set: answers wait until it is set
        self.spoofer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.spoofer.bind(("127.0.0.1", 0))

    @property
    def port(self) -> int:
        assert self.transport is not None
        return self.transport.get_extra_info("sockname")[1]

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:  # type: ignore[override]
        query = dns.message.from_wire(data)
        question = query.question[0]
        self.seen.append((addr[1], query.id, question.name.to_text(True), dns.rdatatype.to_text(question.rdtype)))
        asyncio.get_running_loop().create_task(self._answer(query, addr))

    async def _answer(self, query: dns.message.Message, addr) -> None:
        if self.hold is not None:
            await self.hold.wait()
        for wire, sock in self.script(query):
            if sock is None:
                assert self.transport is not None
                self.transport.sendto(wire, addr)
            else:
                sock.sendto(wire, addr)
            await asyncio.sleep(0.01)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.spoofer.close()


def answer(query: dns.message.Message, address: str = "192.0.2.10") -> dns.message.Message:
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    response.answer.append(dns.rrset.from_text(query.question[0].name, 300, "IN", "A", address))
    return response


def wrong_id(query: dns.message.Message) -> bytes:
    response = answer(query, "192.0.2.66")
    response.id = (query.id + 1) & 0xFFFF
    return response.to_wire()


def wrong_question(query: dns.message.Message) -> bytes:
    other = dns.message.make_query("elsewhere.invalid", "A")
    other.id = query.id
    return answer(other, "192.0.2.66").to_wire()


def spoofed(query: dns.message.Message) -> bytes:
    return answer(query, "192.0.2.66").to_wire()  # right ID and question, but sent from another port


@pytest.fixture
async def resolver():
    servers: list[ScriptedResolver] = []

    async def start(script: Script) -> ScriptedResolver:
        loop = asyncio.get_running_loop()
        _, server = await loop.create_datagram_endpoint(lambda: ScriptedResolver(script), local_addr=("127.0.0.1", 0))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def clients():
    made: list[DnsClient] = []

    def make(port: int, **kw) -> DnsClient:
        kw.setdefault("timeout", TIMEOUT)
        made.append(DnsClient(resolvers=[("127.0.0.1", port)], network=Network(), **kw))
        return made[-1]

    yield make
    for client in made:
        await client.aclose()


async def test_one_socket_for_many_questions_with_distinct_ids(resolver, clients) -> None:
    server = await resolver(lambda q: [(answer(q).to_wire(), None)])
    server.hold = asyncio.Event()
    # A timeout long enough that no question is asked twice while held, even on a slow machine (was
    # 0.3 s: a CI run sent retries, seen passed 200, the wait ran its full second and every lookup timed out).
    client = clients(server.port, timeout=10.0)
    lookups = asyncio.gather(*(client.lookup(f"h{i}.example", "A") for i in range(200)))
    for _ in range(500):  # every question in flight at once before any is answered
        await asyncio.sleep(0.01)
        if len(server.seen) >= 200:
            break
    server.hold.set()
    results = await lookups
    assert [r.outcome for r in results] == [Outcome.OK] * 200
    assert all(r.records == ["192.0.2.10"] for r in results)
    assert len({port for port, *_ in server.seen}) == 1  # one shared socket
    assert len({qid for _, qid, *_ in server.seen}) == 200  # no ID used twice while in flight


async def test_non_matching_replies_are_ignored_and_the_real_answer_taken(resolver, clients) -> None:
    def script(query: dns.message.Message) -> list[Reply]:
        return [(wrong_id(query), None), (wrong_question(query), None), (spoofed(query), server.spoofer),
                (answer(query).to_wire(), None)]

    server = await resolver(script)
    lookup = await clients(server.port).lookup("www.example", "A")
    assert (lookup.outcome, lookup.records) == (Outcome.OK, ["192.0.2.10"])


@pytest.mark.parametrize("bad", ["wrong_id", "wrong_question", "spoofed"])
async def test_a_non_matching_reply_never_ends_the_wait(resolver, clients, bad) -> None:
    # Was: a reply with another ID failed the lookup at once (dnspython's BadResponse).
    def script(query: dns.message.Message) -> list[Reply]:
        if bad == "wrong_id":
            return [(wrong_id(query), None)]
        if bad == "wrong_question":
            return [(wrong_question(query), None)]
        return [(spoofed(query), server.spoofer)]

    server = await resolver(script)
    start = time.monotonic()
    lookup = await clients(server.port, retries=1).lookup("www.example", "A")
    elapsed = time.monotonic() - start
    assert lookup.outcome == Outcome.DNS_TIMEOUT and lookup.records == []
    assert "no answer in 2 attempts" in (lookup.detail or "")
    assert elapsed >= 2 * TIMEOUT * 0.9
    assert len(server.seen) == 2 and server.seen[0][1] != server.seen[1][1]  # each attempt under its own ID


async def test_each_attempt_has_its_own_id(resolver, clients) -> None:
    # An answer under a timed-out attempt's ID is not taken (as before: that attempt's socket was closed).
    late: list[dns.message.Message] = []

    def script(query: dns.message.Message) -> list[Reply]:
        if not late:  # first attempt: no answer now...
            late.append(query)
            return []
        # ...second attempt: first the first attempt's answer, then this one's
        return [(answer(late[0], "192.0.2.66").to_wire(), None), (answer(query).to_wire(), None)]

    server = await resolver(script)
    lookup = await clients(server.port, retries=1).lookup("www.example", "A")
    assert (lookup.outcome, lookup.records) == (Outcome.OK, ["192.0.2.10"])


async def test_aclose_closes_the_socket(resolver, clients) -> None:
    server = await resolver(lambda q: [(answer(q).to_wire(), None)])
    client = clients(server.port)
    assert (await client.lookup("www.example", "A")).outcome == Outcome.OK
    sockets = [mux.sock for mux in client._udp.values()]
    assert len(sockets) == 1
    await client.aclose()
    assert sockets[0].fileno() == -1 and not client._udp


async def test_sockets_per_family(clients) -> None:
    # an IPv6 resolver and an IPv4 one: one socket each, and a fresh random source port for each
    from ipv6scan.testnet.dns_server import DnsServer

    server = DnsServer({"example.vn": "$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n@ NS ns\nns A 192.0.2.1\n"})
    port = await server.start()
    try:
        client = DnsClient(resolvers=[("::1", port)], network=Network(), timeout=TIMEOUT)
        other = DnsClient(resolvers=[("127.0.0.1", port)], network=Network(), timeout=TIMEOUT)
        assert (await client.lookup("ns.example.vn", "A")).records == ["192.0.2.1"]
        assert (await other.lookup("ns.example.vn", "A")).records == ["192.0.2.1"]
        assert list(client._udp) == [socket.AF_INET6] and list(other._udp) == [socket.AF_INET]
        await client.aclose()
        await other.aclose()
    finally:
        await server.close()
