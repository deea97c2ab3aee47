"""DNS: questions to the recursive resolvers, CNAME chains, zone cuts, name-server probes.

Every lookup ends in one :class:`~ipv6scan.model.Outcome`; nothing here raises
for DNS or network trouble. A failed lookup is never reported as "no records":
NODATA (the name exists, no records of that type) is the only "none" answer.

Queries to the configured recursive resolvers go out directly. Queries to
name-server addresses found in DNS (:meth:`DnsClient.probe_server`) go through
``network.route`` so that a lab network can redirect or refuse them.

UDP questions share one socket per address family for the client's whole life
(:class:`_UdpMux`), with many questions in flight: each gets a random message
ID not in flight to that server, and an answer counts only when it comes from
the server asked, with that ID and that question; anything else is ignored and
the wait goes on until the timeout. A truncated answer (TC=1) is asked again
over TCP on a connection of its own. Every socket comes from the Network
(:meth:`~ipv6scan.net.Network.udp_socket`, :meth:`~ipv6scan.net.Network.open_tcp`);
:meth:`DnsClient.aclose` closes the UDP ones.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import ipaddress
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.reversename

from ..addresses import canonical, classify, family_of
from ..model import (DNS_FAILURES, DnsLookup, DnsServerProbe, Family, GlueFacts, GlueName, Outcome, Resolution,
                     ReverseName, in_zone)
from ..net import Network, format_hostport
from ._errors import forget_traceback, outcome_of

REVERSE_NAMES = 4  # names of one PTR looked up forward at most (an address has one, as a rule)
_EDNS_PAYLOAD = 1232  # DNS flag day 2020: avoids IP fragmentation
_RCODE_OUTCOMES = {dns.rcode.SERVFAIL: Outcome.DNS_SERVFAIL, dns.rcode.REFUSED: Outcome.DNS_REFUSED}


@dataclass
class _Reply:
    """One question's answer (NOERROR or NXDOMAIN), or how asking failed."""

    message: dns.message.Message | None
    outcome: Outcome = Outcome.OK
    detail: str | None = None


@dataclass
class _Chase:
    """A lookup with its CNAME chain followed."""

    lookup: DnsLookup
    chain: list[str] = field(default_factory=list)
    chain_outcome: Outcome = Outcome.OK


class DnsClient:
    """One per scan: asks the resolvers, follows CNAMEs, finds zone cuts, probes name servers."""

    def __init__(
        self,
        *,
        resolvers: list[tuple[str, int]] | None = None,
        network: Network,
        timeout: float = 3.0,
        retries: int = 1,
        max_cname_chain: int = 16,
    ) -> None:
        self.resolvers = list(resolvers) if resolvers else _system_resolvers()
        self.network = network
        self.timeout = timeout
        self.retries = retries
        self.max_cname_chain = max_cname_chain
        self._zones: dict[str, asyncio.Task[tuple[str | None, Outcome, str | None]]] = {}
        self._udp: dict[int, _UdpMux] = {}  # address family -> the shared socket

    # ------------------------------------------------------------ public API

    async def lookup(self, name: str, rdtype: str) -> DnsLookup:
        """One record type of one name, CNAMEs followed (except for CNAME itself)."""
        return (await self._chase(name, rdtype)).lookup

    async def resolve(self, name: str) -> Resolution:
        """A and AAAA of a host name (asked concurrently), CNAME chain followed."""
        a, aaaa = await asyncio.gather(self._chase(name, "A"), self._chase(name, "AAAA"))
        chain = max(a.chain, aaaa.chain, key=len)
        chain_outcome = a.chain_outcome if a.chain_outcome != Outcome.OK else aaaa.chain_outcome
        own = normalise_name(name)
        return Resolution(
            name=own,
            canonical=chain[-1] if chain else own,
            cname_chain=chain,
            chain_outcome=chain_outcome,
            a=a.lookup,
            aaaa=aaaa.lookup,
            addresses=[classify(r) for r in a.lookup.records + aaaa.lookup.records],
        )

    async def addresses(self, name: str, family: Family) -> tuple[Outcome, list[str]]:
        """The A (V4) or AAAA (V6) addresses of a name, CNAMEs followed."""
        lookup = await self.lookup(name, "AAAA" if family == Family.V6 else "A")
        return lookup.outcome, lookup.records

    async def reverse(self, address: str) -> ReverseName:
        """An address's PTR and which of its names resolve back to it (:func:`forward_confirmed`)."""
        return await forward_confirmed(self.lookup, address)

    async def find_zone(self, name: str) -> tuple[str | None, Outcome, str | None]:
        """The apex of the zone holding name, found by its real zone cut.

        Concurrent callers for one name share one search; a found apex is
        remembered for the whole scan, a failure only until it is reported,
        so that a transient timeout does not stick to every later host.
        """
        key = normalise_name(name)
        task = self._zones.get(key)
        if task is None:
            task = self._zones[key] = asyncio.create_task(self._find_zone(key))
        result = await asyncio.shield(task)
        if result[0] is None and self._zones.get(key) is task:
            del self._zones[key]
        return result

    async def probe_server(self, address: str, port: int, zone: str) -> DnsServerProbe:
        """Ask one name-server address (routed through the network) for the zone's SOA, RD off."""
        start = time.monotonic()
        response, tcp, outcome, detail = await self._ask_server(address, port, zone, "SOA")
        facts = {} if response is None else {
            "transport": "tcp" if tcp else "udp",
            "authoritative": bool(response.flags & dns.flags.AA),
            "rcode": dns.rcode.to_text(response.rcode()),
        }
        return DnsServerProbe(address=address, family=family_of(address), outcome=outcome, detail=detail,
                              elapsed_ms=(time.monotonic() - start) * 1000, **facts)

    async def glue(self, address: str, port: int, zone: str, parent: str) -> GlueFacts:
        """Ask a name-server address of the parent zone for ``zone``'s NS, RD off, as a resolver walking down
        does: a referral (the name servers it names, and the glue it carries for those named inside the zone),
        or an answer for the zone itself (that server serves the child too)."""
        response, _, outcome, detail = await self._ask_server(address, port, zone, "NS")
        facts = GlueFacts(parent=parent, address=address, outcome=outcome, detail=detail)
        if response is None or outcome != Outcome.OK:
            return facts
        owner = dns.name.from_text(zone)
        if response.flags & dns.flags.AA and response.get_rrset(response.answer, owner, dns.rdataclass.IN,
                                                                  dns.rdatatype.NS) is not None:
            return facts  # (referral False: it answers for the zone itself)
        delegation = response.get_rrset(response.authority, owner, dns.rdataclass.IN, dns.rdatatype.NS)
        if delegation is None:
            facts.outcome, facts.detail = Outcome.DNS_ERROR, f"neither a referral nor an answer for {zone} NS"
            return facts
        facts.referral = True
        facts.delegated = sorted({_text(rdata.target) for rdata in delegation})
        for name in facts.delegated:
            if not in_zone(name, zone):
                continue  # (a name outside the zone is no glue: a resolver looks it up)
            owned = dns.name.from_text(name)
            found = {kind: _records(rrset) if (rrset := response.get_rrset(response.additional, owned,
                                                                          dns.rdataclass.IN, kind)) else []
                     for kind in (dns.rdatatype.A, dns.rdatatype.AAAA)}
            if found[dns.rdatatype.A] or found[dns.rdatatype.AAAA]:
                facts.names.append(GlueName(name=name, a=found[dns.rdatatype.A], aaaa=found[dns.rdatatype.AAAA]))
        return facts

    async def _ask_server(self, address: str, port: int, qname: str, rdtype: str
                          ) -> tuple[dns.message.Message | None, bool, Outcome, str | None]:
        """One question to one name-server address (routed through the network), RD off, tried again after a
        timeout: (the reply, over TCP?, its outcome, why); the reply is None when there is none to read."""
        try:
            host, routed_port = self.network.route(address, port)
            query = dns.message.make_query(qname, rdtype, use_edns=0, payload=_EDNS_PAYLOAD, flags=0)
        except (OSError, ValueError, dns.exception.DNSException) as e:
            return None, False, *outcome_of(e)
        for _ in range(self.retries + 1):
            try:
                response, tcp = await self._exchange(query, host, routed_port)
            except dns.exception.Timeout as e:
                forget_traceback(e)
                continue
            except dns.exception.DNSException as e:
                forget_traceback(e)
                return None, False, Outcome.PROTOCOL_ERROR, f"malformed answer: {e}"
            except Exception as e:  # socket errors, EOF on TCP, ...
                forget_traceback(e)
                return None, False, *outcome_of(e)
            if response.flags & dns.flags.TC:
                return response, True, Outcome.PROTOCOL_ERROR, "answer truncated even over TCP"
            rcode = response.rcode()
            if rcode == dns.rcode.NOERROR:
                return response, tcp, Outcome.OK, None
            outcome = _RCODE_OUTCOMES.get(rcode, Outcome.DNS_ERROR)
            return response, tcp, outcome, f"answered {dns.rcode.to_text(rcode)} for {qname} {rdtype}"
        return None, False, Outcome.TIMEOUT, f"no answer after {self.retries + 1} attempts of {self.timeout:g} s"

    async def __aenter__(self) -> DnsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel zone-cut searches still running; close the UDP sockets."""
        for task in self._zones.values():
            task.cancel()
        await asyncio.gather(*self._zones.values(), return_exceptions=True)
        self._zones.clear()
        for mux in self._udp.values():
            mux.close()
        self._udp.clear()

    # ------------------------------------------------------------ internals

    async def _exchange(self, query: dns.message.Message, host: str, port: int) -> tuple[dns.message.Message, bool]:
        """One question over the shared UDP socket, again over TCP if the answer is truncated.

        Returns (answer, over TCP?). Raises dns.exception.Timeout when no matching
        answer came within ``timeout`` (over UDP, then over TCP: each has it all),
        OSError for socket trouble, a DNSException for a malformed answer.
        """
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        mux = self._udp.get(family)
        loop = asyncio.get_running_loop()
        if mux is None or mux.loop is not loop:
            if mux is not None:
                mux.close()
            mux = self._udp[family] = _UdpMux(self.network.udp_socket(family), loop)
        try:
            return await mux.ask(query, _wire_address(host), port, self.timeout), False
        except dns.message.Truncated:
            return await self._exchange_tcp(query, host, port), True

    async def _exchange_tcp(self, query: dns.message.Message, host: str, port: int) -> dns.message.Message:
        """The question again over a TCP connection of its own (RFC 7766 framing), opened by the Network.

        ``host``:``port`` is where to go already (a resolver, or a routed name-server address).
        Connect, question and answer share ``timeout``; an answer that is not a response to
        the question is a malformed answer.
        """
        wire = query.to_wire()
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await self.network.open_tcp(host, port, timeout=None, routed=True)
                try:
                    writer.write(len(wire).to_bytes(2, "big") + wire)
                    size = int.from_bytes(await reader.readexactly(2), "big")
                    answer = dns.message.from_wire(await reader.readexactly(size))
                finally:
                    writer.transport.abort()
        except TimeoutError:
            raise dns.exception.Timeout(timeout=self.timeout) from None
        if not query.is_response(answer):
            raise dns.exception.FormError("the answer over TCP does not answer the question")
        return answer

    async def signed(self, name: str, rdtype: str) -> tuple[dns.message.Message | None, Outcome, str | None]:
        """One question with its DNSSEC records (DO set) and checking left to us (CD set).

        Returns the whole answer (signatures and the authority section's NSEC/NSEC3 proofs in it)
        when a resolver gave NOERROR or NXDOMAIN, else None with the failure's outcome and detail."""
        try:
            qname = dns.name.from_text(name)
        except dns.exception.DNSException as e:
            return None, Outcome.DNS_ERROR, f"not a valid DNS name: {e}"
        reply = await self._query(qname, rdtype, dnssec=True)
        return reply.message, reply.outcome, reply.detail

    async def _query(self, qname: dns.name.Name, rdtype: str, *, dnssec: bool = False) -> _Reply:
        """One question to the resolvers in turn, until one gives a usable answer.

        A timeout is retried ``retries`` times on the same resolver; a timeout,
        SERVFAIL, REFUSED or error moves on to the next resolver. If none
        answers usefully, the last failure is reported, with every resolver's.
        """
        query = dns.message.make_query(qname, rdtype, use_edns=0, payload=_EDNS_PAYLOAD, want_dnssec=dnssec)
        if dnssec:
            query.flags |= dns.flags.CD
        outcome, details = Outcome.DNS_ERROR, ["no resolvers configured"]
        if self.resolvers:
            details = []
        for host, port in self.resolvers:
            where = format_hostport(host, port)
            for _ in range(self.retries + 1):
                try:
                    response, _ = await self._exchange(query, host, port)
                except dns.exception.Timeout:
                    outcome = Outcome.DNS_TIMEOUT
                    detail = f"no answer in {self.retries + 1} attempts of {self.timeout:g} s"
                    continue
                except Exception as e:  # malformed answer, socket error, EOF on TCP, ...
                    outcome, detail = Outcome.DNS_ERROR, f"{type(e).__name__}: {e}"
                    break
                if response.flags & dns.flags.TC:  # truncated over TCP too: the answer is not all there
                    outcome, detail = Outcome.DNS_ERROR, "answer truncated even over TCP"
                    break
                rcode = response.rcode()
                if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    return _Reply(response)
                outcome = _RCODE_OUTCOMES.get(rcode, Outcome.DNS_ERROR)
                detail = f"answered {dns.rcode.to_text(rcode)}"
                break
            details.append(f"{where}: {detail}")
        return _Reply(None, outcome, f"{_text(qname)} {rdtype}: " + "; ".join(details))

    async def _chase(self, name: str, rdtype: str) -> _Chase:
        """Ask (name, rdtype), following CNAMEs in answers and re-asking for a chain's end."""
        start = time.monotonic()
        rdtype = rdtype.upper()
        chain: list[str] = []

        def done(owner: str, outcome: Outcome, records=(), ttl=None, detail=None) -> _Chase:
            lookup = DnsLookup(
                name=owner,
                rdtype=rdtype,
                outcome=outcome,
                records=list(records),
                ttl=ttl,
                detail=detail,
                elapsed_ms=(time.monotonic() - start) * 1000,
            )
            chain_outcome = outcome if chain and outcome in DNS_FAILURES else Outcome.OK
            return _Chase(lookup, chain, chain_outcome)

        try:
            target = dns.name.from_text(name)
        except dns.exception.DNSException as e:
            return done(name, Outcome.DNS_ERROR, detail=f"not a valid DNS name: {e}")
        seen = {target}
        while True:
            reply = await self._query(target, rdtype)
            if reply.message is None:
                return done(_text(target), reply.outcome, detail=reply.detail)
            message, owner = reply.message, target
            while rdtype != "CNAME":  # walk the CNAMEs the answer already holds
                cname = message.get_rrset(message.answer, owner, dns.rdataclass.IN, dns.rdatatype.CNAME)
                if cname is None:
                    break
                owner = cname[0].target
                chain.append(_text(owner))
                if owner in seen:
                    loop = " -> ".join([normalise_name(name), *chain])
                    return done(_text(owner), Outcome.CNAME_LOOP, detail=f"CNAME loop: {loop}")
                if len(chain) > self.max_cname_chain:
                    too_long = f"more than {self.max_cname_chain} CNAMEs"
                    return done(_text(owner), Outcome.CNAME_TOO_LONG, detail=too_long)
                seen.add(owner)
            rrset = message.get_rrset(message.answer, owner, dns.rdataclass.IN, dns.rdatatype.from_text(rdtype))
            if rrset is not None:
                return done(_text(owner), Outcome.OK, _records(rrset), rrset.ttl)
            if message.rcode() == dns.rcode.NXDOMAIN:
                return done(_text(owner), Outcome.DNS_NXDOMAIN, detail=f"{_text(owner)}: no such name (NXDOMAIN)")
            if owner == target and message.answer:  # records, but none for this name and type, nor a CNAME
                other = message.answer[0]
                about = f"{_text(other.name)} {dns.rdatatype.to_text(other.rdtype)}"
                detail = f"the answer to {_text(owner)} {rdtype} is about {about}"
                return done(_text(owner), Outcome.DNS_ERROR, detail=detail)
            if owner == target or _negative_about(message, owner):
                return done(_text(owner), Outcome.DNS_NODATA, detail=f"{_text(owner)}: no {rdtype} records")
            target = owner  # the chain leaves what this answer covers: ask for its end

    async def _find_zone(self, key: str) -> tuple[str | None, Outcome, str | None]:
        try:
            qname = dns.name.from_text(key)
        except dns.exception.DNSException as e:
            return None, Outcome.DNS_ERROR, f"not a valid DNS name: {e}"
        reply = await self._query(qname, "SOA")
        if reply.message is None:
            return None, reply.outcome, f"SOA lookup failed: {reply.detail}"
        apex = _apex_in(reply.message, qname)
        if apex is not None:
            return _text(apex), Outcome.OK, None
        if qname == dns.name.root:
            return None, Outcome.DNS_ERROR, "no SOA found up to the root"
        return await self.find_zone(_text(qname.parent()))


class _UdpMux:
    """One unconnected UDP socket of one family: many questions in flight, answers matched to them.

    A question waits under (server address, port, message ID); an answer is
    taken only from that address and port, with that ID, and only if it is a
    response to that question (dnspython's ``is_response``: QR set, same opcode,
    same question name, type and class). Everything else is dropped and the wait
    goes on. A malformed answer from the right server with the right ID ends
    the wait with its parse error, as dnspython's own UDP query does.

    The socket is unconnected, as dnspython's: an ICMP port-unreachable is not
    heard, so a closed port times out. The Network made it (a random source port).
    """

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.sock = sock
        try:
            loop.add_reader(sock.fileno(), self._readable)
        except BaseException:
            sock.close()
            raise
        self.pending: dict[tuple[str, int, int], tuple[dns.message.Message, asyncio.Future[dns.message.Message]]] = {}
        self.waiting_room: list[asyncio.Future[None]] = []  # questions waiting for room in the send buffer

    async def ask(self, query: dns.message.Message, host: str, port: int, timeout: float) -> dns.message.Message:
        """Send query (under a fresh ID) to host:port; its answer, or dns.exception.Timeout after ``timeout`` s."""
        for _ in range(64):
            key = (host, port, secrets.randbits(16))
            if key not in self.pending:
                break
        else:
            raise OSError(errno.EAGAIN, f"too many DNS questions in flight to {format_hostport(host, port)}")
        query.id = key[2]
        wire = query.to_wire()
        future: asyncio.Future[dns.message.Message] = self.loop.create_future()
        self.pending[key] = (query, future)
        timer = self.loop.call_later(timeout, _expire, future, timeout)
        try:
            try:
                self.sock.sendto(wire, (host, port))
            except (BlockingIOError, InterruptedError):  # send buffer full: wait for room (or the timeout)
                await self._send_when_writable(wire, (host, port), future)
            return await future
        finally:
            timer.cancel()
            del self.pending[key]

    async def _send_when_writable(self, wire: bytes, address: tuple[str, int], future: asyncio.Future) -> None:
        """``sendto`` once the socket has room, unless ``future`` ends first (its timeout).

        Not ``loop.sock_sendto``: uvloop does not implement it. One writer callback
        per socket serves every question waiting for room (add_writer replaces).
        """
        while not future.done():
            room: asyncio.Future[None] = self.loop.create_future()
            if not self.waiting_room:
                self.loop.add_writer(self.sock.fileno(), self._writable)
            self.waiting_room.append(room)
            await asyncio.wait((room, future), return_when=asyncio.FIRST_COMPLETED)
            if future.done():
                return
            try:
                self.sock.sendto(wire, address)
                return
            except (BlockingIOError, InterruptedError):
                continue

    def _writable(self) -> None:
        self.loop.remove_writer(self.sock.fileno())
        waiting, self.waiting_room = self.waiting_room, []
        for room in waiting:
            if not room.done():
                room.set_result(None)

    def _readable(self) -> None:
        while True:
            try:
                data, source = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # an error queued on the socket: nothing to match it to
                return
            if len(data) >= 12:
                self._received(data, source[0], source[1])

    def _received(self, data: bytes, host: str, port: int) -> None:
        waiting = self.pending.get((host, port, int.from_bytes(data[:2], "big")))
        if waiting is None or waiting[1].done():
            return  # from a server not asked, or an ID not in flight (late, spoofed): ignored
        query, future = waiting
        try:
            answer = dns.message.from_wire(data, raise_on_truncation=True)
        except dns.message.Truncated as e:
            if query.is_response(e.message()):
                future.set_exception(e)  # asked again over TCP
            return
        except Exception as e:  # noqa: BLE001 - malformed: the caller reports it
            future.set_exception(e)
            return
        if query.is_response(answer):
            future.set_result(answer)

    def close(self) -> None:
        if self.sock.fileno() < 0:
            return
        if not self.loop.is_closed():
            self.loop.remove_reader(self.sock.fileno())
            if self.waiting_room:
                self.loop.remove_writer(self.sock.fileno())
        self.sock.close()
        for _, future in self.pending.values():
            if not future.done():
                future.set_exception(OSError(errno.EBADF, "the DNS client was closed"))


def _expire(future: asyncio.Future[dns.message.Message], timeout: float) -> None:
    if not future.done():
        future.set_exception(dns.exception.Timeout(timeout=timeout))


@functools.lru_cache(maxsize=256)
def _wire_address(host: str) -> str:
    """An address as the socket reports a sender's: ``recvfrom`` must give back the key a question waits under."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.inet_ntop(family, socket.inet_pton(family, host))
    except (OSError, ValueError):
        return host


def _system_resolvers() -> list[tuple[str, int]]:
    """The system's resolvers (resolv.conf); empty when there is no configuration."""
    try:
        resolver = dns.resolver.Resolver()
    except dns.exception.DNSException:
        return []
    return [(str(ns), resolver.port) for ns in resolver.nameservers]


def _apex_in(message: dns.message.Message, qname: dns.name.Name) -> dns.name.Name | None:
    """The apex a SOA answer reveals for qname: its own SOA, or the SOA of a negative answer."""
    if message.get_rrset(message.answer, qname, dns.rdataclass.IN, dns.rdatatype.SOA) is not None:
        return qname
    if message.get_rrset(message.answer, qname, dns.rdataclass.IN, dns.rdatatype.CNAME) is not None:
        return None  # an alias is never an apex; any SOA here is the target's zone
    for rrset in message.authority:
        if rrset.rdtype == dns.rdatatype.SOA and qname.is_subdomain(rrset.name):
            return rrset.name
    return None


def _negative_about(message: dns.message.Message, name: dns.name.Name) -> bool:
    """Does the authority section hold a SOA of a zone enclosing name (a NODATA about it)?"""
    return any(r.rdtype == dns.rdatatype.SOA and name.is_subdomain(r.name) for r in message.authority)


async def forward_confirmed(lookup: Callable[[str, str], Awaitable[DnsLookup]], address: str, *,
                            names: int = REVERSE_NAMES) -> ReverseName:
    """An address's PTR, and the AAAA (or A) of each name it gives (the first ``names``): which of them
    resolve back to the address (forward-confirmed reverse DNS). ``lookup``: how a (name, type) is asked
    (the client's, or one that remembers its answers). A failed forward lookup confirms nothing."""
    own = canonical(address)
    ptr = await lookup(dns.reversename.from_address(own).to_text(omit_final_dot=True), "PTR")
    given = ptr.records[:names]
    rdtype = "AAAA" if ":" in own else "A"
    forward = list(await asyncio.gather(*(lookup(name, rdtype) for name in given)))
    confirmed = [name for name, found in zip(given, forward) if own in found.records]
    return ReverseName(address=own, ptr=ptr, forward=forward, confirmed=confirmed)


def _records(rrset) -> list[str]:
    """Record texts: sorted addresses, sorted target names, "preference exchange" for MX."""
    if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        return sorted((canonical(r.address) for r in rrset), key=ipaddress.ip_address)
    if rrset.rdtype in (dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.PTR):
        return sorted(_text(r.target) for r in rrset)
    if rrset.rdtype == dns.rdatatype.TXT:  # each record's strings joined, as SPF reads them (RFC 7208 3.3)
        return [b"".join(r.strings).decode("utf-8", "replace") for r in rrset]
    if rrset.rdtype == dns.rdatatype.MX:
        ordered = sorted(rrset, key=lambda r: (r.preference, r.exchange))
        return [f"{r.preference} {_text(r.exchange)}" for r in ordered]
    return sorted(r.to_text() for r in rrset)


def _text(name: dns.name.Name) -> str:
    """A name as scan results write it: lower case, no final dot ("." for the root)."""
    return "." if name == dns.name.root else name.to_text(omit_final_dot=True).lower()


def normalise_name(name: str) -> str:
    """A name as scan results write it (see _text); unparsable names come back unchanged."""
    try:
        return _text(dns.name.from_text(name))
    except dns.exception.DNSException:
        return name
